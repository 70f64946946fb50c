"""The only way an exhibit render may load anything: `cid:` parts of the same message.

Spam images are tracking beacons and spam markup can name local files, so WeasyPrint
gets this fetcher for every `HTML`, `CSS` and `Attachment` object. It serves raster
images that the message itself carries (by Content-ID) and refuses every other URL:
http(s), `//host`, `file:`, `data:`, relative paths, anything. Refusals are recorded so
a test (or a log) can show what the message tried to load.
"""

from __future__ import annotations

import io
import warnings
from urllib.parse import unquote

from weasyprint.urls import URLFetcher, URLFetcherResponse

# Raster formats Pillow decodes cheaply. SVG is refused: it is a document that can name
# further URLs and can be made arbitrarily expensive to lay out.
SERVED_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/bmp", "image/webp"}
)
MAX_PART_BYTES = 5 * 1024 * 1024  # one inline image
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # all inline images of one exhibit
MAX_PIXELS = 25_000_000  # refuses decompression bombs before WeasyPrint decodes them
MAX_RECORDED = 1000


class FetchRefused(ValueError):
    """Raised for every URL the exhibit may not load; WeasyPrint logs it and goes on."""


def cid_key(url: str) -> str | None:
    """The Content-ID a `cid:` URL names (RFC 2392: percent-encoded, no angle brackets)."""
    if not url[:4].lower() == "cid:":
        return None
    return unquote(url[4:]).strip().strip("<>").strip()


def inline_parts(parsed) -> dict[str, tuple[str, bytes]]:
    """{content-id: (content type, bytes)} for the parts of a stdlib message tree that
    carry a Content-ID and an image type we serve. Never raises."""
    parts: dict[str, tuple[str, bytes]] = {}
    try:
        for part in parsed.walk():
            if part.is_multipart():
                continue
            content_id = part.get("Content-ID")
            ctype = part.get_content_type()
            if content_id is None or ctype not in SERVED_TYPES:
                continue
            key = str(content_id).strip().strip("<>").strip()
            data = part.get_payload(decode=True)
            if key and isinstance(data, bytes) and len(data) <= MAX_PART_BYTES:
                parts.setdefault(key, (ctype, data))
    except Exception:  # a broken MIME tree leaves the images as placeholders
        pass
    return parts


def _pixels(data: bytes) -> int | None:
    """Width x height from the image header (no full decode), None if unreadable."""
    from PIL import Image  # WeasyPrint's own image dependency

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: we decide below
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        return width * height
    except Exception:
        return None


class EvidenceFetcher(URLFetcher):
    """Serves this message's `cid:` images and refuses everything else."""

    def __init__(self, parts: dict[str, tuple[str, bytes]] | None = None):
        # No protocol is allowed and redirects are off, so even the base class's own
        # fetch() would refuse; ours never calls it.
        super().__init__(allowed_protocols=(), allow_redirects=False, timeout=1)
        self.parts = dict(parts or {})
        self._folded = {key.lower(): key for key in self.parts}
        self.refused: list[str] = []
        self.served: list[str] = []
        self._served_bytes = 0
        self._readable: dict[str, bool] = {}

    def has(self, url: str) -> bool:
        """Whether `url` names an inline part this fetcher would serve: present, and a
        picture that can be decoded (one that cannot becomes a listed placeholder, not
        a silent gap)."""
        key = cid_key(url)
        found = self._lookup(key) if key is not None else None
        if found is None:
            return False
        if found not in self._readable:
            pixels = _pixels(self.parts[found][1])
            self._readable[found] = pixels is not None and pixels <= MAX_PIXELS
        return self._readable[found]

    def _lookup(self, key: str) -> str | None:
        if key in self.parts:
            return key
        return self._folded.get(key.lower())

    def fetch(self, url, headers=None):
        key = cid_key(str(url))
        found = self._lookup(key) if key is not None else None
        if found is None:
            raise self._refuse(url, "only cid: parts of this message are served")
        ctype, data = self.parts[found]
        if self._served_bytes + len(data) > MAX_TOTAL_BYTES:
            raise self._refuse(url, "inline images exceed the exhibit's size budget")
        pixels = _pixels(data)
        if pixels is None or pixels > MAX_PIXELS:
            raise self._refuse(url, "inline image is unreadable or too large to decode")
        self._served_bytes += len(data)
        self.served.append(str(url)[:200])
        return URLFetcherResponse(str(url), data, {"Content-Type": ctype})

    def _refuse(self, url, reason: str) -> FetchRefused:
        if len(self.refused) < MAX_RECORDED:
            self.refused.append(str(url)[:300])
        return FetchRefused(f"refused {str(url)[:80]!r}: {reason}")
