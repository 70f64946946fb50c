"""Header fields: decoded headers, addresses, subject."""

from __future__ import annotations

from email.header import decode_header, make_header

from checker.fields import register
from checker.message import Message


def _decode(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


@register("subject", "text", "The Subject header, RFC 2047-decoded (empty if absent).")
def subject(msg: Message) -> str | None:
    value = msg.parsed.get("Subject")
    return None if value is None else _decode(str(value))
