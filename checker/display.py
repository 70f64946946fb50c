"""What the reader sees is what is there: text shown to people, made honest.

`reveal(text)` replaces invisible and text-direction (bidi) format characters with a
visible stand-in naming the code point, `⟨U+202E⟩`: a From display name holding U+202E
(right-to-left override) otherwise reads backwards, e.g. "moc.knab-eruces" shown as
"secure-bank.com". Text output and exhibit templates call it (`register_filters` adds
it to a Jinja environment as the `reveal` filter).

`plain_defect(text)` turns the parser's defect class names ("CloseBoundaryNotFoundDefect")
into plain English for counsel.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Invisible characters that are not of category Cf but show as nothing all the same.
_INVISIBLE_OTHERS = frozenset("\u034f\u115f\u1160\u180e\u2028\u2029\u3164\uffa0")
# Characters of category Cf that a reader sees anyway (the Arabic number signs and the
# like are visible marks); everything else of Cf is a format character that shows
# nothing or turns the text around.
_VISIBLE_FORMAT = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd")


def is_hidden(char: str) -> bool:
    """A character that shows as nothing or changes the direction of what follows."""
    if char in _INVISIBLE_OTHERS:
        return True
    return unicodedata.category(char) == "Cf" and char not in _VISIBLE_FORMAT


def stand_in(char: str) -> str:
    return f"⟨U+{ord(char):04X}⟩"


def reveal(text: Any) -> Any:
    """`text` with every hidden character replaced by its stand-in `⟨U+202E⟩`. Anything
    that is not a string is returned unchanged (so the Jinja filter is safe on any value)."""
    if not isinstance(text, str) or text.isascii():
        return text
    # Each distinct character is looked up once (a long non-Latin text repeats few).
    table = {ord(c): stand_in(c) for c in set(text) if is_hidden(c)}
    return text.translate(table) if table else text


def hidden_characters(text: Any) -> list[str]:
    """The distinct hidden characters in `text`, in order of first appearance."""
    if not isinstance(text, str) or text.isascii():
        return []
    return [c for c in dict.fromkeys(text) if is_hidden(c)]


def describe_hidden(chars: list[str]) -> str:
    """'⟨U+202E⟩ (right-to-left override), ⟨U+200B⟩ (zero width space)'."""
    return ", ".join(f"{stand_in(c)} ({unicodedata.name(c, 'unnamed format character').lower()})" for c in chars)


def register_filters(env: Any) -> Any:
    """Add the display filters to a Jinja environment (exhibit templates, finding text):
    `{{ value | reveal }}`."""
    env.filters["reveal"] = reveal
    return env


# ------------------------------------------------------------------ parser defects

_DEFECTS = {
    "CloseBoundaryNotFoundDefect": "the MIME structure is broken: a part's closing boundary is missing",
    "StartBoundaryNotFoundDefect": "the MIME structure is broken: the boundary that starts the parts is missing",
    "NoBoundaryInMultipartDefect": "the MIME structure is broken: a multipart part names no boundary",
    "MultipartInvariantViolationDefect": "the MIME structure is broken: a multipart part has no parts",
    "MultipartConversionError": "the MIME structure is broken: a multipart part could not be split into parts",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart part declares a transfer encoding it may not have",
    "FirstHeaderLineIsContinuationDefect": "the first header line is an indented continuation line",
    "MisplacedEnvelopeHeaderDefect": "a mailbox 'From ' line appears among the headers",
    "MissingHeaderBodySeparatorDefect": "the blank line between the headers and the body is missing",
    "UndecodableBytesDefect": "a part holds bytes that cannot be decoded",
    "InvalidBase64PaddingDefect": "base64-encoded text has wrong padding",
    "InvalidBase64CharactersDefect": "base64-encoded text contains characters base64 does not use",
    "InvalidBase64LengthDefect": "base64-encoded text has an impossible length",
    "HeaderMissingRequiredValue": "a header is missing a value it requires",
    "NonPrintableDefect": "a header contains characters that cannot be printed",
    "ObsoleteHeaderDefect": "a header uses obsolete syntax",
    "NonASCIILocalPartDefect": "an address has non-ASCII characters before the @",
    "InvalidDateDefect": "a date is malformed",
    "InvalidHeaderDefect": "a header is malformed",
    "HeaderDefect": "a header is malformed",
    "MessageDefect": "the message is malformed",
    "RecursionError": "the MIME structure is nested too deeply to read",
}
_DEFECT_NAME = re.compile(r"\b(?:email\.errors\.)?([A-Z][A-Za-z]+(?:Defect|Error|Value))\b(?:\(\))?")


def plain_defect(text: str) -> str:
    """A parser defect line with class names replaced by plain English:
    'CloseBoundaryNotFoundDefect in part 1' -> "the MIME structure is broken: a part's
    closing boundary is missing (part 1)"; 'MIME parse failed (RecursionError); body kept
    unsplit' -> 'the MIME structure is nested too deeply to read; the body was read as one
    undivided text'."""
    parse_failed = re.fullmatch(r"MIME parse failed \((\w+)\); body kept unsplit", text)
    if parse_failed:
        return f"{_phrase(parse_failed.group(1))}; the body was read as one undivided text"
    in_part = re.fullmatch(r"(\w+) in (part [\d.]+)", text)
    if in_part and _DEFECT_NAME.fullmatch(in_part.group(1)):
        return f"{_phrase(in_part.group(1))} ({in_part.group(2)})"
    return _DEFECT_NAME.sub(lambda m: _phrase(m.group(1)), text)


