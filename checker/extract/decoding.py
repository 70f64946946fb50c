"""Turning hostile bytes into stable text: charsets, RFC 2047 words, header bytes.

Every function here is total: it returns text for any input and reports what it had to
guess as defect strings (which end up in `mime.defects`). Decoded text never contains
lone surrogates, so it can always be printed, serialised to JSON and quoted as evidence.
"""

from __future__ import annotations

import binascii
import codecs
import re
from itertools import repeat

# Charset labels seen in real mail that `codecs` does not know, mapped to what senders
# meant. Labels that mean "no idea" (`default`, `unknown-8bit`, ...) are deliberately
# absent: they take the fallback path and are recorded as defects.
_CHARSET_ALIASES = {
    "chinesebig5": "big5",
    "gb2312_charset": "gb2312",
    "x-gbk": "gbk",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "x-sjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "x-euc-tw": "big5",
    "ks_c_5601": "cp949",
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "cp-850": "cp850",
}

# Codecs whose ASCII-only input may still need decoding (escape sequences, UTF-7, ...).
_NOT_ASCII_COMPATIBLE = ("utf_7", "utf_16", "utf_32", "iso2022", "hz")

FALLBACK_NAME = "windows-1252"


def _latin1_for_undefined(error: UnicodeDecodeError) -> tuple[str, int]:
    """Error handler: bytes windows-1252 leaves undefined (0x81, 0x8D, ...) read as Latin-1."""
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("spamlaw-latin1", _latin1_for_undefined)


def decode_fallback(data: bytes) -> tuple[str, str]:
    """Decode bytes of unknown charset: UTF-8 if valid, else windows-1252 (never fails)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", "spamlaw-latin1"), FALLBACK_NAME


_codec_cache: dict[str, str | None] = {}


def lookup_charset(label: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None if it is unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    if key in _codec_cache:
        return _codec_cache[key]
    name = _CHARSET_ALIASES.get(key, key)
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):
        codec = None
    if len(_codec_cache) < 1000:
        _codec_cache[key] = codec
    return codec


def decode_text(data: bytes, charset: str | None, where: str) -> tuple[str, list[str]]:
    """Decode a text part's bytes per its declared charset, with recorded fallbacks.

    `where` names the place for defect messages (e.g. "part 1.2"). Line endings are not
    touched here (see `normalize_newlines`).
    """
    codec = lookup_charset(charset) if charset else "ascii"
    if codec is None:
        text, used = decode_fallback(data)
        return text, [f"unknown charset {charset!r} in {where}; decoded as {used}"]
    if data.isascii() and not codec.startswith(_NOT_ASCII_COMPATIBLE):
        return data.decode("ascii"), []
    if codec == "cp1252":  # as browsers do: bytes it leaves undefined read as Latin-1
        return data.decode(codec, "spamlaw-latin1"), []
    try:
        return data.decode(codec), []
    except UnicodeDecodeError:
        pass
    except LookupError:  # a codec that only encodes, or a codec module that fails to load
        text, used = decode_fallback(data)
        return text, [f"charset {charset!r} cannot decode in {where}; decoded as {used}"]
    label = charset or "us-ascii (default)"
    if codec == "ascii":
        text, used = decode_fallback(data)
        return text, [f"8-bit bytes in {label} text in {where}; decoded as {used}"]
    return data.decode(codec, "replace"), [
        f"invalid {label} bytes in {where}; replaced with U+FFFD"
    ]


# `<meta charset=x>` and `<meta http-equiv="Content-Type" content="...; charset=x">`.
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.I)
META_SCAN_BYTES = 4096
_LATIN_CODECS = ("iso8859-1", "cp1252", "iso8859-15")  # `codecs.lookup` names


def meta_charset(data: bytes) -> str | None:
    """The charset label an HTML document declares in a <meta> tag of its first 4 KB."""
    match = _META_CHARSET.search(data[:META_SCAN_BYTES])
    return match.group(1).decode("ascii") if match else None


def _is_utf8_multibyte(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _why_not_the_label(declared: str | None, data: bytes) -> str | None:
    """Why an HTML part's MIME charset label cannot be trusted, or None if it can."""
    codec = lookup_charset(declared)
    if not declared:
        return "the Content-Type has no charset"
    if codec is None:
        return f"the Content-Type charset {declared!r} is unknown"
    if codec == "ascii":
        return f"the Content-Type says {declared!r}"
    if codec in _LATIN_CODECS and _is_utf8_multibyte(data):
        return f"the Content-Type says {declared!r} but the bytes are UTF-8"
    return None


