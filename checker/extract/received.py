"""The Received chain: one record per Received header, index 0 = topmost (most recent).

Handles the common Postfix, Sendmail, qmail, Exim, Exchange and fetchmail forms:

    from HELO (RDNS [IP]) by HOST (Postfix) with ESMTP id ID for <ADDR>; DATE
    from RDNS ([IP] helo=HELO) by HOST with esmtp (Exim 3.35) id ID; DATE
    from RDNS (HELO helo) (IP) by HOST with SMTP; DATE                    (qmail)
    from HELO [IP] by localhost with IMAP (fetchmail-5.9.0) for ADDR; DATE

Clause keywords inside comments ("(qmail 123 invoked from network)") are ignored. A part
that cannot be recognised is None; the header as written is always in `raw`.
"""

from __future__ import annotations

import ipaddress
import re

from checker.extract.headers import all_headers, parse_date
from checker.fields import register
from checker.message import Message

MAX_HOPS = 200

_COMMENT = re.compile(r"\([^()]*\)")
_KEYWORDS = frozenset(("from", "by", "via", "with", "id", "for"))
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_BARE_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_HELO = re.compile(r"\b(?:HELO|EHLO)[ =]+([^\s()\[\]]+)", re.IGNORECASE)
_RDNS_BEFORE_IP = re.compile(r"([^\s()\[\]]+)\s*\[")


def _mask_comments(text: str) -> str:
    """Replace (nested) comments with spaces of the same length, so positions hold."""
    for _ in range(5):
        masked = _COMMENT.sub(lambda m: " " * len(m.group()), text)
        if masked == text:
            break
        text = masked
    return text


_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")


def _valid_ip(text: str | None) -> str | None:
    """`text` as a normalised IP address, or None if it is not one."""
    if not text:
        return None
    if _IPV4.fullmatch(text):
        return text
    if ":" not in text:
        return None
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def _clauses(text: str) -> dict[str, tuple[str, str]]:
    """{keyword: (clause text, same with comments blanked)}, first occurrence of each.

    `text` has its white space collapsed to single spaces, so splitting on " " keeps
    positions; a word-by-word scan is much faster here than a regex over every offset."""
    masked = _mask_comments(text) if "(" in text else text
    found: list[tuple[str, int, int]] = []
    pos = 0
    # Lowercasing can change the length of non-ASCII text; only then go word by word.
    ascii_only = masked.isascii()
    for word in (masked.lower() if ascii_only else masked).split(" "):
        keyword = word if ascii_only else word.lower()
        if keyword in _KEYWORDS:
            found.append((keyword, pos, pos + len(word)))
        pos += len(word) + 1
    clauses: dict[str, tuple[str, str]] = {}
    for n, (word, _start, end) in enumerate(found):
        if word in clauses:
            continue
        stop = found[n + 1][1] if n + 1 < len(found) else len(text)
        clauses[word] = (text[end:stop].strip(), masked[end:stop].strip())
    return clauses


def _first_token(clause: tuple[str, str] | None) -> str | None:
    """The first word outside comments of a clause."""
    if not clause or not clause[1]:
        return None
    return clause[1].split(None, 1)[0].strip(";") or None


def _rdns(comments: str) -> str | None:
    """The reverse-DNS name in '(rdns [ip])' or '(user@rdns [ip])'; None for 'unknown'/IPs."""
    match = _RDNS_BEFORE_IP.search(comments)
    if not match:
        return None
    name = match.group(1).rpartition("@")[2]
    if not name or name.lower() == "unknown" or _valid_ip(name.strip("[]")):
        return None
    return name


def _from_clause(clause: tuple[str, str]) -> dict:
    """from_name (HELO), from_rdns and ip from the 'from' clause."""
    text = clause[0]
    first = _first_token(clause)
    comments = text[len(first) :] if first and text.startswith(first) else text
    bracket = _BRACKET_IP.search(text) if "[" in text else None
    ip = _valid_ip(bracket.group(1)) if bracket else None
    if ip is None:
        bare = _BARE_IPV4.search(comments)
        ip = _valid_ip(bare.group(1)) if bare else _valid_ip((first or "").strip("[]"))
    helo = _HELO.search(comments) if "elo" in comments.lower() else None
    if helo:
        named = first and first.lower() != "unknown" and not first.startswith("[")
        rdns = first if named and not _valid_ip(first) else None
        return {"from_name": helo.group(1), "from_rdns": rdns, "ip": ip}
    return {"from_name": first, "from_rdns": _rdns(comments), "ip": ip}


def parse_received(value: str, index: int = 0, raw: str | None = None) -> dict:
    """One Received header (`value` decoded and unfolded) as a record."""
    text = " ".join(value.split())
    head, sep, tail = text.rpartition(";")
    body, date_text = (head, tail.strip()) if sep else (text, "")
    clauses = _clauses(body)
    record = {"index": index, "from_name": None, "from_rdns": None, "ip": None}
    if "from" in clauses:
        record.update(_from_clause(clauses["from"]))
    record["by"] = _first_token(clauses.get("by"))
    record["with"] = _first_token(clauses.get("with"))
    record["id"] = (_first_token(clauses.get("id")) or "").strip("<>") or None
    record["for"] = (_first_token(clauses.get("for")) or "").strip("<>") or None
    record["date"] = parse_date(date_text)[0] if date_text else None
    record["raw"] = value if raw is None else raw
    return record


@register(
    "received",
    "list[record]",
    "The Received chain, one record per header; index 0 = topmost (most recent hop).",
    item_fields={
        "index": ("int", "0 = topmost Received header (added last, by the receiving side)."),
        "from_name": ("text", "The name the sending host gave (HELO/EHLO)."),
        "from_rdns": ("text", "The sending host's reverse-DNS name as the receiver saw it."),
        "ip": ("text", "The sending host's IP address (IPv4 or IPv6)."),
        "by": ("text", "The receiving host."),
        "with": ("text", "The protocol (SMTP, ESMTP, ...)."),
        "id": ("text", "The receiver's queue id."),
        "for": ("text", "The envelope recipient, if recorded."),
        "date": ("datetime", "When the hop happened (after the ';')."),
        "raw": ("text", "The header as written."),
    },
)
def received(msg: Message) -> list[dict]:
    hops = all_headers(msg, "received")[:MAX_HOPS]
    return [parse_received(h.value, i, h.raw) for i, h in enumerate(hops)]