def _phrase(name: str) -> str:
    phrase = _DEFECTS.get(name)
    if phrase is None:
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Defect").removesuffix("Error")).lower()
        phrase = f"the message is malformed ({words})"
    return phrase


# ------------------------------------------------------------------ quoting for people

_WHITESPACE_RUN = re.compile(r"\s+")


def quoted(text: Any) -> str:
    """`text` quoted as people quote in a sentence: "like this" (curly “like this” when the
    text holds a straight double quote), white space and line breaks run together into
    single spaces (a leading or trailing space is kept: it can be part of what is quoted,
    as in the mark "SEXUALLY-EXPLICIT: "). Never Python's repr quoting ('…', \\n)."""
    text = _WHITESPACE_RUN.sub(" ", "" if text is None else str(text))
    return f"“{text}”" if '"' in text else f'"{text}"'


def one_line(text: Any) -> str:
    """A quote shown on one line: each line break as ⏎ and each tab as a space; every
    other character is kept (a caller that writes to a terminal still escapes controls)."""
    text = "" if text is None else str(text)
    return text.replace("\r\n", "⏎").replace("\r", "⏎").replace("\n", "⏎").replace("\t", " ")


# ------------------------------------------------------------------ field labels

# What each evidence field is, in words (text output and exhibits; JSON keeps the machine
# `field`). A field with an index ("received[2].raw") is looked up without it and numbered.
FIELD_LABELS = {
    "body.text": "plain-text body", "body.visible_text": "visible text",
    "body.html": "HTML source", "body.hidden_text.text": "hidden text",
    "body.image_text.text": "text read from a picture",
    "subject": "Subject", "subject.raw": "Subject (as written)",
    "from.address": "From address", "from.display_name": "From display name",
    "from.raw": "From (as written)", "return_path.address": "Return-Path address",
    "reply_to.address": "Reply-To address", "in_reply_to": "In-Reply-To header",
    "references": "References header", "received.raw": "Received header",
    "received.trusted": "trusted Received header (as parsed)",
    "authentication_results.raw": "Authentication-Results header",
    "list_unsubscribe": "List-Unsubscribe header", "list_unsubscribe.url": "List-Unsubscribe link",
    "links.text": "link text", "links.url": "link address",
    "legal_date": "date of the message",
    "commercial.status": "commercial-purpose assessment",
    "opt_out.status": "opt-out assessment", "postal_address.status": "postal-address assessment",
    "opt_out.searched": "opt-out search", "postal_address.searched": "postal-address search",
    "ad_label.matches": "advertisement labels",
    "ad_label.matches.visible": "visible advertisement labels",
    "ad_label.matches.conspicuous": "conspicuous advertisement labels",
    "pictures.blocking": "picture the program could not read",
    "pictures.summary": "pictures in the message",
    "adult.label": "sexually-explicit subject mark", "adult.likely": "sexually oriented content assessment",
    "adult.promoted": "sexual content promoted", "adult.protective_context": "protective context (e.g. a filter ad)",
    "adult.subject_explicit": "explicit words in the subject",
}
_INDEX = re.compile(r"\[(\d+|\*)\]")
# Items of list fields, numbered from 1 as the message lists them (the same names as the
# exhibits' analysis uses).
_INDEXED_LABELS = (
    (re.compile(r"^received\[(\d+)\](?:\.raw)?$"), "Received header {n}"),
    (re.compile(r"^received\.trusted\[(\d+)\]$"), "trusted Received header {n}"),
    (re.compile(r"^authentication_results\[(\d+)\](?:\.raw)?$"), "Authentication-Results header {n}"),
    (re.compile(r"^reply_to\[(\d+)\]\.address$"), "Reply-To address"),
    (re.compile(r"^list_unsubscribe\[(\d+)\](?:\.url)?$"), "List-Unsubscribe entry {n}"),
    (re.compile(r"^links\[(\d+)\]\.url$"), "link {n} target"),
    (re.compile(r"^links\[(\d+)\]\.text$"), "link {n} text"),
    (re.compile(r"^body\.hidden_text\[(\d+)\]\.text$"), "hidden text {n}"),
)