def html_charset(data: bytes, declared: str | None, where: str) -> tuple[str | None, list[str]]:
    """The charset to decode an HTML part with, and a defect when it is not `declared`.

    The MIME label wins when it is known and consistent with the bytes. When it is
    missing, us-ascii, unknown, or Latin-1/windows-1252 over valid UTF-8 text, the
    document's own <meta> charset is used if Python knows it (as browsers do). A meta
    UTF-16/32 is ignored: the tag was just read as ASCII, so the document is not.
    """
    reason = _why_not_the_label(declared, data)
    label = meta_charset(data) if reason else None
    codec = lookup_charset(label)
    if codec is None or codec.startswith(("utf-16", "utf-32")):
        return declared, []
    declared_codec = lookup_charset(declared)
    if codec == declared_codec or (codec in _LATIN_CODECS and declared_codec in _LATIN_CODECS):
        return declared, []  # the meta agrees with the label
    if data.isascii() and not codec.replace("-", "_").startswith(_NOT_ASCII_COMPATIBLE):
        return label, []  # decodes the same either way: nothing was worked around
    return label, [f"charset {label!r} from the HTML <meta> tag used in {where}; {reason}"]


_NEWLINES = re.compile(r"\r\n?")


def normalize_newlines(text: str) -> str:
    """CRLF and bare CR become LF (raw bytes are never changed, only decoded text)."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def header_text(value: str, hint: str | None, where: str) -> tuple[str, list[str]]:
    """Header text from the compat32 parser (8-bit bytes arrive surrogate-escaped).

    Non-ASCII bytes are read as UTF-8 when valid, else in the message's own charset
    (`hint`, from the top-level Content-Type), else windows-1252; that is a defect.
    """
    if value.isascii():
        return value, []
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8"), []  # raw UTF-8 (RFC 6532) is allowed
    except UnicodeDecodeError:
        pass
    codec = lookup_charset(hint)
    if codec and codec not in ("ascii", "utf-8"):
        try:
            return data.decode(codec), [f"8-bit bytes in {where}; decoded as {codec}"]
        except (UnicodeDecodeError, LookupError):
            pass
    text, used = decode_fallback(data)
    return text, [f"8-bit bytes in {where}; decoded as {used}"]


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_ONLY_SPACE = re.compile(r"[ \t\r\n]*")


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "Bb":
        payload = payload.strip()
        payload += "=" * (-len(payload) % 4)
        return binascii.a2b_base64(payload.encode("ascii", "replace"))
    return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)


def decode_words(text: str, where: str) -> tuple[str, list[str]]:
    """Decode RFC 2047 encoded words anywhere in `text` (also inside quoted strings,
    as spam senders put them). Adjacent words of one charset are joined before
    decoding so multi-byte characters split across words survive; white space between
    encoded words is dropped, as the RFC says. A word that cannot be decoded stays as
    written."""
    if "=?" not in text:
        return text, []
    out: list[str] = []
    defects: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    pos = 0

    def flush() -> None:
        if pending:
            decoded, problems = decode_text(b"".join(pending), pending_charset, where)
            out.append(decoded)
            defects.extend(problems)
            pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        charset = match.group(1).split("*", 1)[0]
        try:
            data = _word_bytes(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            defects.append(f"undecodable encoded word in {where}")
            flush()
            out.append(gap + match.group(0))
            pos = match.end()
            continue
        if not (pending and _ONLY_SPACE.fullmatch(gap)):
            flush()
            out.append(gap)
        elif charset.lower() != pending_charset.lower():
            flush()
        pending.append(data)
        pending_charset = charset
        pos = match.end()
    flush()
    out.append(text[pos:])
    return "".join(out), defects


def unfold(value: str) -> str:
    """Unfold a header: each line break with the white space around it becomes one
    space (so 'by host' matches however the sender folded the line)."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    elif "\n" not in value:
        return value
    lines = map(str.strip, value.split("\n"), repeat(" \t"))
    return " ".join(filter(None, lines))
