"""`content.not_read`: what the extractors did not read, so that nothing vanishes silently.

Work on hostile mail is bounded (MIME nesting depth, number of parts, part size, text
length, HTML tags, Received lines kept). Whatever a bound cut off is listed here, one
record per cut, saying what was not read and where; the engine turns each rule that may
depend on it into needs_review (reason code `content_not_read`) and the exhibit says it.

The MIME bounds are reported by `checker.extract.mime` as defect lines; this module
recognises those lines (tests/test_unread.py builds each case, so a reworded line
fails a test rather than going silent).
"""

from __future__ import annotations

import re

from checker.extract.body import html_analysis
from checker.extract.headers import header_indices
from checker.extract.html import _MAX_TAGS
from checker.extract.mime import (
    MAX_DEPTH,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_TEXT_CHARS,
    body_kind,
    is_body_text,
    is_leaf,
    mime_parts,
    part_bytes,
    part_text,
)
from checker.extract.received import MAX_HOPS
from checker.fields import register
from checker.message import Message

HTML_MAX_CHARS = 2_000_000  # analyze_html's default bound on the text it reads

# Defect lines of checker.extract.mime that mean "this was not read", with what to say.
_CUTS = (
    (re.compile(r"MIME nesting deeper than \d+ levels at (part [\d.]+); not read"), "nesting",
     f"the MIME parts nested more than {MAX_DEPTH} levels deep inside {{where}} were not read"),
    (re.compile(r"more than \d+ MIME parts; the rest not read"), "parts",
     f"the message has more than {MAX_PARTS:,} MIME parts; the parts after the first {MAX_PARTS:,} "
     "were not read"),
    (re.compile(r"(part [\d.]+) larger than \d+ bytes; truncated"), "size",
     f"{{where}} is larger than {MAX_PART_BYTES // (1024 * 1024)} MB; only its first "
     f"{MAX_PART_BYTES // (1024 * 1024)} MB were read"),
    (re.compile(r"text of (part [\d.]+) longer than \d+; truncated"), "size",
     f"the text of {{where}} is longer than {MAX_TEXT_CHARS:,} characters; the rest was not read"),
    (re.compile(r"the base64 encoding of (part [\d.]+) cannot be decoded; kept as written"),
     "undecodable",
     "{where} could not be decoded (broken base64), so its content was not read"),
)


@register(
    "content.not_read",
    "list[record]",
    "What bounded reading cut off: MIME nesting past the depth limit, parts past the part "
    "limit, oversized parts and texts, undecodable parts, HTML past the tag limit, Received "
    "lines past the kept number. Empty when the whole message was read.",
    item_fields={
        "kind": ("text", "nesting, parts, size, undecodable, html or received"),
        "area": ("text", "content (the body and its parts) or received (the Received lines)"),
        "where": ("text", "The MIME part (e.g. 'part 1.2'), or 'header' for Received lines."),
        "detail": ("text", "What was not read, in plain words."),
    },
)
def content_not_read(msg: Message) -> list[dict]:
    out: list[dict] = []
    parts = mime_parts(msg)
    defects = [d for part in parts for d in part.defects]
    for part in parts:
        if is_leaf(part):
            defects.extend(part_bytes(msg, part)[1])
            if is_body_text(part):
                defects.extend(part_text(msg, part)[1])
    for line in defects:
        for pattern, kind, words in _CUTS:
            match = pattern.fullmatch(line)
            if match:
                where = _short(match.group(1)) if match.groups() else "the message"
                out.append(_record(kind, "content", where, words.format(where=where)))
                break
    for part in parts:
        if body_kind(part) == "html":
            text = part_text(msg, part)[0]
            if len(text) > HTML_MAX_CHARS:
                out.append(_record("html", "content", f"part {part.path}",
                                   f"the HTML of part {part.path} is longer than {HTML_MAX_CHARS:,} "
                                   "characters; the rest was not read"))
            elif "cut after" in (getattr(html_analysis(msg, part), "error", None) or ""):
                out.append(_record("html", "content", f"part {part.path}",
                                   f"the HTML of part {part.path} has more than {_MAX_TAGS:,} tags; "
                                   "the text after them was not read"))
    hops = len(header_indices(msg, "received"))
    if hops > MAX_HOPS:
        out.append(_record("received", "received", "header",
                           f"the message has {hops:,} Received lines; only the first {MAX_HOPS} "
                           f"(the most recent) were read, the other {hops - MAX_HOPS:,} were not"))
    return _unique(out)


def _short(where: str) -> str:
    """'part 1.1.1.1.1.1.1.1' -> 'part 1.1.1…1 (8 levels deep)': deep paths stay readable."""
    steps = where.removeprefix("part ").split(".")
    if len(steps) <= 6:
        return where
    return f"part {'.'.join(steps[:3])}…{steps[-1]} ({len(steps)} levels deep)"


def _record(kind: str, area: str, where: str, detail: str) -> dict:
    return {"kind": kind, "area": area, "where": where, "detail": detail}


def _unique(records: list[dict]) -> list[dict]:
    seen, out = set(), []
    for record in records:
        if record["detail"] not in seen:
            seen.add(record["detail"])
            out.append(record)
    return out
