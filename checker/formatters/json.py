"""`--format json` and `--format jsonl`: the versioned contract in `docs/audit-json.md`.

`json` writes one document, streamed message by message so a 45,000-message batch never
sits in memory. `jsonl` writes one message object per line (the same objects as the
document's `messages` array) and nothing else. Key order is fixed, findings are sorted by
rule id and output is pure ASCII, so two runs over the same input diff clean.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from checker import __version__
from checker.findings import AuditResult, Status
from checker.formatters.base import STATUS_ORDER, Formatter, Summary, by_rule

SCHEMA = "spamlaw.audit/1"


def _fallback(value: Any) -> Any:
    """Make any stray value JSON-able rather than fail a whole report over it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    """Replace lone surrogates (undecodable bytes kept by a decoder) with U+FFFD: strict
    JSON readers reject them. One character for one, so evidence offsets still hold."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: _without_surrogates(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_surrogates(item) for item in value]
    return value


def dumps(value: Any, indent: int | None = None) -> str:
    """Deterministic, pure-ASCII JSON that any strict reader accepts."""
    separators = (",", ": ") if indent else (",", ":")
    text = _indented_json(value, indent) if indent else None
    if text is None:
        text = json.dumps(value, indent=indent, separators=separators, default=_fallback)
    if "\\ud" in text:  # a surrogate escape: a lone one, or a harmless astral-plane pair
        text = json.dumps(_without_surrogates(value), indent=indent, separators=separators,
                          default=_fallback)
    return text


class _Unusual(Exception):
    """A value the fast writer leaves to the stdlib encoder (non-text keys, NaN, ...)."""


def _indented_json(value: Any, indent: int) -> str | None:
    """`json.dumps(value, indent=indent, separators=(",", ": "), default=_fallback)`,
    byte for byte, without the stdlib's pure-Python indenting encoder (which runs for any
    `indent` and cost as much CPU as a third of the rules). None for values it does not
    handle: the caller then uses the stdlib."""
    parts: list[str] = []
    try:
        _write(value, parts, "\n", " " * indent)
    except (_Unusual, RecursionError):
        return None
    return "".join(parts)


def _write(value: Any, parts: list[str], newline: str, step: str) -> None:
    if isinstance(value, str):
        parts.append(_string(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Unusual
        parts.append(float.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + step
        parts.append("{")
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Unusual
            parts.append(inner if first else "," + inner)
            first = False
            parts.append(_string(key))
            parts.append(": ")
            _write(item, parts, inner, step)
        parts.append(newline + "}")
    elif isinstance(value, list | tuple):
        if not value:
            parts.append("[]")
            return
        inner = newline + step
        parts.append("[")
        first = True
        for item in value:
            parts.append(inner if first else "," + inner)
            first = False
            _write(item, parts, inner, step)
        parts.append(newline + "]")
    else:
        _write(_fallback(value), parts, newline, step)


_string = json.encoder.encode_basestring_ascii


def message_object(result: AuditResult, statuses) -> dict[str, Any]:
    """One element of `messages`: the message's identity, errors and listed findings."""
    findings = [f for f in result.findings if Status(f.status) in statuses]
    return {
        "source": result.source,
        "sha256": result.sha256 or None,
        "size": result.size,
        "message_id": result.message_id,
        "from": result.sender,
        "subject": result.subject,
        "date": result.date,
        "received": result.received,
        "date_source": result.date_source,
        "errors": list(result.errors),
        "findings": [f.to_dict() for f in by_rule(findings)],
    }


def _indented(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


class JsonFormatter(Formatter):
    name = "json"

    def start(self) -> None:
        head = {
            "schema": SCHEMA,
            "tool": {"name": "spamlaw", "version": __version__},
            "ruleset": self.ruleset.to_dict(),
            "statuses": [str(s) for s in STATUS_ORDER if s in self.statuses],
        }
        # The head is a complete object minus its closing brace; `messages` streams after it.
        self.write(dumps(head, indent=2)[:-2] + ',\n  "messages": [')
        self._first = True

    def handle(self, result: AuditResult) -> None:
        self.write("\n" if self._first else ",\n")
        self._first = False
        self.write(_indented(dumps(message_object(result, self.statuses), indent=2), "    "))

    def stop(self, summary: Summary) -> None:
        self.write("\n  ],\n" if not self._first else "],\n")
        self.write('  "summary": ' + _indented(dumps(summary.to_dict(), indent=2), "  ")[2:])
        self.write("\n}\n")


class JsonLinesFormatter(Formatter):
    name = "jsonl"

    def handle(self, result: AuditResult) -> None:
        self.write(dumps(message_object(result, self.statuses)) + "\n")


def write_indented(value: Any, write: Callable[[str], Any], levels: int = 2,
                   prefix: str = "") -> None:
    """`write` the text of `dumps(value, indent=2)`, byte for byte, in pieces: the lists
    and dicts of the first `levels` levels item by item. A report on 45,000 messages is
    hundreds of megabytes as one string (several times that while it is built); written
    item by item (campaign by campaign), it never is."""
    inner = prefix + "  "
    if (levels <= 0 or not isinstance(value, (dict, list)) or not value
            or (isinstance(value, dict) and not all(isinstance(k, str) for k in value))):
        write(dumps(value, indent=2).replace("\n", "\n" + prefix))
        return
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
    write(opening)
    for n, (key, item) in enumerate(items):
        write(("," if n else "") + "\n" + inner + ("" if key is None else dumps(key) + ": "))
        write_indented(item, write, levels - 1, inner)
    write("\n" + prefix + closing)
