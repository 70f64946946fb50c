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

from checker.extract.headers import decoded_header, header_indices, parse_date
from checker.fields import register
from checker.message import Message

MAX_HOPS = 200

_COMMENT = re.compile(r"\([^()]*\)")
# A keyword after a space and before a space or the end (the text is searched with a
# space in front, so that the leading space makes the scan fast).
_KEYWORD_WORDS = r" (from|by|via|with|id|for)(?![^ ])"
_KEYWORD = re.compile(_KEYWORD_WORDS)
_KEYWORD_ANY_CASE = re.compile(_KEYWORD_WORDS, re.IGNORECASE | re.ASCII)

# The common form, in which the clauses can be read with one match: "from", "by" and
# optionally "with", "id" and "for", in this order and in lowercase, each followed by a
# word that is no keyword (in any case) and has no parenthesis or ';', then more such
# words and comments (nested two deep at most). In it the keywords are exactly the
# literal ones (the words are none, comments hide theirs), so each clause's first word
# outside comments is the group after its keyword, as `_any_form` finds it.
_WORD = r"(?!(?i:from|by|via|with|id|for)(?![^ ]))[^ ();]+"
_COMMENT_2 = r"\([^()]*(?:\([^()]*\)[^()]*)*\)"  # nested two deep at most
_MORE = rf"(?: (?:{_WORD}|{_COMMENT_2}))*"
_COMMON_HOP = re.compile(
    rf"from (?P<from>{_WORD}){_MORE} (?P<by_keyword>by) (?P<by>{_WORD}){_MORE}"
    rf"(?: with (?P<with>{_WORD}){_MORE})?(?: id (?P<id>{_WORD}){_MORE})?"
    rf"(?: for (?P<for>{_WORD}){_MORE})?"
)
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_BARE_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_HELO = re.compile(r"\b(?:HELO|EHLO)[ =]+([^\s()\[\]]+)", re.IGNORECASE)
_RDNS_BEFORE_IP = re.compile(r"([^\s()\[\]]+)\s*\[")


def _blank(match: re.Match) -> str:
    return " " * (match.end() - match.start())


def _mask_comments(text: str) -> str:
    """Replace (nested) comments with spaces of the same length, so positions hold."""
    for _ in range(5):
        masked = _COMMENT.sub(_blank, text)
        if masked == text or "(" not in masked:
            return masked
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


def _clauses(body: str, masked: str) -> dict[str, tuple[int, int]]:
    """{keyword: (start, stop) of its clause}, for the first occurrence of each keyword;
    a clause runs to the next keyword.

    `body` has its white space collapsed to single spaces, `masked` is the same with
    comments blanked. A keyword is a whole space-separated word outside comments, in any
    case. Only ASCII letters lowercase to a keyword's letters, so ASCII case folding finds
    them all; when lowercasing keeps the length (ASCII text), the search runs on the
    lowercased text, which is faster."""
    # Positions in " " + masked are one more than in masked: a match starts at its space.
    if masked.isascii():
        found = [(m[1], m.start(), m.end() - 1) for m in _KEYWORD.finditer(" " + masked.lower())]
    else:
        found = [(m[1].lower(), m.start(), m.end() - 1)
                 for m in _KEYWORD_ANY_CASE.finditer(" " + masked)]
    clauses: dict[str, tuple[int, int]] = {}
    for n, (word, _start, end) in enumerate(found):
        if word not in clauses:
            clauses[word] = (end, found[n + 1][1] if n + 1 < len(found) else len(body))
    return clauses


def _first_token(masked: str, clause: tuple[int, int] | None) -> str | None:
    """The first word outside comments of a clause."""
    if clause is None:
        return None
    words = masked[clause[0] : clause[1]].split(None, 1)
    return (words[0].strip(";") or None) if words else None


def _rdns(comments: str) -> str | None:
    """The reverse-DNS name in '(rdns [ip])' or '(user@rdns [ip])'; None for 'unknown'/IPs."""
    match = _RDNS_BEFORE_IP.search(comments)
    if not match:
        return None
    name = match.group(1).rpartition("@")[2]
    if not name or name.lower() == "unknown" or _valid_ip(name.strip("[]")):
        return None
    return name


def _from_clause(text: str, first: str | None) -> tuple[str | None, str | None, str | None]:
    """(from_name (HELO), from_rdns, ip) from the 'from' clause `text` and its first word
    outside comments."""
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
        return helo.group(1), rdns, ip
    return first, _rdns(comments), ip


def _common_form(body: str) -> tuple[str | None, str | None, tuple] | None:
    """(from clause, its first word, (by, with, id, for)) of a hop in the common form,
    None for any other form. See `_COMMON_HOP`."""
    match = _COMMON_HOP.fullmatch(body)
    if match is None:
        return None
    return (body[4 : match.start("by_keyword")].strip(), match["from"],
            (match["by"], match["with"], match["id"], match["for"]))


def _any_form(body: str) -> tuple[str | None, str | None, tuple]:
    """(from clause, its first word, (by, with, id, for)) of a hop in any form."""
    masked = _mask_comments(body) if "(" in body else body
    clauses = _clauses(body, masked)
    from_clause = from_first = None
    if "from" in clauses:
        start, stop = clauses["from"]
        from_clause, from_first = body[start:stop].strip(), _first_token(masked, clauses["from"])
    tokens = tuple(_first_token(masked, clauses.get(word)) for word in ("by", "with", "id", "for"))
    return from_clause, from_first, tokens


def parse_received(value: str, index: int = 0, raw: str | None = None) -> dict:
    """One Received header (`value` decoded and unfolded) as a record."""
    text = " ".join(value.split())
    head, sep, tail = text.rpartition(";")
    body, date_text = (head, tail.strip()) if sep else (text, "")
    from_clause, from_first, (by, with_, id_, for_) = _common_form(body) or _any_form(body)
    from_name = from_rdns = ip = None
    if from_clause is not None:
        from_name, from_rdns, ip = _from_clause(from_clause, from_first)
    return {
        "index": index,
        "from_name": from_name,
        "from_rdns": from_rdns,
        "ip": ip,
        "by": by,
        "with": with_,
        "id": (id_ or "").strip("<>") or None,
        "for": (for_ or "").strip("<>") or None,
        "date": parse_date(date_text)[0] if date_text else None,
        "raw": value if raw is None else raw,
    }


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
    hops = [decoded_header(msg, i) for i in header_indices(msg, "received")[:MAX_HOPS]]
    return [parse_received(h.value, i, h.raw) for i, h in enumerate(hops)]
