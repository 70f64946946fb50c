"""Helpers for the rule-language tests: small rulesets on disk, fake fields, messages."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from checker.fields import FIELDS, Field, all_fields
from checker.message import Message

AUTHORITIES = """\
remedies:
  fine:
    who: Regulator
    basis: "Act § 9"
    amount: 100
    amount_for: {act-1: 500}
    unit: message
    cap: 1000
    cap_exceptions: [act-1]
authorities:
  act-1:
    citation: "Act § 1"
    title: Headers
    jurisdiction: US
    remedies: [fine]
  act-2:
    citation: "Act § 2"
    title: Subjects
    jurisdiction: US
    remedies: [fine]
  note-1:
    citation: "Note 1"
    title: Not law
    jurisdiction: policy
"""


def write_ruleset(root: Path, rules: str | dict[str, str], *, predicates: str | None = None,
                  lists: dict[str, str] | None = None, authorities: str = AUTHORITIES) -> Path:
    """A ruleset folder under `root`: `rules` is one rule file's text (us/test.yaml) or
    {relative path: text}."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "authorities.yaml").write_text(textwrap.dedent(authorities), encoding="utf-8")
    if predicates is not None:
        (root / "predicates.yaml").write_text(textwrap.dedent(predicates), encoding="utf-8")
    for name, text in (lists or {}).items():
        (root / "lists").mkdir(exist_ok=True)
        (root / "lists" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    files = {"us/test.yaml": rules} if isinstance(rules, str) else rules
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def rule_file(body: str, jurisdiction: str = "US") -> str:
    """A rule file whose `rules:` list is `body` (YAML, indented by 2 under rules:)."""
    return f"jurisdiction: {jurisdiction}\nrules:\n" + textwrap.indent(textwrap.dedent(body), "  ")


def message(subject: str | None = "Hello", *, date: str | None = "Mon, 02 Jun 2025 10:00:00 +0000",
            headers: dict[str, str] | None = None, body: str = "Body text.\n", **metadata) -> Message:
    """A real message from bytes; `metadata` feeds the fake `t.*` fields."""
    lines = ["From: Sender <sender@example.com>", "To: trap@trap.example"]
    if subject is not None:
        lines.append(f"Subject: {subject}")
    if date is not None:
        lines.append(f"Date: {date}")
    lines.append("Message-ID: <m1@example.com>")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    raw = ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")
    return Message(raw, source_id="test-message", metadata=metadata)


class Boom(Exception):
    pass


def _meta(name: str, default=None):
    def extract(msg: Message):
        value = msg.metadata.get(name, default)
        if isinstance(value, Exception):
            raise value
        return value

    return extract


FAKE_FIELDS = {
    "t.text": ("text", None),
    "t.other": ("text", None),
    "t.flag": ("bool", None),
    "t.num": ("int", None),
    "t.when": ("datetime", None),
    "t.words": ("list[text]", None),
    "t.links": ("list[record]", {"url": ("text", "URL"), "text": ("text", "anchor"), "visible": ("bool", "shown")}),
    "t.spans": ("list[record]", {"field": ("text", ""), "start": ("int", ""), "end": ("int", ""),
                                 "quote": ("text", ""), "kind": ("text", "")}),
    "t.status": ("text", None),
}


def register_fake_fields() -> list[str]:
    """Register the `t.*` fields (values from Message.metadata); returns their names."""
    all_fields()
    for name, (ftype, items) in FAKE_FIELDS.items():
        default = [] if ftype.startswith("list[") else None
        FIELDS[name] = Field(name, ftype, f"test field {name}", _meta(name, default), dict(items or {}))
    return list(FAKE_FIELDS)


def unregister(names: list[str]) -> None:
    for name in names:
        FIELDS.pop(name, None)


def when(year: int, month: int, day: int, hour: int = 12, offset_hours: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.timezone(dt.timedelta(hours=offset_hours)))
