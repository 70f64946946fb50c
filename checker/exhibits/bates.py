"""Bates numbers and the page furniture that carries them.

A Bates number is a prefix plus a zero-padded page counter. It is its own CSS counter
(`exh-bates`), not `page`: resetting `page` on the first page would also shift
"Page X of Y". The exhibit label sits on the first page only, in a configurable corner
(courts differ: N.D. Cal. lower right, M.D. Fla. upper right, S.D. Ga. upper left). The
default is top-right because the Bates number already occupies the bottom-right corner;
choosing bottom-right stacks the label above the Bates number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
DEFAULT_CORNER = "top-right"
BATES_CORNER = "bottom-right"
MAX_PREFIX = 40
MAX_DIGITS = 12
MAX_LABEL = 80

_PREFIX_OK = re.compile(r"[A-Za-z0-9 _.\-/]*")


class BatesError(ValueError):
    """An unusable Bates or label option (a usage error)."""


@dataclass(frozen=True)
class BatesSpec:
    prefix: str = ""
    start: int = 1
    digits: int = 7

    def __post_init__(self) -> None:
        if len(self.prefix) > MAX_PREFIX or not _PREFIX_OK.fullmatch(self.prefix):
            raise BatesError(
                f"Bates prefix must be at most {MAX_PREFIX} characters of letters, digits, "
                "space, '_', '.', '-' or '/'"
            )
        if not 1 <= self.digits <= MAX_DIGITS:
            raise BatesError(f"Bates digits must be between 1 and {MAX_DIGITS}")
        if self.start < 0:
            raise BatesError("Bates start must not be negative")

    def number(self, page_index: int = 0) -> str:
        """The Bates number of page `page_index` (0 = first page)."""
        return f"{self.prefix}{self.start + page_index:0{self.digits}d}"

    def last(self, pages: int) -> str:
        return self.number(max(pages, 1) - 1)


def check_corner(corner: str) -> str:
    if corner not in CORNERS:
        raise BatesError(f"label corner must be one of {', '.join(CORNERS)}")
    return corner


def check_label(label: str) -> str:
    label = " ".join(label.split())
    if len(label) > MAX_LABEL:
        raise BatesError(f"exhibit label must be at most {MAX_LABEL} characters")
    return label


def css_string(text: str) -> str:
    """`text` as a quoted CSS string. Everything but letters, digits and space is a hex
    escape, so no value can close the string, the rule or the <style> element."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char == " "):
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'
