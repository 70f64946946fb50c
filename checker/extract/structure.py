"""Structure fields: the MIME part list, attachments, defects and size."""

from __future__ import annotations

import hashlib

from checker.extract.body import html_analysis
from checker.extract.headers import header_defects
from checker.extract.mime import (
    Part,
    body_kind,
    filename,
    is_body_text,
    is_leaf,
    mime_parts,
    part_bytes,
    part_text,
)
from checker.fields import register
from checker.message import Message


@register(
    "mime.parts",
    "list[record]",
    "Every MIME entity in tree order; path '1' is the whole message, '1.2' its 2nd child.",
    item_fields={
        "path": ("text", "Position in the tree: 1, 1.1, 1.2, 1.2.1, ..."),
        "content_type": ("text", "maintype/subtype, lowercase (read leniently)."),
        "charset": ("text", "The declared charset parameter."),
        "disposition": ("text", "inline, attachment or None."),
        "filename": ("text", "The decoded filename or name parameter."),
        "size": ("int", "Decoded size in bytes (None for multipart containers)."),
    },
)
def mime_parts_field(msg: Message) -> list[dict]:
    out = []
    for part in mime_parts(msg):
        size = len(part_bytes(msg, part)[0]) if is_leaf(part) else None
        out.append(
            {
                "path": part.path,
                "content_type": part.content_type,
                "charset": part.charset,
                "disposition": part.disposition,
                "filename": filename(part),
                "size": size,
            }
        )
    return out


@register(
    "attachments",
    "list[record]",
    "Files carried by the message: leaves marked as attachments or that are not body text "
    "(inline images included); an attached message counts as one file.",
    item_fields={
        "name": ("text", "The decoded filename (None if none is given)."),
        "content_type": ("text", "maintype/subtype, lowercase."),
        "size": ("int", "Decoded size in bytes."),
        "sha256": ("text", "SHA-256 of the decoded bytes."),
    },
)
def attachments(msg: Message) -> list[dict]:
    out = []
    for part in mime_parts(msg):
        if part.in_attached_message or is_body_text(part):
            continue
        if part.content_type == "message/rfc822":
            data = _attached_message_bytes(part)
        elif is_leaf(part) and not part.content_type.startswith("multipart/"):
            data = part_bytes(msg, part)[0]
        else:
            continue
        out.append(
            {
                "name": filename(part),
                "content_type": part.content_type,
                "size": None if data is None else len(data),
                "sha256": None if data is None else hashlib.sha256(data).hexdigest(),
            }
        )
    return out


def _attached_message_bytes(part: Part) -> bytes | None:
    """An attached message/rfc822 serialised by the stdlib (None if that fails)."""
    try:
        inner = part.node.get_payload()
        node = inner[0] if isinstance(inner, list) and inner else None
        return node.as_bytes() if node is not None else None
    except Exception:
        return None


@register(
    "mime.defects",
    "list[text]",
    "Everything wrong with the message's structure or encoding that had to be worked "
    "around: stdlib parse defects, bad charsets, 8-bit headers, bad base64, ...",
)
def mime_defects(msg: Message) -> list[str]:
    out = [msg.parse_error] if msg.parse_error else []
    parts = mime_parts(msg)
    for part in parts:
        out.extend(part.defects)
    out.extend(header_defects(msg))
    for part in parts:
        if body_kind(part) == "html":
            error = getattr(html_analysis(msg, part), "error", None)
            if error:
                out.append(f"HTML of part {part.path} could not be analysed ({error}); "
                           "its text was read by stripping tags")
        if is_leaf(part):
            out.extend(part_bytes(msg, part)[1])
            if is_body_text(part):
                out.extend(part_text(msg, part)[1])
    return out


@register("size", "int", "Size of the raw message in bytes.")
def size(msg: Message) -> int:
    return msg.size
