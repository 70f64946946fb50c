"""The pictures a message shows, and the text read from those it carries.

A picture is an image of the HTML body as shown (`images`: remote, `cid:` or `data:`) or
an image part no shown HTML refers to (an attachment or inline image part, which mail
programs show below the text). Pictures are numbered from 1 in that order, the numbers the
`pictures` records and the evidence use ("picture 2").

The pictures the message carries (a `cid:` part, a `data:` URL, an image part) are read
with OCR (`checker.ocr`), bounded per picture and per message; remote pictures are never
fetched. `body.image_text` holds the text read, one record per picture with text, and the
detectors search it like the visible text (a picture's text is what its reader sees).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from urllib.parse import unquote

from checker import ocr
from checker.extract.body import body_leaves, html_analysis
from checker.extract.mime import body_kind, filename, mime_parts, part_bytes
from checker.fields import register
from checker.message import Message

MAX_PICTURES = 200  # records per message
MAX_READ = 8  # pictures read by OCR per message (the rest: a note, and they stay unread)
MESSAGE_OCR_SECONDS = 12.0  # OCR time per message, well inside the audit's time bound
MAX_DATA_URL_CHARS = ocr.MAX_PICTURE_BYTES * 4 // 3 + 4
_IMAGE_NAME = re.compile(r"\.(png|jpe?g|gif|bmp|webp|tiff?)$", re.IGNORECASE)
_DATA_URL = re.compile(r"data:(image/[\w.+-]+)?((?:;[\w.+-]+=[^;,]*)*)(;base64)?,", re.IGNORECASE)


@dataclass
class Picture:
    """One picture as the message shows it (see the module docstring)."""

    index: int
    source: str  # cid | data | attachment | remote | other
    src: str | None
    part: str | None  # MIME path of the part that carries it
    content_type: str | None
    alt: str = ""
    visible: bool = True
    hidden_reason: str | None = None
    declared_width: int | None = None
    declared_height: int | None = None
    usemap: bool = False
    text_after: int | None = None  # visible characters below it (None: after all the text)
    data: bytes | None = field(default=None, repr=False)
    reading: ocr.Reading | None = None
    note: str | None = None

    @property
    def width(self) -> int | None:
        return self.reading.width if self.reading and self.reading.width else self.declared_width

    @property
    def height(self) -> int | None:
        return self.reading.height if self.reading and self.reading.height else self.declared_height

    @property
    def read(self) -> bool:
        return self.reading is not None and self.reading.read

    def label(self) -> str:
        """'picture 2 (image/png, 600×120)', as findings name it."""
        details = [self.content_type or f"{self.source} image"]
        if self.width and self.height:
            details.append(f"{self.width}×{self.height}")
        return f"picture {self.index} ({', '.join(details)})"


def _content_id(part) -> str | None:
    value = part.node.get("Content-ID")
    return str(value).strip().strip("<>").strip() or None if value is not None else None


def _cid_of(url: str) -> str:
    return unquote(url[4:]).strip().strip("<>").strip()


def _is_image_part(part) -> bool:
    if part.children or part.in_attached_message or body_kind(part):
        return False
    if part.content_type.startswith("image/"):
        return True
    name = filename(part) or ""
    return part.content_type == "application/octet-stream" and bool(_IMAGE_NAME.search(name))


def _data_url(url: str) -> tuple[str | None, bytes | None, str | None]:
    """(content type, bytes, note) of a data: URL."""
    match = _DATA_URL.match(url[:200])
    if match is None:
        return None, None, "not read: malformed data: URL"
    payload = url[match.end():]
    if len(payload) > MAX_DATA_URL_CHARS:
        return match.group(1), None, "not read: data: URL too large"
    try:
        data = (base64.b64decode(re.sub(r"\s+", "", unquote(payload)) + "==", validate=False)
                if match.group(3) else unquote(payload).encode("latin-1", "replace"))
    except (binascii.Error, ValueError):
        return match.group(1), None, "not read: undecodable data: URL"
    return (match.group(1) or "").lower() or None, data, None


def _gather(msg: Message) -> list[Picture]:
    parts = mime_parts(msg)
    by_cid = {}
    for part in parts:
        if _is_image_part(part):
            cid = _content_id(part)
            if cid:
                by_cid.setdefault(cid, part)
    pictures: list[Picture] = []
    used: set[str] = set()
    for leaf in body_leaves(msg, "html"):
        if body_kind(leaf) != "html":
            continue
        for image in html_analysis(msg, leaf).images:
            if len(pictures) >= MAX_PICTURES:
                break
            src = image.get("src") or ""
            kind = image.get("kind") or "other"
            picture = Picture(len(pictures) + 1, kind, src, None, None, image.get("alt") or "",
                              bool(image.get("visible", True)), image.get("hidden_reason"),
                              image.get("width"), image.get("height"), bool(image.get("usemap")),
                              image.get("text_after"))
            if kind == "cid":
                part = by_cid.get(_cid_of(src))
                if part is None:
                    picture.note = "not read: no part of the message has this Content-ID"
                else:
                    used.add(part.path)
                    picture.part, picture.content_type = part.path, part.content_type
                    picture.data = part_bytes(msg, part)[0]
            elif kind == "data":
                picture.content_type, picture.data, picture.note = _data_url(src)
                picture.src = src[:60] + ("…" if len(src) > 60 else "")
            pictures.append(picture)
    for part in parts:
        if len(pictures) >= MAX_PICTURES:
            break
        if part.path in used or not _is_image_part(part):
            continue
        pictures.append(Picture(len(pictures) + 1, "attachment", filename(part), part.path,
                                part.content_type, data=part_bytes(msg, part)[0]))
    return pictures


def _read_all(msg: Message, pictures: list[Picture]) -> None:
    """OCR of the carried, visible pictures, in order, at most MAX_READ per message."""
    languages = ocr.languages_for(f"{msg.get('subject') or ''}\n{msg.get('body.visible_text') or ''}")
    budget = MAX_READ
    deadline = time.monotonic() + MESSAGE_OCR_SECONDS
    for picture in pictures:
        if picture.data is None or not picture.visible:
            continue
        if _tiny(picture.declared_width, picture.declared_height):
            continue
        if budget == 0:
            picture.note = f"not read: only {MAX_READ} pictures are read per message"
            continue
        if time.monotonic() > deadline:
            picture.note = f"not read: the message's OCR time ({MESSAGE_OCR_SECONDS:g} s) was spent"
            continue
        budget -= 1
        picture.reading = ocr.read_picture(picture.data, languages)
        picture.note = picture.reading.note
        if picture.reading.content_type:
            picture.content_type = picture.reading.content_type


def _tiny(width: int | None, height: int | None) -> bool:
    return width is not None and height is not None and width <= 3 and height <= 3


def pictures_of(msg: Message) -> list[Picture]:
    """The message's pictures, the carried ones read (memoized)."""

    def compute(m: Message) -> list[Picture]:
        pictures = _gather(m)
        _read_all(m, pictures)
        return pictures

    return msg.memo("pictures", compute)


@register(
    "body.image_text",
    "list[record]",
    "Text read by OCR from the pictures the message carries (cid: parts, data: URLs, image "
    "attachments; remote pictures are never fetched), one record per picture with text. "
    "The detectors search it like the visible text.",
    item_fields={
        "text": ("text", "The text read (OCR: may contain misreadings)."),
        "picture": ("int", "The picture's number (pictures[].index)."),
        "part": ("text", "MIME path of the part carrying it (None for a data: URL)."),
        "content_type": ("text", "The picture's type as decoded (image/png, ...)."),
        "width": ("int", "Width in pixels."),
        "height": ("int", "Height in pixels."),
        "label": ("text", "How findings name it: 'picture 2 (image/png, 600×120)'."),
    },
)
def body_image_text(msg: Message) -> list[dict]:
    return [
        {"text": p.reading.text, "picture": p.index, "part": p.part,
         "content_type": p.content_type, "width": p.width, "height": p.height,
         "label": p.label()}
        for p in pictures_of(msg)
        if p.read and p.reading.text.strip()
    ]
