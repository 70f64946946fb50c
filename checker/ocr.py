"""Reading the text inside pictures the message carries (OCR with Tesseract).

Only bytes the message itself carries are read (a `cid:` part, a `data:` URL, an image
attachment); a remote picture is never fetched. Reading is bounded and never raises:
`read_picture` returns a `Reading` whose `note` says why a picture was not read (too
large, undecodable, timed out, OCR not installed), and the caller records that note.

Binding: `tesserocr` (Tesseract's C++ API in-process; its PyPI wheels bundle libtesseract)
with the language data of Debian's `tesseract-ocr-*` packages. Measured by bench/ocr.py on
this 2-core machine (CPU per picture, process start-up included): the `tesseract` command
(what pytesseract runs) costs ~230 ms for a 600x120 address picture in English and ~810 ms
with the seven Latin languages, nearly all of it start-up and model loading, paid again for
every picture; tesserocr loads a model set once per process (~130 ms English, ~600 ms the
Latin set) and then reads the same picture in ~30 ms (a 600x800 text-heavy banner: ~165 ms
against ~350 ms). In a batch of thousands of messages only the in-process binding pays the
per-picture price.

Bounds: encoded size, decoded pixels (checked from the header before decoding: no
decompression bombs), a per-picture recognition deadline, pictures too small to hold a
line of text are not read, large pictures are scaled down before recognition, and a
damaged or cut-short picture is not read (whatever another library told Pillow: see
`_whole_pictures_only`).
Readings are cached per (SHA-256 of the bytes, languages) in a bounded in-process LRU:
spam campaigns repeat the same picture across thousands of messages. A reading the deadline
cut short is not cached: it says how busy the machine was, and must not decide what later
messages in the same process say.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Tesseract's OpenMP threads spin on idle cores: one thread per reading is faster in
# total on a shared machine (and audit pools already use every core).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

MAX_PICTURE_BYTES = 8 * 1024 * 1024
MAX_DECODE_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MAX_OCR_PIXELS = 3_000_000  # larger pictures are scaled down to this before reading
SMALL_PIXELS = 400_000  # smaller pictures are scaled up 2x (email text is often tiny)
MIN_WIDTH, MIN_HEIGHT = 16, 8  # nothing smaller can hold a line of text
DEADLINE_MS = 5_000  # per picture
CACHE_SIZE = 1024
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
MIME_OF_FORMAT = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif",
                  "BMP": "image/bmp", "WEBP": "image/webp", "TIFF": "image/tiff"}

# Language sets, chosen from the script of the message's own text (`languages_for`): one
# model set per script keeps recognition fast and CJK text unspaced. English alone loads in
# ~0.05 s, the seven Latin languages in ~0.5 s (per process), so they are loaded only for a
# message whose text has accented Latin letters (ñ, ß, ç, é, ...).
LATIN = "eng+spa+deu+fra+por+ita+nld"
ENGLISH = "eng"
_ACCENTED = re.compile(r"[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
SCRIPTS = (
    (re.compile(r"[\u3040-\u30ff]"), "jpn+eng"),
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"), "kor+eng"),
    (re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"), "chi_sim+chi_tra+eng"),
    (re.compile(r"[\u0400-\u04ff]"), "rus+eng"),
)
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata")

_CJK = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u3000-\u303f\uff00-\uffef]"
_CJK_GAP = re.compile(rf"(?<={_CJK}) +(?={_CJK})")
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Reading:
    """What OCR made of one picture. `note` is None when it was read (text may be "")."""

    text: str = ""
    width: int | None = None
    height: int | None = None
    content_type: str | None = None  # from the decoded format, not the label
    note: str | None = None
    uniform: bool = False  # one colour only (a spacer)
    # Cut short by the per-picture deadline, a wall-clock bound: the machine's load decided
    # it, not the picture, so it is not cached (the next message with it reads it again).
    stopped: bool = False

    @property
    def read(self) -> bool:
        return self.note is None


def languages_for(text: str | None) -> str:
    """The Tesseract languages for pictures in a message whose own text is `text`."""
    sample = (text or "")[:5000]
    for pattern, languages in SCRIPTS:
        if pattern.search(sample):
            return languages
    return LATIN if _ACCENTED.search(sample) else ENGLISH


# ------------------------------------------------------------------- the engine


def tessdata_dir() -> Path | None:
    """Where the language data is (TESSDATA_PREFIX, else the usual system folders)."""
    candidates = [os.environ.get("TESSDATA_PREFIX") or "", *TESSDATA_DIRS]
    for folder in candidates:
        if folder and (Path(folder) / "eng.traineddata").is_file():
            return Path(folder)
    return None


def unavailable() -> str | None:
    """Why OCR cannot run here (None when it can)."""
    try:
        import tesserocr  # noqa: F401
    except Exception as exc:  # ImportError, or a broken shared library
        return f"OCR unavailable (tesserocr: {type(exc).__name__})"
    if tessdata_dir() is None:
        return "OCR unavailable (no Tesseract language data; install tesseract-ocr-eng)"
    return None


class _Engines:
    """One Tesseract instance per language set, made on first use, shared by threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.apis: dict[str, object] = {}

    def installed(self, languages: str) -> str:
        folder = tessdata_dir()
        have = [lang for lang in languages.split("+")
                if folder is not None and (folder / f"{lang}.traineddata").is_file()]
        return "+".join(have) or "eng"

    def api(self, languages: str):
        api = self.apis.get(languages)
        if api is None:
            import tesserocr

            # LSTM only: the legacy engine's models are not loaded (half the start-up)
            api = tesserocr.PyTessBaseAPI(path=str(tessdata_dir()), lang=languages,
                                          psm=tesserocr.PSM.AUTO, oem=tesserocr.OEM.LSTM_ONLY)
            self.apis[languages] = api
        return api

    def recognize(self, image, languages: str) -> tuple[str, bool]:
        """(text, finished in time)."""
        with self.lock:
            api = self.api(self.installed(languages))
            api.SetImage(image)
            finished = api.Recognize(timeout=DEADLINE_MS)
            text = api.GetUTF8Text() if finished else ""
            api.Clear()
            return text, finished


