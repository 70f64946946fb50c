"""Every way a message reaches spamlaw, as one iterator of `SourceItem`s.

Inputs: a single message file, a folder (recursive), an mbox, a Maildir, an ARF abuse
report (RFC 5965) in any of those, and `-` for standard input. Each item carries the exact
bytes of one message, their SHA-256 and a stable source id. Count in = count out: every
input path gives at least one item, and bad input (missing, unreadable, empty, too large,
not a message) becomes an item with `error` set, never an exception and never a silent drop.
The only things skipped on purpose are hidden entries in folders (`.name`), a Maildir's
`tmp/` (messages still being delivered) and the bookkeeping files in a Maildir's root
(`dovecot-uidlist`, `maildirfolder`, ...).

Decisions worth knowing (they fix what a hash means):

* **A file with one envelope line is one message, hashed as stored.** Many `.eml` files
  start with an mbox envelope line (`From addr  Thu Aug 22 13:17:22 2002`). Such a file
  is format "eml": `raw` is the whole file, byte for byte (the evidence is the file), and
  the envelope line is also copied into `metadata["envelope_from"]`. A file is read as an
  mbox only when it starts with an envelope line and holds two or more messages, or is
  named `*.mbox`, `*.mbx` or `mbox` (then even a single message gets the id `path#1`).
* **An mbox message is a contiguous byte range of the mbox file.** A message starts after
  its envelope line and ends before the blank line that precedes the next envelope line
  (or before the final blank line of the file): the blank separator belongs to the mbox
  format. For an LF mbox whose writer quoted body `From ` lines this is exactly what
  Python's `mailbox.mbox(...).get_bytes(i)` returns, so the other side can reproduce every
  hash with the standard library (or `dd`: `metadata["mbox_offset"]` says where the bytes
  are). A new message starts only at a `From ` line that follows a blank line and looks
  like an envelope (sender, then a time), so an unquoted "From here on ..." paragraph
  does not split a message.
* **`>From ` unquoting is opt-in (`mbox_unescape`).** The mbox dialects cannot be told
  apart from the content: mboxo writers (Python's `mailbox`, procmail, Postfix local)
  quote only `From ` lines, so an original `>From ` line is stored unchanged and cannot be
  told from a quoted one; mboxrd writers quote `>*From `. Unquoting therefore rewrites
  lines that may have been in the message as received (the SpamAssassin corpus mbox has
  27 such `>From `/`>>From ` lines in 25 messages, all present in the `.eml` files as stored). The default `"none"` keeps the stored
  bytes; `"mboxrd"` strips one `>` from every `>+From ` line and `"mboxo"` turns `>From `
  into `From `. The mode used is recorded in `metadata["mbox_unescape"]`.
* **ARF reports yield the reported message.** A message whose top-level type is
  `multipart/report; report-type=feedback-report` becomes ONE item whose `raw` is the
  embedded original (`message/rfc822` or `text/rfc822-headers`), its transfer encoding
  (base64, quoted-printable) undone and otherwise the bytes as they stand in the report.
  The feedback fields and the SHA-256 of the whole report go to `metadata["arf"]`; the
  source id stays that of the report.
* **Mail is recognised by content, not by name.** A message must start with a header
  line (`Name: value`) and its header block must hold at least one of From, To, Cc,
  Subject, Date, Message-ID, Received, Return-Path, Sender, Reply-To or Delivered-To.
* **Memory stays bounded.** A file larger than `max_bytes` is never read whole: an mbox
  that size is memory-mapped and cut into messages, anything else is reported as too
  large. Standard input larger than `max_bytes` is spooled to a temporary file.
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import itertools
import mmap
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import BinaryIO

from checker.message import Message

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
UNESCAPE_MODES = ("none", "mboxrd", "mboxo")

_LF, _CR = 0x0A, 0x0D
_HEAD_WINDOW = 64 * 1024  # how much of a message the content checks look at
# An mbox envelope line: "From <sender> <date with a time>", e.g.
# "From MAILER-DAEMON Thu Jan  1 00:00:00 1970" or "From - Thu Aug 22 13:17:22 2002".
_ENVELOPE = re.compile(rb"From \S+[ \t].*\d\d?:\d\d")
# A header field name (RFC 7230 token characters) followed by a colon.
_HEADER_LINE = re.compile(rb"[A-Za-z0-9!#$%&'*+.^_`|~-]+[ \t]*:")
_MAIL_HEADER = re.compile(
    rb"(?im)(?:^|\r)(?:from|to|cc|subject|date|message-id|received|return-path|sender"
    rb"|reply-to|delivered-to)[ \t]*:"
)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_REPORT_TYPE = re.compile(rb"(?i)multipart/report")
_UNESCAPE = {
    "mboxrd": re.compile(rb"(?m)^>(>*From )"),
    "mboxo": re.compile(rb"(?m)^>(From )"),
}
_MBOX_SUFFIXES = (".mbox", ".mbx")
_ARF_ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers")
_NO_ORIGINAL = "ARF report without the original message"


@dataclass(frozen=True)
class SourceItem:
    """One message from one input, or one input that could not be read as a message."""

    source_id: str  # "path", "path#N" (N-th mbox message, 1-based), "-" or "-#N" for stdin
    raw: bytes  # exact bytes of the message (empty on error)
    sha256: str  # hex SHA-256 of raw
    size: int  # len(raw)
    # format ("eml", "mbox", "maildir", "arf", "stdin"), path; mbox: index, envelope_from,
    # mbox_offset (where the message, for ARF the report, starts in the file), mbox_unescape;
    # maildir: maildir_subdir, maildir_flags; arf: container_format and arf {feedback_type,
    # user_agent, version, arrival_date, source_ip, original_mail_from, original_rcpt_to [],
    # reported_domain [], reported_uri [], original_kind, report_sha256, report_size}.
    metadata: dict
    error: str | None = None  # one clear line when the input is not a usable message

    def message(self) -> Message:
        """The lazy `Message` view of this item (only for items without an error)."""
        if self.error is not None:
            raise ValueError(f"{self.source_id}: {self.error}")
        return Message(self.raw, source_id=self.source_id, metadata=self.metadata)


@dataclass(frozen=True)
class _Options:
    max_bytes: int
    mbox_unescape: str


def iter_sources(
    inputs: Iterable[str | os.PathLike],
    *,
    stdin: BinaryIO | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mbox_unescape: str = "none",
) -> Iterator[SourceItem]:
    """Yield one `SourceItem` per message found in `inputs`, in a deterministic order.

    `-` reads `stdin` (default `sys.stdin.buffer`). Never raises for bad input: each
    problem becomes an item with `error` set, and every input gives at least one item.
    """
    if mbox_unescape not in UNESCAPE_MODES:
        raise ValueError(f"mbox_unescape must be one of {', '.join(UNESCAPE_MODES)}")
    options = _Options(max_bytes=max_bytes, mbox_unescape=mbox_unescape)
    for name in _input_names(inputs):
        yield from _guarded(name, stdin, options)


def count_sources(inputs: Iterable[str | os.PathLike]) -> int | None:
    """How many items `iter_sources(inputs)` will yield (for a progress bar).

    Exact for files, folders and mboxes that keep their size while being read; None when
    the inputs include stdin, whose size cannot be known in advance.
    """
    names = list(_input_names(inputs))
    if "-" in names:
        return None
    return sum(_count_input(name) for name in names)


# --- inputs ---------------------------------------------------------------------------


def _input_names(inputs) -> Iterator[str]:
    if isinstance(inputs, str | bytes | os.PathLike):
        inputs = [inputs]
    for given in inputs:
        yield os.fsdecode(given)


def _guarded(name: str, stdin: BinaryIO | None, options: _Options) -> Iterator[SourceItem]:
    """The items of one input; whatever goes wrong, at least one item comes out."""
    produced = 0
    try:
        for item in _items_for_input(name, stdin, options):
            produced += 1
            yield item
    except Exception as exc:  # hostile input must never stop a batch
        produced += 1
        yield _error(name, f"internal error while reading: {type(exc).__name__}: {exc}", {})
    if produced == 0:
        yield _error(name, "no message files found in folder", {"format": "folder", "path": name})


def _items_for_input(name: str, stdin: BinaryIO | None, options: _Options):
    if name == "-":
        stream = stdin or sys.stdin.buffer
        yield from _stream_items(stream, "-", {"format": "stdin", "path": "-"}, options)
        return
    meta = {"format": "eml", "path": name}
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        yield _error(name, "not found: no such file or directory", meta)
        return
    except OSError as exc:
        yield _error(name, f"unreadable: {exc.strerror or exc}", meta)
        return
    if stat.S_ISDIR(mode):
        yield from _folder_items(name, options)
    elif stat.S_ISREG(mode):
        yield from _file_items(name, meta, options)
    else:  # a pipe or device named on the command line, e.g. <(zcat x.mbox)
        try:
            with open(name, "rb") as stream:
                yield from _stream_items(stream, name, meta, options)
        except OSError as exc:
            yield _error(name, f"unreadable: {exc.strerror or exc}", meta)


def _file_items(path: str, meta: dict, options: _Options) -> Iterator[SourceItem]:
    """Items from one regular file: a message, an mbox, or an error."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        yield _error(path, f"unreadable: {exc.strerror or exc}", meta)
        return
    with handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                yield _error(path, "empty file", meta)
                return
            if size <= options.max_bytes:
                buffer = handle.read()
            elif _starts_with_envelope(handle.read(1024)):
                buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            else:
                too_large = _too_large(size, options.max_bytes)
                yield _error(path, too_large, {**meta, "input_size": size})
                return
        except OSError as exc:
            yield _error(path, f"unreadable: {exc.strerror or exc}", meta)
            return
        try:
            yield from _buffer_items(buffer, path, meta, _is_mbox_name(path), options)
        finally:
            if isinstance(buffer, mmap.mmap):
                buffer.close()


