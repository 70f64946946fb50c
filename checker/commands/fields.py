"""`spamlaw fields MESSAGE`: print every field as the engine sees it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from checker.fields import all_fields
from checker.message import Message


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def fields(
    message: Path = typer.Argument(..., help="An .eml file."),
    format: str = typer.Option("text", "--format", help="text or json"),
    field: list[str] = typer.Option([], "--field", help="Only this field (repeatable)."),
) -> None:
    """Print every field of MESSAGE as the rule engine will see it."""
    msg = Message(message.read_bytes(), source_id=str(message))
    names = field or sorted(all_fields())
    values = {name: msg.get(name) for name in names}
    if format == "json":
        typer.echo(json.dumps({k: _jsonable(v) for k, v in values.items()}, indent=2))
    else:
        for name, value in values.items():
            typer.echo(f"{name}: {value!r}")


def register(app: typer.Typer) -> None:
    app.command("fields")(fields)
