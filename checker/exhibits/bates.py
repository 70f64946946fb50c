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
PLACEHOLDER = "0"  # never drawn: placeholders are laid out with visibility hidden
RANGE_DASH = " – "

_PREFIX_OK = re.compile(r"[A-Za-z0-9 _.\-/]*")


class BatesError(ValueError):
    """An unusable Bates or label option (a usage error)."""


@dataclass(frozen=True)
class BatesSpec:
    prefix: str = ""
    start: int = 1
    digits: int = 7
    # A batch renders each exhibit once, before its Bates start is known: every Bates
    # number is then a hidden placeholder of the final width (`number` gives the cover's
    # range placeholder) and checker/exhibits/stamp.py draws the real numbers afterwards.
    stamped: bool = False

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
        """The Bates number of page `page_index` (0 = first page); when stamped, the
        placeholder of the cover's "first – last" range."""
        if self.stamped:
            return PLACEHOLDER * (2 * len(self.page_placeholder) + len(RANGE_DASH))
        return f"{self.prefix}{self.start + page_index:0{self.digits}d}"

    @property
    def page_placeholder(self) -> str:
        """As wide as one Bates number (in a monospaced font)."""
        return PLACEHOLDER * (len(self.prefix) + self.digits)

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


SUFFIX_DIGITS = 4


def page_numbers(spec: BatesSpec, start: int, pages: int, numbered: int | None = None) -> list[str]:
    """The Bates number of each page of a document whose range starts at `start`.

    Normally every page takes the next number. A slip sheet replaced by its exhibit on a
    rerun (`--retry-slip-sheets`) keeps the `numbered` numbers it had reserved (later
    documents keep theirs: nothing already produced moves); its pages beyond them carry
    the last reserved number with a suffix, AGO0000041.0001, AGO0000041.0002, ... as
    productions number pages inserted after the fact."""
    numbered = pages if numbered is None else max(1, min(numbered, pages))
    spec = BatesSpec(spec.prefix, start, spec.digits)
    plain = [spec.number(index) for index in range(numbered)]
    extra = [f"{plain[-1]}.{index:0{SUFFIX_DIGITS}d}" for index in range(1, pages - numbered + 1)]
    return plain + extra
