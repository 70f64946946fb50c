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
    "pictures.blocking": "pictures that could hold the missing opt-out notice or postal address",
    "pictures.summary": "pictures in the message",
    "pictures": "pictures in the message", "pictures.image_only": "the body is only pictures",
    "pictures.text_footer": "the text ends with a footer of its own",
    "images": "pictures in the HTML", "body.image_text": "text read from pictures",
    "headers": "header block", "size": "size of the message",
    "date": "Date header (as a date)", "date.raw": "Date header (as written)",
    "date.utc": "Date header (in UTC)", "date.error": "problem with the Date header",
    "date.skew": "hours between the Date header and the receipt time",
    "date.mismatch": "Date header and receipt time disagree",
    "receipt.time": "time the trap received the message",
    "receipt.hop": "trusted Received header that gives the receipt time",
    "legal_date.source": "what the date of the message rests on",
    "message_id": "Message-ID header", "message_id.domain": "Message-ID domain",
    "list_unsubscribe.one_click": "one-click unsubscribe (List-Unsubscribe-Post)",
    "from.domain": "From domain", "from.valid": "From address is well formed",
    "sender.address": "Sender address", "sender.domain": "Sender domain",
    "return_path.domain": "Return-Path domain", "reply_to": "Reply-To addresses",
    "to": "To addresses", "cc": "Cc addresses", "received": "Received headers",
    "received.untrusted": "Received headers below the trust boundary",
    "received.handoff_ip": "IP address that handed the message to the trap's servers",
    "received.handoff_rdns": "reverse DNS name of the handing-off computer",
    "received.handoff_helo": "name the handing-off computer introduced itself with",
    "authentication_results": "Authentication-Results headers",
    "authentication_results.trusted": "Authentication-Results added by the trap's servers",
    "body.hidden_text": "hidden text", "links": "links", "mime.parts": "MIME parts",
    "attachments": "attachments", "mime.defects": "defects in the MIME structure",
    "content.not_read": "content the program did not read",
    "ad_label.found": "advertisement label found",
    "ad_label.conspicuous": "a conspicuous advertisement label",
    "ad_label.denials": "statements that the message is not an advertisement",
    "adult.indicators": "sexually oriented words", "adult.label_detail": "sexually-explicit subject mark",
    "opt_out.notices": "opt-out notices found", "opt_out.possible": "possible opt-out signs",
    "opt_out.burdens": "conditions attached to opting out",
    "commercial.reasons": "commercial-purpose indicators", "commercial.score": "commercial-purpose score",
    "commercial.transactional_at_beginning": "transactional content at the beginning",
    "header_integrity.indicators": "signs of false or misleading header information",
    "subject_integrity.indicators": "signs of a misleading subject line",
    "postal_addresses": "postal addresses found",
    "recipient.address": "trap address", "recipient.state": "state of the recipient",
    "recipient.nexus": "connection to the state", "recipient.never_published": "trap address never published",
    "case.opt_out.business_days_after": "business days since the recipient opted out",
    "case.opt_out.record": "the recipient's opt-out request",
    "case.registry_states": "child-protection registries listing the recipient",
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
    # one record per method result (spf=, dkim=, ...), several of them in one header
    (re.compile(r"^authentication_results\[(\d+)\](?:\.raw)?$"), "Authentication-Results, method result {n}"),
    (re.compile(r"^reply_to\[(\d+)\]\.address$"), "Reply-To address"),
    (re.compile(r"^list_unsubscribe\[(\d+)\](?:\.url)?$"), "List-Unsubscribe entry {n}"),
    (re.compile(r"^links\[(\d+)\]\.url$"), "link {n} target"),
    (re.compile(r"^links\[(\d+)\]\.text$"), "link {n} text"),
    (re.compile(r"^body\.hidden_text\[(\d+)\]\.text$"), "hidden text {n}"),
    # the index counts pictures that had text, not the message's pictures: no number here
    # (the exhibits' analysis names the picture from the record's label)
    (re.compile(r"^body\.image_text\[(\d+)\](?:\.text)?$"), "text read from a picture"),
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
    numbers = [str(int(i) + 1) for i in indexes if i.isdigit()]
    label = FIELD_LABELS.get(base)
    head, _, key = base.rpartition(".")
    if label is None and head in FIELD_LABELS:  # an item's key: "postal addresses found, item 1: kind"
        item = f", item {numbers[0]}" if len(numbers) == 1 else ""
        return f"{FIELD_LABELS[head]}{item}: {RECORD_KEYS.get(key, key.replace('_', ' '))}"
    label = label or base.replace("_", " ").replace(".", " ")
    return f"{label} {numbers[0]}" if len(numbers) == 1 else label


# A search that found nothing, said plainly ("searched the In-Reply-To header: a value
# (absent)" reads "In-Reply-To header: absent"; "pictures.blocking: any item (the list is
# empty)" reads "pictures that could hold the missing opt-out notice or postal address: none").
_NOTHING_FOUND = {"absent": "absent", "the list is empty": "none", "0 item(s)": "none"}
_ANY = frozenset({"any item", "a value", "exists"})
_ITEMS_SEARCHED = re.compile(r"(\d+) item\(s\) searched")


def absence_text(field: str, searched: tuple[str, ...] | list[str], note: str | None) -> str | None:
    """What a search that found nothing looked for and found, in words, or None when the
    engine's wording of it is not one of the known forms."""
    label = field_label(field)
    looked_for = " ".join(searched)
    if note in _NOTHING_FOUND:
        if looked_for in _ANY or looked_for.startswith("at least this many items"):
            return f"{label}: {_NOTHING_FOUND[note]}"
        if looked_for.startswith("items "):  # "items meeting the rule's conditions"
            return f"{label}: none {looked_for.removeprefix('items ')}"
    counted = _ITEMS_SEARCHED.fullmatch(note or "")
    if counted and looked_for == "equal to true":  # "visible advertisement labels: none (1 looked at)"
        return f"{label}: none ({counted.group(1)} looked at)"
    if note == "no match" and looked_for:
        return f"{label}: nothing {looked_for}"
    return None


# The values of the detectors' assessments, in words (the quote of a status field is the
# program's code for its conclusion, not text of the message).
VALUE_WORDS = {
    "commercial.status": {
        "commercial": "commercial", "commercial_uncertain": "commercial purpose uncertain",
        "transactional": "transactional or relationship message", "non_commercial": "not commercial"},
    "opt_out.status": {
        "visible": "a visible opt-out notice with a way to opt out",
        "notice_only": "opt-out wording without a way to opt out",
        "hidden_only": "an opt-out notice only in hidden text",
        "header_only": "an opt-out only in the List-Unsubscribe header",
        "unclear": "none confirmed (loose signs of one)", "none": "none found"},
    "postal_address.status": {
        "visible": "a complete postal address in the visible text",
        "incomplete": "an incomplete postal address", "hidden_only": "a postal address only in hidden text",
        "none": "none found"},
    "adult.label": {"exact": "the subject begins with the mark", "malformed": "a malformed mark",
                    "missing": "no mark"},
    "legal_date.source": {"trusted_received": "the trusted Received header",
                          "date_header": "the sender's Date header"},
}


def value_words(field: str, value: Any) -> Any:
    """A detector's coded conclusion in words ('commercial_uncertain' -> 'commercial
    purpose uncertain'); any other value is returned unchanged."""
    words = VALUE_WORDS.get(field)
    return words.get(value, value) if words and isinstance(value, str) else value


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
