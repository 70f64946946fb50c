"""`spamlaw fields MESSAGE`: print every field as the engine sees it.

Counsel read this to write rules, so the text form is meant for people: one field per
line (or block), strings quoted so leading/trailing spaces show, long texts cut to a
preview unless a single field is asked for. The JSON form has the full values.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from checker import exitcodes
from checker.fields import Field, all_fields
from checker.message import Message

PREVIEW_CHARS = 500


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _scalar(value: Any, limit: int | None) -> str:
    """One value on one line, as a reader should see it."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        cut = value if limit is None or len(value) <= limit else value[:limit]
        shown = json.dumps(cut, ensure_ascii=False)
        if len(cut) < len(value):
            shown += f" … ({len(value) - len(cut):,} more characters)"
        return shown
    return str(value)


def _text_block(value: str, limit: int | None, indent: str) -> list[str]:
    """A multi-line text: its length, then the lines, each behind '| '."""
    cut = value if limit is None or len(value) <= limit else value[:limit]
    lines = [f"{len(value):,} characters"]
    lines += [f"{indent}| {line}" for line in cut.split("\n")]
    if len(cut) < len(value):
        lines.append(f"{indent}… ({len(value) - len(cut):,} more characters)")
    return lines


def _format_headers(value: list[dict], limit: int | None) -> list[str]:
    """`headers` compactly: 'Name: "value"' per header; the raw form only when it says
    more than the decoded one (encoded words, not just folding)."""
    lines = [f"headers: {len(value)} items"]
    for item in value:
        lines.append(f"  [{item['index']}] {item['name']}: {_scalar(item['value'], limit)}")
        if " ".join(item["raw"].split()) != " ".join(item["value"].split()):
            lines.append(f"      raw: {_scalar(item['raw'], limit)}")
    return lines


def format_field(name: str, value: Any, limit: int | None) -> list[str]:
    """The text-form lines for one field."""
    if name == "headers" and value:
        return _format_headers(value, limit)
    if isinstance(value, list):
        if not value:
            return [f"{name}: (none)"]
        lines = [f"{name}: {len(value)} item{'s' if len(value) != 1 else ''}"]
        for n, item in enumerate(value):
            lines += _format_item(n, item, limit)
        return lines
    if isinstance(value, str) and "\n" in value:
        block = _text_block(value, limit, "  ")
        return [f"{name}: {block[0]}", *block[1:]]
    return [f"{name}: {_scalar(value, limit)}"]


def _format_item(n: int, item: Any, limit: int | None) -> list[str]:
    label = f"  [{n}] "
    pad = " " * len(label)
    if not isinstance(item, dict):
        return [label + _scalar(item, limit)]
    lines = []
    for k, (key, value) in enumerate(item.items()):
        prefix = label if k == 0 else pad
        if isinstance(value, str) and "\n" in value:
            block = _text_block(value, limit, pad + "  ")
            lines += [f"{prefix}{key}: {block[0]}", *block[1:]]
        else:
            lines.append(f"{prefix}{key}: {_scalar(value, limit)}")
    return lines


def format_registry(fields: dict[str, Field]) -> list[str]:
    """The `--list` view: name, type and doc of every field, record keys indented."""
    width = max(len(name) for name in fields)
    lines = []
    for name, spec in fields.items():
        lines.append(f"{name:<{width}}  {spec.type:<12}  {spec.doc}")
        for key, (key_type, doc) in spec.item_fields.items():
            lines.append(f"{'':<{width}}    .{key} ({key_type}): {doc}")
    return lines


def _fail(message: str) -> typer.Exit:
    typer.echo(f"spamlaw fields: error: {message}", err=True)
    return typer.Exit(exitcodes.USAGE)


def _pick(message: str, index: int | None):
    """The message to show: the only one in MESSAGE, or its INDEX-th (1-based) when it is
    an mbox, a Maildir or a folder; says on stderr which of how many it shows."""
    from checker.sources import iter_sources

    if message != "-" and not Path(message).exists():
        raise _fail(f"{message}: no such file or directory")
    chosen, count = None, 0
    for item in iter_sources([message], stdin=sys.stdin.buffer):
        count += 1
        if count == (index or 1):
            chosen = item
    if chosen is None:
        raise _fail(f"--index {index}: {message} holds {count} message(s)")
    if chosen.error:
        raise _fail(f"{chosen.source_id}: {chosen.error}")
    if count > 1 and index is None:
        typer.echo(f"spamlaw fields: {message} holds {count} messages; showing the first "
                   f"({chosen.source_id}); use --index N for another", err=True)
    return chosen


def fields(
    message: Annotated[
        str | None, typer.Argument(metavar="MESSAGE", help="An .eml file, an mbox ('-' reads standard input).")
    ] = None,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text or json.")] = "text",
    field: Annotated[
        list[str] | None,
        typer.Option("--field", metavar="NAME", help="Only this field, shown in full (repeatable)."),
    ] = None,
    list_fields: Annotated[
        bool, typer.Option("--list", help="List every field name with its type and meaning.")
    ] = False,
    index: Annotated[
        int | None,
        typer.Option("--index", metavar="N", min=1,
                     help="Which message of an mbox, Maildir or folder (1 = the first)."),
    ] = None,
) -> None:
    """Print every field of MESSAGE as the rule engine will see it."""
    registry = all_fields()
    if list_fields:
        typer.echo("\n".join(format_registry(registry)))
        return
    if format not in ("text", "json"):
        raise _fail(f"unknown format {format!r}: use text or json")
    if message is None:
        raise _fail("missing MESSAGE (an .eml file), or use --list")
    unknown = [name for name in field or [] if name not in registry]
    if unknown:
        raise _fail(f"unknown field {unknown[0]!r} (spamlaw fields --list shows them all)")
    item = _pick(message, index)
    msg = Message(item.raw, source_id=item.source_id)
    names = field or list(registry)
    values = {name: msg.get(name) for name in names}
    if format == "json":
        typer.echo(json.dumps(_jsonable(values), indent=2, ensure_ascii=False))
    else:
        limit = None if field else PREVIEW_CHARS
        for name, value in values.items():
            typer.echo("\n".join(format_field(name, value, limit)))
    for error in msg.errors:
        typer.echo(f"spamlaw fields: warning: {error}", err=True)


def register(app: typer.Typer) -> None:
    app.command("fields")(fields)
