"""Header fields: the decoded header list, subject, date, identifiers, List-Unsubscribe.

Headers come from the compat32 parse (fast, undecoded); each one is decoded on first use
only (8-bit bytes, then unfolding, then RFC 2047 words), never through `policy.default`.
When a header repeats, single-valued fields read the first (topmost) one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email._parseaddr import _parsedate_tz  # unlike parsedate_tz, tells "no zone" from +0000
from functools import lru_cache
from typing import NamedTuple

from checker.display import quoted
from checker.extract.decoding import decode_words, header_text, normalize_newlines, unfold
from checker.fields import register
from checker.message import Message


class HeaderValue(NamedTuple):
    name: str
    value: str  # decoded, unfolded, stripped
    raw: str  # as written (8-bit bytes decoded, folding kept, line ends as \n)
    defects: list[str]


def raw_headers(msg: Message) -> list[tuple[str, str]]:
    """(name, value) pairs exactly as compat32 holds them (surrogate-escaped 8-bit)."""
    return msg.memo("raw_headers", lambda m: [(k, str(v)) for k, v in m.parsed.raw_items()])


def _index(msg: Message) -> dict[str, list[int]]:
    def build(m: Message) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for i, (name, _value) in enumerate(raw_headers(m)):
            index.setdefault(name.lower(), []).append(i)
        return index

    return msg.memo("header_index", build)


def header_indices(msg: Message, name: str) -> list[int]:
    return _index(msg).get(name.lower(), [])


_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)


def charset_hint(msg: Message) -> str | None:
    """The top-level declared charset: the best guess for raw 8-bit bytes in headers."""

    def find(m: Message) -> str | None:
        for i in header_indices(m, "content-type")[:1]:
            match = _CHARSET_PARAM.search(raw_headers(m)[i][1])
            return match.group(1) if match else None
        return None

    return msg.memo("charset_hint", find)


def decoded_header(msg: Message, i: int) -> HeaderValue:
    def decode(m: Message) -> HeaderValue:
        name, value = raw_headers(m)[i]
        if value.isascii() and "=?" not in value:  # the common case: nothing to decode
            raw = normalize_newlines(value)
            return HeaderValue(name, unfold(raw).strip(), raw, [])
        where = f"the {name} header"
        raw, defects = header_text(value, charset_hint(m) if not value.isascii() else None, where)
        raw = normalize_newlines(raw)
        text, word_defects = decode_words(unfold(raw), where)
        return HeaderValue(name, text.strip(), raw, defects + word_defects)

    return msg.memo(("header", i), decode)


def first_header(msg: Message, name: str) -> HeaderValue | None:
    indices = header_indices(msg, name)
    return decoded_header(msg, indices[0]) if indices else None


def all_headers(msg: Message, name: str) -> list[HeaderValue]:
    return [decoded_header(msg, i) for i in header_indices(msg, name)]


def header_defects(msg: Message) -> list[str]:
    """Decoding defects of every header, in header order (decodes them all)."""
    return [d for i in range(len(raw_headers(msg))) for d in decoded_header(msg, i).defects]


@register(
    "headers",
    "list[record]",
    "Every header in order, repeats kept (index 0 = first line of the message).",
    item_fields={
        "name": ("text", "Header name as written."),
        "value": ("text", "Decoded value: 8-bit bytes and RFC 2047 words decoded, unfolded."),
        "raw": ("text", "Value as written (folding kept; 8-bit bytes decoded)."),
        "index": ("int", "Position among all headers, 0 = topmost."),
    },
)
def headers(msg: Message) -> list[dict]:
    out = []
    for i in range(len(raw_headers(msg))):
        h = decoded_header(msg, i)
        out.append({"name": h.name, "value": h.value, "raw": h.raw, "index": i})
    return out


@register("subject", "text", "The Subject header, decoded (None if absent).")
def subject(msg: Message) -> str | None:
    h = first_header(msg, "subject")
    return h.value if h else None


@register("subject.raw", "text", "The Subject header as written, before RFC 2047 decoding.")
def subject_raw(msg: Message) -> str | None:
    h = first_header(msg, "subject")
    return h.raw if h else None


# ---------------------------------------------------------------- Date

class ParsedDate(NamedTuple):
    value: datetime | None
    raw: str | None
    error: str | None


_NEGATIVE_ZERO_ZONE = re.compile(r"-0000\s*(?:\(.*\))?\s*$")


_MONTHS = {m: n for n, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_COMMON_DATE = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})(?:\s+\([^()]*\))?\s*$"
)


def _parse_common_date(text: str) -> tuple | None:
    """Fast path for the everyday form 'Thu, 22 Aug 2002 13:17:22 +0100 (IST)'; gives
    what `_parsedate_tz` gives, None for anything else (which then goes to the stdlib)."""
    match = _COMMON_DATE.match(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zh, zm = match.groups()
    month_number = _MONTHS.get(month.lower())
    if month_number is None:
        return None
    offset = (int(zh) * 3600 + int(zm) * 60) * (-1 if sign == "-" else 1)
    return (int(year), month_number, int(day), int(hour), int(minute), int(second or 0),
            0, 1, -1, offset)


@lru_cache(maxsize=512)
def _zone(offset: int) -> timezone:
    """The fixed-offset zone (one object per offset: dates are parsed by the thousand)."""
    return timezone(timedelta(seconds=offset))


def parse_date(text: str) -> tuple[datetime | None, str | None]:
    """An RFC 5322 date as an aware datetime with its own offset, plus an error note.

    A date with no (or an unknown) zone is read as UTC and noted; `-0000` (zone unknown
    by RFC 5322 design) is UTC with no note. Years before 1970 are kept but noted as implausible (e.g. `0102` = year 102).
    """
    parts = _parse_common_date(text) or _parsedate_tz(text)
    if parts is None:
        return None, f"the Date header {quoted(text.strip()[:80])} cannot be read as a date"
    offset = parts[9]
    note = None
    if offset is None:
        offset = 0
        if not _NEGATIVE_ZERO_ZONE.search(text):
            note = "the Date header gives no time zone, so its time was read as UTC"
    try:
        value = datetime(*parts[:6], tzinfo=_zone(offset))
    except (ValueError, OverflowError) as exc:
        return None, f"the Date header {quoted(text.strip()[:80])} names a date that does not exist ({exc})"
    if value.year < 1970:
        note = f"the Date header gives the year {value.year}, which cannot be right"
    return value, note


def _date(msg: Message) -> ParsedDate:
    def compute(m: Message) -> ParsedDate:
        h = first_header(m, "date")
        if h is None:
            return ParsedDate(None, None, "the message has no Date header")
        value, error = parse_date(h.value)
        return ParsedDate(value, h.raw, error)

    return msg.memo("date", compute)


@register("date", "datetime", "The Date header as an aware datetime with its original offset.")
def date(msg: Message) -> datetime | None:
    return _date(msg).value


@register("date.raw", "text", "The Date header as written.")
def date_raw(msg: Message) -> str | None:
    return _date(msg).raw


@register("date.utc", "datetime", "The Date header converted to UTC.")
def date_utc(msg: Message) -> datetime | None:
    value = _date(msg).value
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


@register(
    "date.error",
    "text",
    "Why the Date header is missing, unparsable or implausible (None when it is fine).",
)
def date_error(msg: Message) -> str | None:
    return _date(msg).error


# ---------------------------------------------------------------- identifiers

_MSG_ID = re.compile(r"<[^<>]*>")


def _domain_of_id(text: str | None) -> str | None:
    if not text or "@" not in text:
        return None
    domain = text.rpartition("@")[2].strip().rstrip(">").strip().lower()
    return domain or None


@register("message_id", "text", "The Message-ID header as written, angle brackets kept.")
def message_id(msg: Message) -> str | None:
    h = first_header(msg, "message-id")
    return h.value if h else None


@register("message_id.domain", "text", "The part of the Message-ID after its last '@' (lowercase).")
def message_id_domain(msg: Message) -> str | None:
    return _domain_of_id(msg.get("message_id"))


@register("in_reply_to", "text", "The In-Reply-To header.")
def in_reply_to(msg: Message) -> str | None:
    h = first_header(msg, "in-reply-to")
    return h.value if h else None


@register("references", "list[text]", "Message IDs in the References header, in order.")
def references(msg: Message) -> list[str]:
    h = first_header(msg, "references")
    if h is None:
        return []
    return _MSG_ID.findall(h.value) or h.value.split()


# ---------------------------------------------------------------- List-Unsubscribe

_ANGLE = re.compile(r"<\s*([^<>]*?)\s*>")
_BLANKS = re.compile(r"\s+")


def _url_kind(url: str) -> str:
    lower = url.lower()
    if lower.startswith("mailto:"):
        return "mailto"
    if lower.startswith(("http://", "https://")):
        return "http"
    return "other"


@register(
    "list_unsubscribe",
    "list[record]",
    "Entries of the List-Unsubscribe header(s), in order.",
    item_fields={
        "url": ("text", "The URL inside <...>, whitespace removed."),
        "kind": ("text", "mailto, http (also https) or other."),
    },
)
def list_unsubscribe(msg: Message) -> list[dict]:
    out = []
    for h in all_headers(msg, "list-unsubscribe"):
        for match in _ANGLE.finditer(h.value):
            url = _BLANKS.sub("", match.group(1))
            if url:
                out.append({"url": url, "kind": _url_kind(url)})
    return out


@register(
    "list_unsubscribe.one_click",
    "bool",
    "RFC 8058 one-click: List-Unsubscribe-Post is 'List-Unsubscribe=One-Click' and "
    "List-Unsubscribe has an https URL.",
)
def list_unsubscribe_one_click(msg: Message) -> bool:
    post = first_header(msg, "list-unsubscribe-post")
    if post is None or post.value.replace(" ", "").lower() != "list-unsubscribe=one-click":
        return False
    return any(e["url"].lower().startswith("https://") for e in msg.get("list_unsubscribe"))