def _stream_items(stream: BinaryIO, source_id: str, meta: dict, options: _Options):
    """Items from a stream (stdin, a pipe): held in memory up to max_bytes, spooled beyond."""
    try:
        head = _read_up_to(stream, options.max_bytes + 1)
    except OSError as exc:
        yield _error(source_id, f"unreadable: {exc.strerror or exc}", meta)
        return
    if not head:
        yield _error(source_id, "empty input", meta)
        return
    if len(head) <= options.max_bytes:
        yield from _buffer_items(head, source_id, meta, False, options)
        return
    with tempfile.TemporaryFile(prefix="spamlaw-stdin-") as spool:
        spool.write(head)
        del head
        shutil.copyfileobj(stream, spool)
        spool.flush()
        with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
            yield from _buffer_items(buffer, source_id, meta, False, options)


def _read_up_to(stream: BinaryIO, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit:
        chunk = stream.read(min(limit - total, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _buffer_items(buffer, source_id: str, meta: dict, named_mbox: bool, options: _Options):
    """Items from the whole content of one input (bytes or an mmap)."""
    if not _starts_with_envelope(buffer[:1024]):
        if len(buffer) > options.max_bytes:
            yield _error(source_id, _too_large(len(buffer), options.max_bytes), meta)
        else:
            yield _finish(bytes(buffer), source_id, meta, options)
        return
    spans = _mbox_spans(buffer)
    first = next(spans)
    second = next(spans, None)
    if second is None and not named_mbox:
        meta = {**meta, "envelope_from": _envelope_text(buffer, first)}
        if len(buffer) > options.max_bytes:
            yield _error(source_id, _too_large(len(buffer), options.max_bytes), meta)
        else:
            yield _finish(bytes(buffer), source_id, meta, options)
        return
    messages = itertools.chain([first], [] if second is None else [second], spans)
    for index, span in enumerate(messages, start=1):
        yield _mbox_item(buffer, span, index, source_id, meta, options)


def _mbox_item(buffer, span, index: int, container_id: str, meta: dict, options: _Options):
    _, body_start, body_end = span
    source_id = f"{container_id}#{index}"
    meta = {
        **meta,
        "format": "mbox",
        "index": index,
        "envelope_from": _envelope_text(buffer, span),
        "mbox_offset": body_start,
        "mbox_unescape": options.mbox_unescape,
    }
    if body_end - body_start > options.max_bytes:
        return _error(source_id, _too_large(body_end - body_start, options.max_bytes), meta)
    if body_end == body_start:
        return _error(source_id, "empty message", meta)
    raw = buffer[body_start:body_end]
    pattern = _UNESCAPE.get(options.mbox_unescape)
    if pattern is not None and b">From " in raw:
        raw = pattern.sub(rb"\1", raw)
    return _finish(raw, source_id, meta, options)


# --- mbox -----------------------------------------------------------------------------


def _starts_with_envelope(head: bytes) -> bool:
    if not head.startswith(b"From "):
        return False
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    return _ENVELOPE.match(line) is not None


def _is_mbox_name(path: str) -> bool:
    name = os.path.basename(path).lower()
    return name == "mbox" or name.endswith(_MBOX_SUFFIXES)


def _mbox_spans(buffer) -> Iterator[tuple[int, int, int]]:
    """(envelope_start, body_start, body_end) of each message; `buffer` starts with an envelope."""
    size = len(buffer)
    start = 0
    while True:
        newline = buffer.find(b"\n", start)
        body_start = size if newline < 0 else newline + 1
        separator = _next_separator(buffer, body_start)
        if separator is None:
            blank = _blank_line_ending_at(buffer, size, body_start)
            yield start, body_start, size if blank is None else blank
            return
        body_end, next_start = separator
        yield start, body_start, body_end
        start = next_start


def _next_separator(buffer, floor: int) -> tuple[int, int] | None:
    """(end of this message, start of next envelope line), or None if this is the last one."""
    found = buffer.find(b"\nFrom ", floor)
    while found >= 0:
        blank = _blank_line_ending_at(buffer, found + 1, floor)
        if blank is not None:
            line_end = buffer.find(b"\n", found + 1)
            line = buffer[found + 1 : line_end if line_end >= 0 else len(buffer)]
            if _ENVELOPE.match(line.rstrip(b"\r")):
                return blank, found + 1
        found = buffer.find(b"\nFrom ", found + 1)
    return None


def _blank_line_ending_at(buffer, end: int, floor: int) -> int | None:
    """Start of the blank line ("\\n" or "\\r\\n") that ends at `end`, not before `floor`."""
    if end - 1 < floor or buffer[end - 1] != _LF:
        return None
    if end - 1 == floor or buffer[end - 2] == _LF:
        return end - 1
    if buffer[end - 2] == _CR and end - 2 >= floor and (end - 2 == floor or buffer[end - 3] == _LF):
        return end - 2
    return None


def _envelope_text(buffer, span) -> str:
    envelope_start, body_start, _ = span
    return buffer[envelope_start:body_start].rstrip(b"\r\n").decode("utf-8", "replace")


# --- folders and Maildir --------------------------------------------------------------


def _folder_items(root: str, options: _Options) -> Iterator[SourceItem]:
    for path, meta, problem in _walk(root, set()):
        if problem is not None:
            yield _error(path, problem, meta)
        else:
            yield from _file_items(path, meta, options)


def _walk(directory: str, seen: set[str]) -> Iterator[tuple[str, dict, str | None]]:
    """(path, metadata, problem) for every file under `directory`, sorted by path parts.

    Depth-first with the entries of each folder sorted by name is the same order as
    sorting all paths by their parts. Symbolic links are followed, loops are cut.
    """
    try:
        real = os.path.realpath(directory)
        if real in seen:
            return
        seen.add(real)
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        problem = f"unreadable folder: {exc.strerror or exc}"
        yield directory, {"format": "folder", "path": directory}, problem
        return
    if _is_maildir(entries):
        yield from _walk_maildir(entries, seen)
        return
    for entry in entries:
        if not entry.name.startswith("."):
            yield from _walk_entry(entry, seen, {"format": "eml"})


def _walk_entry(entry: os.DirEntry, seen: set[str], meta: dict):
    meta = {**meta, "path": entry.path}
    try:
        if entry.is_dir():
            yield from _walk(entry.path, seen)
            return
        if entry.is_file():
            yield entry.path, meta, None
            return
        broken_link = entry.is_symlink()
    except OSError as exc:
        yield entry.path, meta, f"unreadable: {exc.strerror or exc}"
        return
    yield entry.path, meta, "broken symbolic link" if broken_link else "not a regular file"


def _subdirectory_names(entries: list[os.DirEntry]) -> set[str]:
    names = set()
    for entry in entries:
        try:
            if entry.is_dir():
                names.add(entry.name)
        except OSError:
            pass
    return names


def _is_maildir(entries: list[os.DirEntry]) -> bool:
    """cur/ and new/, or one of them with tmp/ (git and archives drop empty folders)."""
    names = _subdirectory_names(entries) & {"cur", "new", "tmp"}
    return {"cur", "new"} <= names or ("tmp" in names and len(names) >= 2)


def _walk_maildir(entries: list[os.DirEntry], seen: set[str]):
    """A Maildir: cur/ and new/ (tmp/ holds unfinished deliveries), Maildir++ `.Sub` folders,
    and any other plain subfolder. Files in the Maildir's root are its bookkeeping."""
    directories = _subdirectory_names(entries)
    for entry in entries:
        if entry.name not in directories or entry.name == "tmp":
            continue
        if entry.name in ("cur", "new"):
            yield from _maildir_subdir(entry.path, entry.name)
        elif not entry.name.startswith("."):
            yield from _walk(entry.path, seen)
        elif _is_maildir_path(entry.path):
            yield from _walk(entry.path, seen)


def _is_maildir_path(path: str) -> bool:
    try:
        with os.scandir(path) as listing:
            return _is_maildir(list(listing))
    except OSError:
        return False


def _maildir_subdir(path: str, subdir: str):
    try:
        with os.scandir(path) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        yield path, {"format": "maildir", "path": path}, f"unreadable folder: {exc.strerror or exc}"
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        flags = entry.name.rpartition(":2,")[2] if ":2," in entry.name else ""
        meta = {"format": "maildir", "maildir_subdir": subdir, "maildir_flags": flags}
        yield from _walk_entry(entry, seen=set(), meta=meta)


# --- one message ----------------------------------------------------------------------


def _finish(raw: bytes, source_id: str, meta: dict, options: _Options) -> SourceItem:
    """Check that `raw` is a message, unwrap an ARF report, and make the item."""
    try:
        problem = _not_a_message(raw)
        if problem is not None:
            return _error(source_id, problem, meta)
        if _REPORT_TYPE.search(_header_block(raw)):
            return _arf_item(raw, source_id, meta)
        return _item(raw, source_id, meta)
    except Exception as exc:  # one bad message must not end an mbox
        return _error(source_id, f"internal error while reading: {type(exc).__name__}: {exc}", meta)


def _not_a_message(raw: bytes) -> str | None:
    """Why `raw` is not an email message, or None if it looks like one."""
    head = raw[:_HEAD_WINDOW]
    if _starts_with_envelope(head):
        head = head.partition(b"\n")[2]
    if not head.strip():
        return "empty message"
    if not _HEADER_LINE.match(head):
        return "not an email message (no header lines)"
    if not _MAIL_HEADER.search(_header_block(head)):
        return "not an email message (no From, To, Subject, Date, Message-ID or Received header)"
    return None


def _header_block(raw: bytes) -> bytes:
    """The header section of `raw` (within the first 64 KiB)."""
    head = raw[:_HEAD_WINDOW]
    end = _HEADER_END.search(head)
    return head if end is None else head[: end.start()]


def _split_header_body(raw: bytes) -> tuple[bytes, bytes]:
    if raw.startswith((b"\n", b"\r\n")):
        return b"", raw[raw.index(b"\n") + 1 :]
    end = _HEADER_END.search(raw)
    return (raw, b"") if end is None else (raw[: end.start()], raw[end.end() :])


# --- ARF (RFC 5965) -------------------------------------------------------------------


def _arf_item(report: bytes, source_id: str, meta: dict) -> SourceItem:
    """The original message inside a feedback report, or the message itself if not ARF."""
    header_bytes, body = _split_header_body(report)
    top = BytesHeaderParser().parsebytes(header_bytes)
    report_type = str(top.get_param("report-type", "") or "").lower()
    if top.get_content_type() != "multipart/report" or report_type != "feedback-report":
        return _item(report, source_id, meta)
    feedback, original_kind, original = None, None, None
    boundary = top.get_boundary()
    # An 8-bit boundary comes back with U+FFFD in it and then matches nothing: no parts.
    for part in _raw_parts(body, boundary.encode("utf-8", "surrogateescape")) if boundary else []:
        part_headers, part_body = _split_header_body(part)
        headers = BytesHeaderParser().parsebytes(part_headers)
        kind = headers.get_content_type()
        encoding = str(headers.get("content-transfer-encoding", "")).strip().lower()
        if kind == "message/feedback-report" and feedback is None:
            feedback = _decode_transfer(part_body, encoding)
        elif kind in _ARF_ORIGINAL_TYPES and original is None:
            original_kind, original = kind, _decode_transfer(part_body, encoding)
    arf = {
        **_feedback_fields(feedback),
        "original_kind": original_kind,
        "report_sha256": hashlib.sha256(report).hexdigest(),
        "report_size": len(report),
    }
    meta = {**meta, "format": "arf", "container_format": meta.get("format"), "arf": arf}
    if not original or not original.strip():
        return _error(source_id, _NO_ORIGINAL, meta)
    problem = _not_a_message(original)
    if problem is not None:
        return _error(source_id, f"ARF original: {problem}", meta)
    return _item(original, source_id, meta)


def _raw_parts(body: bytes, boundary: bytes) -> list[bytes]:
    """The exact bytes of each body part of a multipart body (RFC 2046 delimiters)."""
    delimiter = re.compile(rb"(?m)^--" + re.escape(boundary) + rb"(--)?[ \t]*\r?$")
    found = list(delimiter.finditer(body))
    parts = []
    for current, following in zip(found, [*found[1:], None], strict=False):
        if current.group(1):  # close delimiter
            break
        start = current.end() + (1 if body[current.end() : current.end() + 1] == b"\n" else 0)
        end = len(body) if following is None else following.start()
        if following is not None:  # the line break before a delimiter belongs to it
            end -= 2 if body[end - 2 : end] == b"\r\n" else 1 if body[end - 1 : end] == b"\n" else 0
        parts.append(body[start:max(start, end)])
    return parts


def _decode_transfer(data: bytes, encoding: str) -> bytes:
    """Undo a Content-Transfer-Encoding; other encodings (7bit, 8bit, binary) stay as they are."""
    if encoding == "base64":
        cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
        if len(cleaned) % 4 == 1:  # a lone sextet encodes no byte
            cleaned = cleaned[:-1]
        cleaned += b"=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return b""
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


def _feedback_fields(feedback: bytes | None) -> dict:
    """The machine-readable part of a feedback report (RFC 5965 section 3.1)."""
    fields = email.message_from_string((feedback or b"").decode("utf-8", "replace"))

    def one(*names: str) -> str | None:
        for name in names:
            value = fields.get(name)
            if value is not None:
                return " ".join(str(value).split())
        return None

    def every(name: str) -> list[str]:
        return [" ".join(str(value).split()) for value in fields.get_all(name, [])]

    return {
        "feedback_type": one("Feedback-Type"),
        "user_agent": one("User-Agent"),
        "version": one("Version"),
        "arrival_date": one("Arrival-Date", "Received-Date"),
        "source_ip": one("Source-IP"),
        "original_mail_from": one("Original-Mail-From"),
        "original_rcpt_to": every("Original-Rcpt-To"),
        "reported_domain": every("Reported-Domain"),
        "reported_uri": every("Reported-URI"),
    }


# --- items and counting ---------------------------------------------------------------


def _item(raw: bytes, source_id: str, meta: dict) -> SourceItem:
    return SourceItem(source_id, raw, hashlib.sha256(raw).hexdigest(), len(raw), meta)


def _error(source_id: str, problem: str, meta: dict) -> SourceItem:
    return SourceItem(source_id, b"", hashlib.sha256(b"").hexdigest(), 0, meta, problem)


def _too_large(size: int, limit: int) -> str:
    return f"too large: {_human_size(size)} > {_human_size(limit)} limit"


def _human_size(size: int) -> str:
    megabytes = size / (1024 * 1024)
    if size >= 1024 * 1024:
        return f"{megabytes:.0f} MB" if megabytes.is_integer() else f"{megabytes:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def _count_input(name: str) -> int:
    try:
        mode = os.stat(name).st_mode
    except OSError:
        return 1
    if stat.S_ISDIR(mode):
        counted = sum(
            1 if problem is not None else _count_file(path)
            for path, _, problem in _walk(name, set())
        )
        return max(counted, 1)
    return _count_file(name) if stat.S_ISREG(mode) else 1


def _count_file(path: str) -> int:
    """1, or the number of messages if the file is an mbox."""
    try:
        with open(path, "rb") as handle:
            if not _starts_with_envelope(handle.read(1024)):
                return 1
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
                count = sum(1 for _ in _mbox_spans(buffer))
    except (OSError, ValueError):
        return 1
    return count if count > 1 or _is_mbox_name(path) else 1