def field_label(field: str) -> str:
    """'postal_address.status' -> 'postal-address assessment'; 'received[1].raw' ->
    'Received header 2' (numbered from the top, as the message lists them). A field
    without a label is shown with its dots and underscores as spaces."""
    label = FIELD_LABELS.get(field)
    if label is not None:
        return label
    for pattern, indexed in _INDEXED_LABELS:
        match = pattern.match(field)
        if match:
            return indexed.format(n=int(match.group(1)) + 1)
    indexes = [m.group(1) for m in _INDEX.finditer(field)]
    base = _INDEX.sub("", field)
    label = FIELD_LABELS.get(base) or base.replace("_", " ").replace(".", " ")
    numbers = [str(int(i) + 1) for i in indexes if i.isdigit()]
    return f"{label} {numbers[0]}" if len(numbers) == 1 else label


# The keys of a parsed Received line, in words (a record quoted as evidence reads
# "index: 0; from_name: unknown; from_rdns: ..." otherwise).
RECORD_KEYS = {
    "from_name": "introduced itself as", "from_rdns": "reverse DNS name", "ip": "IP address",
    "by": "received by", "with": "protocol", "id": "server's message id", "for": "for",
    "date": "date", "from_clause": "from",
    # a picture (checker/detectors/pictures.py)
    "source": "kind", "src": "address", "text": "text read from it", "content_type": "type",
    "alt": "alt text", "why": "why", "note": "note", "part": "MIME part",
}
# Keys that hold the program's own bookkeeping, not a fact a reader checks in the message.
_RECORD_DROP = frozenset({"index", "role", "visible", "could_hold_text", "read", "text_chars",
                          "text_after", "blocking", "label"})
_RECORD_KEY = re.compile(r"(?:^|(?<=; ))([a-z_]+): ")


def record_text(text: Any) -> Any:
    """A parsed record quoted as evidence ("index: 0; from_name: mx.example; ip: 1.2.3.4")
    with its keys in words ("introduced itself as: mx.example; IP address: 1.2.3.4"); the
    program's bookkeeping ("index: 0", "role: content_bearing") is left out. Other text is
    returned unchanged."""
    if not isinstance(text, str) or not _RECORD_KEY.match(text):
        return text
    parts = [p for p in text.split("; ") if p.split(": ", 1)[0] not in _RECORD_DROP]
    return "; ".join(_RECORD_KEY.sub(lambda m: f"{RECORD_KEYS.get(m.group(1), m.group(1).replace('_', ' '))}: ", p, count=1)
                     for p in parts)