_ENGINES = _Engines()
_CACHE: OrderedDict[tuple[str, str], Reading] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def read_picture(data: bytes, languages: str = LATIN) -> Reading:
    """The text in one picture (cached per content hash and languages); never raises."""
    key = (hashlib.sha256(data).hexdigest(), languages)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning: bounded below
            reading = _read(data, languages)
    except Exception as exc:  # a hostile picture must never stop an audit
        reading = Reading(note=f"not read: {_why_unreadable(exc)}")
    if reading.stopped:
        return reading
    with _CACHE_LOCK:
        _CACHE[key] = reading
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return reading


def _why_unreadable(exc: Exception) -> str:
    """Why a picture could not be decoded, in words for an exhibit (not Pillow's)."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "its data is not a picture in a format that can be read"
    if isinstance(exc, Image.DecompressionBombError):
        return "it has too many pixels to decode"
    if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError)):  # Pillow's decode errors
        return "its picture data is damaged or cut short"
    return "it could not be decoded"


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def _read(data: bytes, languages: str) -> Reading:
    if len(data) > MAX_PICTURE_BYTES:
        return Reading(note=f"not read: larger than {MAX_PICTURE_BYTES // (1024 * 1024)} MB")
    with _whole_pictures_only():
        decoded = _decode(data)
    if isinstance(decoded, Reading):
        return decoded
    base, prepared = decoded
    text, finished = _ENGINES.recognize(prepared, languages)
    if not finished:
        return Reading(**base, note=f"not read: OCR stopped after {DEADLINE_MS // 1000} s", stopped=True)
    return Reading(**base, text=tidy(text))


def _decode(data: bytes):
    """The picture decoded and prepared for reading, as (size and type, picture); or the
    Reading when there is nothing to recognise (too many pixels, too small, one colour)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data), formats=FORMATS)  # reads the header only
    width, height = image.size
    ctype = MIME_OF_FORMAT.get(image.format or "")
    base = {"width": width, "height": height, "content_type": ctype}
    if width * height > MAX_DECODE_PIXELS:
        return Reading(**base, note=f"not read: {width}×{height} pixels is more than the "
                                    f"{MAX_DECODE_PIXELS:,} pixels decoded")
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return Reading(**base, text="", note=None, uniform=_uniform(image))
    problem = unavailable()
    if problem:
        return Reading(**base, note=f"not read: {problem}")
    prepared = _prepare(image)
    if prepared is None:
        return Reading(**base, uniform=True)
    return base, prepared


# Pillow decodes a cut-short or damaged picture as far as it goes, without an error, when its
# process-wide switch `ImageFile.LOAD_TRUNCATED_IMAGES` is on, and WeasyPrint turns it on for
# good when it is imported (by the exhibit renderer). What OCR made of such a picture then
# depended on what the process had loaded before: `spamlaw audit` said "not read" where
# `spamlaw exhibits` read part of the picture, and the same message could get either answer
# in one process. OCR decodes whole pictures only, whatever the switch says elsewhere: a
# damaged picture is not read, and the note says why.
_DECODE_LOCK = threading.Lock()


@contextmanager
def _whole_pictures_only():
    from PIL import ImageFile

    with _DECODE_LOCK:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _uniform(image) -> bool:
    try:
        extrema = image.convert("L").getextrema()
    except Exception:
        return False
    return extrema[0] == extrema[1]


def _prepare(image):
    """A greyscale picture on white, sized for reading; None when it is one colour."""
    from PIL import Image

    image.seek(0)  # the first frame of an animation
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    grey = image.convert("L")
    low, high = grey.getextrema()
    if low == high:
        return None
    pixels = grey.width * grey.height
    if pixels > MAX_OCR_PIXELS:
        scale = (MAX_OCR_PIXELS / pixels) ** 0.5
        grey = grey.resize((max(1, int(grey.width * scale)), max(1, int(grey.height * scale))),
                           Image.Resampling.LANCZOS)
    elif pixels < SMALL_PIXELS:
        grey = grey.resize((grey.width * 2, grey.height * 2), Image.Resampling.LANCZOS)
    return grey


def tidy(text: str) -> str:
    """OCR output as text: lines stripped, runs of spaces single, no blank-line runs, and
    no spaces Tesseract puts between CJK characters."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\f", "\n").split("\n")]
    out = "\n".join(line for line in lines if line)
    return _CJK_GAP.sub("", out)
