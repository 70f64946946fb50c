"""`email.message_from_bytes` (the compat32 tree), the same tree, faster for most mail.

The stdlib feedparser works line by line in Python: it classifies every header line, cuts
every body into lines only to join them again as a payload, and compiles a regular
expression for each multipart boundary. Spam is mostly simple in structure, and for
simple structure the tree it builds is easy to state exactly; `parse_compat32` builds that
tree with a few C-speed string operations, and leaves everything else to the stdlib:

* a header block is "plain" when it is "Name: value" lines (a name of printable ASCII,
  at least one character) and continuation lines, a "Name:" line first, ending at the
  end of the text or at a blank line. Lines end in \\r\\n, \\r or \\n, as the feedparser
  cuts them. compat32 stores each header as the name, and the value without the blanks
  after the colon and without its final line end, continuation lines kept as written.
  (No "From " envelope line, no header line without a name, no missing blank line: the
  stdlib treats those specially, and they are parsed by it.)
* a single-part message (neither multipart/* nor message/*) with a plain header block:
  the payload is the rest of the text after the blank line.
* a multipart message (not multipart/digest) with a plain header block whose parts have
  plain header blocks and are single-part or such multiparts again (8 levels at most):
  the boundary lines are found with `str.find` ("--boundary" at the start of a line,
  then optionally "--", blanks and the line end); the text before the first one, without
  its last line end, is the preamble; each part is the text between two boundary lines,
  its payload without its last line end; the text after the line of the closing
  boundary is the epilogue (None, and a CloseBoundaryNotFoundDefect, when there is no
  closing boundary). An inner multipart ends where the next boundary line of the outer
  one starts (the feedparser sees outer boundaries at any depth); its epilogue loses its
  last line end, and an empty one becomes None. Attached messages, a missing first
  boundary, two boundary lines in a row and a boundary line at the very end are parsed
  by the stdlib.

`tests/test_message.py` compares the trees (headers, payloads, preamble, epilogue,
defects) with the stdlib's on the corpus and on generated messages.
"""

from __future__ import annotations

import email
import re
from email import errors
from email.message import Message as StdlibMessage

_PLAIN_HEADER_LINES = re.compile(r"(?:(?:[\041-\071\073-\176]+:|[\t ])[^\r\n]*(?:\r\n|\r|\n|\Z))*")
_LINE_END = re.compile(r"\r\n|\r|\n")
_HEADER_FIELD = re.compile(
    r"([\041-\071\073-\176]+):[ \t]*([^\r\n]*(?:(?:\r\n|\r|\n)[\t ][^\r\n]*)*)(?:\r\n|\r|\n|\Z)"
)
# What may follow "--boundary" on a boundary line: "--" (the closing one), blanks, the
# line end (or the end of the text).
_BOUNDARY_TAIL = re.compile(r"(--)?[ \t]*(?:\r\n|\r|\n|\Z)")
_NEXT_LINE_END = re.compile(r"[\r\n]")
_MULTIPART_ENCODINGS = ("7bit", "8bit", "binary")
_MAX_DEPTH = 8  # deeper nesting is left to the stdlib


def parse_compat32(raw: bytes) -> StdlibMessage:
    """Exactly `email.message_from_bytes(raw)` (see the module docstring)."""
    text = raw.decode("ascii", "surrogateescape")  # as BytesParser does
    plain = _plain_part(text, 0, len(text))
    if plain is None:
        return email.message_from_bytes(raw)
    root, body_start = plain
    maintype = root.get_content_maintype()
    if maintype == "multipart":
        if _split_multipart(root, text, body_start, len(text)):
            return root
        return email.message_from_bytes(raw)
    if maintype == "message":
        return email.message_from_bytes(raw)
    root.set_payload(text[body_start:])
    return root


def _plain_part(text: str, start: int, stop: int) -> tuple[StdlibMessage, int] | None:
    """The headers of the entity text[start:stop], and where its body starts; None when
    its header block is not plain."""
    if start < stop and text[start] in " \t":  # a continuation line first
        return None
    end = _PLAIN_HEADER_LINES.match(text, start, stop).end()
    body_start = end
    if end < stop:
        blank = _LINE_END.match(text, end, stop)
        if blank is None:  # a line that is no header ends the headers: not blank
            return None
        body_start = blank.end()
    message = StdlibMessage()
    for name, value in _HEADER_FIELD.findall(text, start, end):
        message.set_raw(name, value)
    return message, body_start


def _boundary_lines(text: str, start: int, stop: int, separator: str) -> list[tuple]:
    """(start, end, closing) of each boundary line in text[start:stop]."""
    found = []
    pos = text.find(separator, start, stop)
    while pos != -1:
        if pos == 0 or text[pos - 1] in "\r\n":
            tail = _BOUNDARY_TAIL.match(text, pos + len(separator), stop)
            if tail is not None:
                found.append((pos, tail.end(), tail[1] is not None))
                pos = text.find(separator, tail.end(), stop)
                continue
        line_end = _NEXT_LINE_END.search(text, pos, stop)  # the next line may hold one
        if line_end is None:
            break
        pos = text.find(separator, line_end.end(), stop)
    return found


def _without_final_line_end(text: str) -> str:
    """`text` without its last \\r\\n, \\r or \\n (the feedparser strips that one)."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith(("\r", "\n")) else text


def _split_multipart(root: StdlibMessage, text: str, start: int, stop: int, depth: int = 0) -> bool:
    """Attach the parts of the multipart `root`, whose body is text[start:stop], as the
    feedparser would; False (and `root` is to be dropped) when its structure is not the
    simple one of the module docstring."""
    boundary = root.get_boundary()
    if boundary is None or root.get_content_subtype() == "digest":
        return False
    lines = _boundary_lines(text, start, stop, "--" + boundary)
    if not lines or lines[0][2]:  # no boundary, or a closing one first
        return False
    if str(root.get("content-transfer-encoding", "8bit")).lower() not in _MULTIPART_ENCODINGS:
        root.defects.append(errors.InvalidMultipartContentTransferEncodingDefect())
    if lines[0][0] > start:
        root.preamble = _without_final_line_end(text[start : lines[0][0]])
    for n, (_start, part_start, closing) in enumerate(lines):
        if closing:  # what follows its line is the epilogue
            root.epilogue = text[part_start:stop]
            return True
        part_stop = lines[n + 1][0] if n + 1 < len(lines) else stop
        if part_stop == part_start:  # two boundary lines in a row, or one at the end
            return False
        part = _part(text, part_start, part_stop, depth)
        if part is None:
            return False
        root.attach(part)
    root.defects.append(errors.CloseBoundaryNotFoundDefect())
    return True


def _part(text: str, start: int, stop: int, depth: int) -> StdlibMessage | None:
    """One part of a multipart, text[start:stop]; the line end before the next boundary
    belongs to the boundary, not to the part's payload (or its epilogue)."""
    plain = _plain_part(text, start, stop)
    if plain is None:
        return None
    part, body_start = plain
    maintype = part.get_content_maintype()
    if maintype == "message":
        return None
    if maintype != "multipart":
        part.set_payload(_without_final_line_end(text[body_start:stop]))
        return part
    if depth >= _MAX_DEPTH or not _split_multipart(part, text, body_start, stop, depth + 1):
        return None
    if part.epilogue == "":
        part.epilogue = None
    elif part.epilogue is not None:
        part.epilogue = _without_final_line_end(part.epilogue)
    return part
