"""The MIME tree: parts with stable paths, lenient content types, payload decoding.

Paths: the top-level entity is "1", its children "1.1", "1.2", theirs "1.2.1", ...
Content types, charsets and transfer encodings are read leniently (spam gets them wrong)
and every guess is a defect (collected in `mime.defects`, see `structure.py`). Work is bounded: nesting depth, number
of parts and decoded bytes per part.
"""

from __future__ import annotations

import binascii
import email
import re
from email.message import Message as StdlibMessage
from typing import NamedTuple

from checker.extract.decoding import (
    decode_text,
    decode_words,
    header_text,
    html_charset,
    normalize_newlines,
)
from checker.message import Message

MAX_DEPTH = 50
MAX_PARTS = 2000
MAX_PART_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 4 * 1024 * 1024

_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`{|}~\-]+"
_CONTENT_TYPE = re.compile(rf"\s*({_TOKEN})\s*/\s*({_TOKEN})\s*(;|$)?")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_KNOWN_TRANSFER_ENCODINGS = ("7bit", "8bit", "binary", "")


class Part(NamedTuple):
    index: int
    path: str
    node: StdlibMessage
    content_type: str  # "maintype/subtype", lowercase
    charset: str | None
    disposition: str | None  # "inline", "attachment" or None
    children: tuple[int, ...]
    in_attached_message: bool  # inside a message/rfc822 part
    defects: tuple[str, ...]
    transfer_encoding: str | None = None  # the Content-Transfer-Encoding header as written


def _mime_headers(node: StdlibMessage) -> dict[str, str]:
    """The first Content-Type, Content-Disposition and Content-Transfer-Encoding of a
    part, by lowercase name, as `str(node.get(name))` gives them (`node.get` would
    lowercase every header name on each call)."""
    found: dict[str, str] = {}
    for name, value in node.raw_items():
        key = name.lower()
        if key in _MIME_HEADERS and key not in found:
            found[key] = str(node.policy.header_fetch_parse(name, value))
    return found


_MIME_HEADERS = frozenset(("content-type", "content-disposition", "content-transfer-encoding"))


def _content_type(value: str | None, parent_type: str | None, where: str):
    """(content type, charset, defects) read leniently from a Content-Type header value."""
    default = "message/rfc822" if parent_type == "multipart/digest" else "text/plain"
    if value is None:
        return default, None, []
    charset_match = _CHARSET.search(value)
    charset = charset_match.group(1) if charset_match else None
    match = _CONTENT_TYPE.match(value)
    if match is None:
        shown = _shown(value, where)
        return default, charset, [f"{where} has the invalid Content-Type \"{shown}\"; read as {default}"]
    ctype = f"{match.group(1)}/{match.group(2)}".lower()
    if match.group(3) is None:
        shown = _shown(value, where)
        return ctype, charset, [f"{where} has the malformed Content-Type \"{shown}\"; read as {ctype}"]
    return ctype, charset, []


def _shown(value: str, where: str) -> str:
    """A header value as quoted in a defect message."""
    return header_text(value, None, where)[0].strip()[:80]


def _disposition(value: str | None) -> str | None:
    if not value:
        return None
    word = value.split(";", 1)[0].strip().lower()
    return word if word in ("inline", "attachment") else None


def _build_parts(msg: Message) -> list[Part]:
    """Walk the compat32 tree depth-first without recursion, within the bounds."""
    parts: list[Part] = []
    children_of: dict[int, list[int]] = {}
    stack = [(msg.parsed, "1", None, None, False, 0)]
    while stack and len(parts) < MAX_PARTS:
        node, path, parent, parent_type, in_message, depth = stack.pop()
        where = f"part {path}"
        headers = _mime_headers(node)
        ctype, charset, defects = _content_type(headers.get("content-type"), parent_type, where)
        defects += [f"{type(d).__name__} in {where}" for d in getattr(node, "defects", [])]
        kids = node.get_payload() if node.is_multipart() else []
        if not isinstance(kids, list):
            kids = []
        if not kids and ctype.startswith("multipart/"):
            kids, boundary = _recover_parts(node, ctype)
            if kids:
                defects.append(f"{ctype} {where}: its declared boundary never occurs; the parts "
                               f"were read at the boundary the message uses (\"{boundary}\"), as "
                               "mail programs do")
            else:
                defects.append(f"{ctype} {where} has no parts; its body is read as plain text")
        if kids and depth >= MAX_DEPTH:
            defects.append(f"MIME nesting deeper than {MAX_DEPTH} levels at {where}; not read")
            kids = []
        index = len(parts)
        disposition = _disposition(headers.get("content-disposition"))
        parts.append(
            Part(index, path, node, ctype, charset, disposition, (), in_message, tuple(defects),
                 headers.get("content-transfer-encoding"))
        )
        if parent is not None:
            children_of.setdefault(parent, []).append(index)
        inner = in_message or ctype == "message/rfc822"
        for n in range(len(kids) - 1, -1, -1):
            if isinstance(kids[n], StdlibMessage):
                stack.append((kids[n], f"{path}.{n + 1}", index, ctype, inner, depth + 1))
    if stack:
        parts[0] = parts[0]._replace(
            defects=parts[0].defects + (f"more than {MAX_PARTS} MIME parts; the rest not read",)
        )
    return [p._replace(children=tuple(children_of[p.index])) if p.index in children_of else p
            for p in parts]


# A delimiter line ("--" and a boundary) followed by a part's headers.
_USED_BOUNDARY = re.compile(
    r"^--([^\s\\]{1,70}?)[ \t]*\r?\n(?=(?:[ \t]*\r?\n)?content-(?:type|transfer-encoding|disposition)[ \t]*:)",
    re.IGNORECASE | re.MULTILINE)
RECOVERY_SCAN_CHARS = 64 * 1024  # where the first delimiter line is looked for


def _recover_parts(node: StdlibMessage, ctype: str) -> tuple[list, str | None]:
    """The parts of a multipart whose declared boundary never occurs, read at the boundary
    the body actually uses (a delimiter line followed by part headers); ([], None) when
    there is none."""
    body = node.get_payload()
    if not isinstance(body, str):
        return [], None
    found = _USED_BOUNDARY.search(body, 0, RECOVERY_SCAN_CHARS)
    if not found or found.group(1) == node.get_boundary():
        return [], None
    boundary = found.group(1)
    rebuilt = email.message_from_string(
        f'Content-Type: {ctype}; boundary="{boundary}"\n\n{body}')
    kids = rebuilt.get_payload() if rebuilt.is_multipart() else []
    return (kids, boundary) if isinstance(kids, list) and kids else ([], None)


def mime_parts(msg: Message) -> list[Part]:
    return msg.memo("mime_parts", _build_parts)


def filename(part: Part) -> str | None:
    """The decoded filename (Content-Disposition filename or Content-Type name)."""
    try:
        name = part.node.get_filename()
    except Exception:
        return None
    if not name:
        return None
    text = header_text(str(name), None, f"the filename of part {part.path}")[0]
    return decode_words(text, f"the filename of part {part.path}")[0].strip() or None


# ---------------------------------------------------------------- payload decoding

def _base64(data: bytes, where: str) -> tuple[bytes, list[str]]:
    try:
        return binascii.a2b_base64(data), []
    except binascii.Error:
        pass
    clean = _NOT_BASE64.sub(b"", data)
    if len(clean) % 4 == 1:
        clean = clean[:-1]
    clean += b"=" * (-len(clean) % 4)
    try:
        decoded = binascii.a2b_base64(clean)
    except binascii.Error:
        return data, [f"the base64 encoding of {where} cannot be decoded; kept as written"]
    return decoded, [f"the base64 encoding of {where} is damaged; what could be decoded was kept"]


def _transfer_decode(part: Part) -> tuple[bytes, list[str]]:
    where = f"part {part.path}"
    # The stored payload itself: `get_payload()` would decode surrogate-escaped 8-bit
    # bytes with the declared charset and replace what fails, losing the original bytes.
    payload = part.node._payload
    if not isinstance(payload, str | bytes):
        return b"", []
    data = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogateescape")
    defects = []
    if len(data) > MAX_PART_BYTES:
        data = data[:MAX_PART_BYTES]
        defects.append(f"{where} larger than {MAX_PART_BYTES} bytes; truncated")
    encoding = (part.transfer_encoding or "").strip().lower()
    if encoding == "base64":
        decoded, problems = _base64(data, where)
        return decoded, defects + problems
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data), defects
    if encoding in ("x-uuencode", "uuencode", "uue", "x-uue"):
        decoded = part.node.get_payload(decode=True)
        return (decoded if isinstance(decoded, bytes) else data), defects
    if encoding not in _KNOWN_TRANSFER_ENCODINGS:
        shown = header_text(encoding, None, where)[0][:40]
        defects.append(f"{where} declares the unknown Content-Transfer-Encoding \"{shown}\"; "
                       "read as unencoded")
    return data, defects


def part_bytes(msg: Message, part: Part) -> tuple[bytes, list[str]]:
    """A leaf's payload with its transfer encoding removed, plus defects (memoized)."""
    return msg.memo(("part_bytes", part.path), lambda m: _transfer_decode(part))


def _charset_to_use(part: Part, data: bytes) -> tuple[str | None, list[str]]:
    """The part's MIME charset, or for HTML the <meta> one when the label is unusable."""
    if part.content_type != "text/html":
        return part.charset, []
    return html_charset(data, part.charset, f"part {part.path}")


def part_text(msg: Message, part: Part) -> tuple[str, list[str]]:
    """A text leaf decoded to str (charset with fallbacks, line ends as \\n), memoized.
    The defects returned are the charset ones (transfer-encoding ones: `part_bytes`)."""

    def compute(m: Message) -> tuple[str, list[str]]:
        data = part_bytes(m, part)[0]
        charset, problems = _charset_to_use(part, data)
        text, decode_problems = decode_text(data, charset, f"part {part.path}")
        problems += decode_problems
        text = normalize_newlines(text)
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            problems.append(f"text of part {part.path} longer than {MAX_TEXT_CHARS}; truncated")
        return text, problems

    return msg.memo(("part_text", part.path), compute)


def is_leaf(part: Part) -> bool:
    """No child parts. A multipart whose parts could not be split (no boundary found)
    is a leaf too: its whole body is one undecoded payload."""
    return not part.children


def body_kind(part: Part) -> str | None:
    """'plain' or 'html' for a leaf a mail client shows as the message body, else None.

    A multipart that could not be split is shown as plain text, as simple clients do,
    so nothing it says is silently lost."""
    if not is_leaf(part) or part.disposition == "attachment" or part.in_attached_message:
        return None
    if part.content_type == "text/html":
        return "html"
    if part.content_type == "text/plain" or part.content_type.startswith("multipart/"):
        return "plain"
    return None


def is_body_text(part: Part) -> bool:
    return body_kind(part) is not None
