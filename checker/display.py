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
