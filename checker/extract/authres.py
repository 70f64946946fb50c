"""Authentication-Results (RFC 8601): one record per method result, headers in order.

    Authentication-Results: mx.example.org (comment); spf=pass smtp.mailfrom=a.example;
        dkim=pass (1024-bit key) header.d=a.example; dmarc=fail header.from=b.example

Which authserv-ids to trust is case policy (the trap operator's own MX); this field only
reports what each header says, with the authserv-id on every record.
"""

from __future__ import annotations

import re

from checker.extract.headers import all_headers
from checker.fields import register
from checker.message import Message

_QUOTED = r'"(?:[^"\\]|\\.)*"'
_SEGMENT = re.compile(rf"(?:{_QUOTED}|[^;\"])+")
_PAIR = re.compile(rf"([A-Za-z0-9_.\-]+)(?:\s*/\s*\d+)?\s*=\s*({_QUOTED}|[^\s;]+)")
_QUOTED_PAIR = re.compile(r"\\(.)")
_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


def _strip_comments(text: str) -> str:
    for _ in range(5):
        stripped = _COMMENT.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    return text


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", value[1:-1])
    return value


def _result_record(authserv_id: str | None, segment: str, raw: str) -> dict | None:
    pairs = [(k.lower(), _unquote(v)) for k, v in _PAIR.findall(segment)]
    if not pairs:
        return None
    (method, result), rest = pairs[0], pairs[1:]
    properties = {k: v for k, v in rest if "." in k}
    return {
        "authserv_id": authserv_id,
        "method": method,
        "result": result.lower(),
        "smtp_mailfrom": properties.get("smtp.mailfrom"),
        "header_d": properties.get("header.d"),
        "header_from": properties.get("header.from"),
        "properties": " ".join(f"{k}={v}" for k, v in rest),
        "raw": raw,
    }


def parse_authentication_results(value: str, raw: str | None = None) -> list[dict]:
    """Records for one header value (decoded, unfolded); [] for 'none' or garbage."""
    segments = [s.strip() for s in _SEGMENT.findall(_strip_comments(value))]
    if not segments:
        return []
    id_words = segments[0].split()
    authserv_id = id_words[0].lower() if id_words else None
    records = (_result_record(authserv_id, s, value if raw is None else raw) for s in segments[1:])
    return [r for r in records if r is not None]


@register(
    "authentication_results",
    "list[record]",
    "Authentication-Results (RFC 8601) method results, in header order. Trust only the "
    "authserv-ids of your own receiving servers.",
    item_fields={
        "authserv_id": ("text", "The server that recorded the result (lowercase)."),
        "method": ("text", "spf, dkim, dmarc, ... (lowercase)."),
        "result": ("text", "pass, fail, softfail, neutral, none, temperror, ... (lowercase)."),
        "smtp_mailfrom": ("text", "The smtp.mailfrom property."),
        "header_d": ("text", "The header.d property (DKIM signing domain)."),
        "header_from": ("text", "The header.from property (DMARC)."),
        "properties": ("text", "All other key=value pairs, as 'k=v k=v'."),
        "raw": ("text", "The header as written."),
    },
)
def authentication_results(msg: Message) -> list[dict]:
    out = []
    for h in all_headers(msg, "authentication-results"):
        out.extend(parse_authentication_results(h.value, h.raw))
    return out
