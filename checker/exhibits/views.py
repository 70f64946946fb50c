"""Line-numbered source views with evidence highlighted where it occurs.

A view is a text (a decoded body, the raw header block) cut into numbered lines, each
line escaped and with the evidence spans wrapped in `<mark>` and tagged with the
evidence's reference ("E3"), so a reader can go from the findings table to the exact
characters. Offsets are the engine's: character offsets into the field's text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from markupsafe import Markup

from checker.display import reveal
from checker.exhibits.sanitize import clean_text


def shown(text: str) -> str:
    """Text as an exhibit prints it: control characters in caret notation, invisible and
    bidirectional format characters as visible stand-ins (⟨U+202E⟩)."""
    return reveal(clean_text(text))

MAX_VIEW_CHARS = 60_000  # per source view; the embedded original has everything
MAX_HEADER_BYTES = 256 * 1024
MAX_LINE_CHARS = 4_000  # longer lines are cut before layout (a 1 MB line takes minutes)
EXCERPT_CONTEXT = 80  # characters shown either side of an evidence span in an excerpt
MAX_EXCERPT_LINES = 12

_EOL = re.compile(rb"\r\n|\n|\r")
_HEADER_NAME = re.compile(r"^([^\s:]+)\s*:")


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    ref: str


@dataclass
class View:
    key: str
    title: str
    text: str  # the full text the offsets refer to
    lines: list[tuple[int, Markup]] = field(default_factory=list)
    shown_chars: int = 0
    located: dict[str, int] = field(default_factory=dict)  # ref -> first line marked
    cut_lines: int = 0  # lines longer than MAX_LINE_CHARS, shown cut

    @property
    def truncated(self) -> bool:
        return self.shown_chars < len(self.text)

    def line_of(self, offset: int) -> int:
        """1-based number of the line holding character `offset`."""
        return self.text.count("\n", 0, offset) + 1


def build_view(key: str, title: str, text: str, marks: list[Mark],
               limit: int = MAX_VIEW_CHARS) -> View:
    """Cut `text` (first `limit` characters) into numbered, escaped, highlighted lines."""
    view = View(key, title, text)
    part = text[:limit]  # offsets cut the raw text; each piece is cleaned for display
    view.shown_chars = len(part)
    spans = _merge([(m.start, min(m.end, len(part))) for m in marks
                    if 0 <= m.start < len(part) and m.end > m.start])
    starts = [s for s, _ in spans]
    refs_at: dict[int, list[str]] = {}
    for mark in sorted(marks, key=lambda m: (m.start, m.ref)):
        if 0 <= mark.start < len(part) and mark.end > mark.start:
            refs_at.setdefault(mark.start, []).append(mark.ref)
    cuts = sorted({p for span in spans for p in span} | set(refs_at))
    position = 0
    for number, line in enumerate(part.split("\n"), start=1):
        full_end = position + len(line)
        end = min(full_end, position + MAX_LINE_CHARS)
        inner = cuts[bisect_right(cuts, position):bisect_left(cuts, end)]
        points = [position, *inner, end]
        pieces = []
        done: set[int] = set()
        for a, b in zip(points, points[1:], strict=False):
            if a not in done:
                done.add(a)
                pieces.extend(_ref_tags(view, refs_at.get(a, ()), number))
            segment = part[a:b]
            if segment and _inside(spans, starts, a):
                pieces.append(Markup('<mark class="exh-mark">{}</mark>').format(shown(segment)))
            elif segment:
                pieces.append(Markup("{}").format(shown(segment)))
        if end not in done:  # a mark that starts on the line break itself
            pieces.extend(_ref_tags(view, refs_at.get(end, ()), number))
        if full_end > end:
            view.cut_lines += 1
            line_end = text.find("\n", position)  # the whole line, past the view's limit
            pieces.append(_cut_note((len(text) if line_end < 0 else line_end) - end))
        view.lines.append((number, Markup("").join(pieces)))
        position = full_end + 1
    return view


def _cut_note(rest: int) -> Markup:
    return Markup('<span class="exh-cut"> [… line cut here: {:,} more characters, in the '
                  "embedded original]</span>").format(rest)


def excerpt(text: str, start: int, end: int, ref: str) -> list[tuple[int, Markup]]:
    """The numbered line(s) of `text` holding `text[start:end]`, that span marked (and
    tagged with `ref`), with at most EXCERPT_CONTEXT characters of context either side.
    Each marked piece is exactly the text of the span on that line, so joining the
    pieces with newlines gives the span back."""
    first = text.count("\n", 0, start) + 1
    line_start = text.rfind("\n", 0, start) + 1
    lines = text[line_start:].split("\n")
    out: list[tuple[int, Markup]] = []
    position = line_start
    for index, line in enumerate(lines):
        if position > end or index >= MAX_EXCERPT_LINES:
            break
        line_end = position + len(line)
        a, b = max(start, position), min(end, line_end)
        left = max(position, a - EXCERPT_CONTEXT)
        right = min(line_end, b + EXCERPT_CONTEXT)
        pieces = [Markup("…") if left > position else Markup("")]
        pieces.append(Markup("{}").format(shown(text[left:a])))
        if b >= a:
            pieces.append(Markup('<mark class="exh-mark" data-ref="{}">{}</mark>').format(
                ref, shown(text[a:b])))
        pieces.append(Markup("{}").format(shown(text[b:right])))
        if right < line_end:
            pieces.append(Markup("…"))
        out.append((first + index, Markup("").join(pieces)))
        position = line_end + 1
    return out


def _ref_tags(view: View, refs, line_number: int) -> list[Markup]:
    tags = []
    for ref in refs:
        tags.append(Markup('<span class="exh-ref">{}</span>').format(ref))
        view.located.setdefault(ref, line_number)
    return tags


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inside(spans: list[tuple[int, int]], starts: list[int], position: int) -> bool:
    i = bisect_right(starts, position) - 1
    return i >= 0 and spans[i][0] <= position < spans[i][1]


# --- the raw header block -------------------------------------------------------------


@dataclass(frozen=True)
class HeaderEntry:
    name: str
    first_line: int  # 1-based, inclusive
    last_line: int
    start: int  # character range in HeaderBlock.text
    end: int


@dataclass
class HeaderBlock:
    text: str  # lines joined with "\n", bytes shown verbatim (non-UTF-8 as \xNN)
    entries: list[HeaderEntry]
    line_endings: str
    truncated: bool = False
    non_utf8: bool = False
    total_bytes: int = 0  # the whole header section of the message, however much is shown

    def entries_named(self, *names: str) -> list[HeaderEntry]:
        wanted = {n.lower() for n in names}
        return [e for e in self.entries if e.name.lower() in wanted]


def header_block(raw: bytes) -> HeaderBlock:
    """The header section of `raw` exactly as written, up to the first empty line."""
    head = raw[:MAX_HEADER_BYTES]
    lines: list[bytes] = []
    endings: set[bytes] = set()
    position = 0
    ended = False
    for eol in _EOL.finditer(head):
        line = head[position:eol.start()]
        position = eol.end()
        if not line:
            ended = True
            break
        lines.append(line)
        endings.add(eol.group())
    if not ended and head[position:]:
        lines.append(head[position:])
    decoded = [_decode_line(line) for line in lines]
    return HeaderBlock(
        text="\n".join(decoded),
        entries=_entries(decoded),
        line_endings=_describe_endings(endings),
        truncated=not ended and len(raw) > MAX_HEADER_BYTES,
        total_bytes=position if ended else _header_bytes(raw),
        non_utf8=any(not _is_utf8(line) for line in lines),
    )


def _header_bytes(raw: bytes) -> int:
    """Bytes before the first empty line (all of `raw` when there is none)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n"), raw.find(b"\r\r")) if i >= 0]
    if not ends:
        return len(raw)
    end = min(ends)
    return end + (2 if raw[end:end + 2] == b"\r\n" else 1)  # with its last line ending


def _decode_line(line: bytes) -> str:
    return line.decode("utf-8", errors="backslashreplace")


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _describe_endings(endings: set[bytes]) -> str:
    names = {b"\r\n": "CRLF", b"\n": "LF", b"\r": "CR"}
    found = sorted(names[e] for e in endings)
    if not found:
        return "none"
    return found[0] if len(found) == 1 else "mixed (" + ", ".join(found) + ")"


def _entries(lines: list[str]) -> list[HeaderEntry]:
    """Group lines into header fields: a line starting with white space continues the
    previous field (RFC 5322 folding)."""
    entries: list[HeaderEntry] = []
    offset = 0
    current: list = []  # [name, first_line, start]
    for number, line in enumerate(lines, start=1):
        continues = line[:1] in (" ", "\t") and current
        if not continues:
            if current:
                entries.append(HeaderEntry(current[0], current[1], number - 1, current[2],
                                           offset - 1))
            match = _HEADER_NAME.match(line)
            current = [match.group(1) if match else "", number, offset]
        offset += len(line) + 1
    if current:
        entries.append(HeaderEntry(current[0], current[1], len(lines), current[2],
                                   max(offset - 1, current[2])))
    return entries
