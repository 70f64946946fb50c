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

# Codecs whose ASCII-only input may still need decoding (escape sequences, UTF-7, ...),
# as prefixes of `_codec_key` names.
_NOT_ASCII_COMPATIBLE = ("utf_7", "utf_16", "utf_32", "iso2022", "hz")
# Codecs that can decode to lone surrogates (UTF-7 and Python's own escape codecs).
_MAY_YIELD_SURROGATES = ("utf_7", "unicode_escape", "raw_unicode_escape")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# The Western labels a guess may override when their reading is implausible.
_LATIN_CODECS = ("iso8859-1", "cp1252", "iso8859-15")  # `codecs.lookup` names

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


def _codec_key(codec: str) -> str:
    """A `codecs.lookup` name ('utf-7', 'iso2022_jp') in the underscore form of the
    tables here ('utf_7')."""
    return codec.replace("-", "_")


def _needs_decoding_when_ascii(codec: str) -> bool:
    return _codec_key(codec).startswith(_NOT_ASCII_COMPATIBLE)


def _decode(data: bytes, codec: str, errors: str = "strict") -> str:
    """`data.decode`, with any lone surrogate (UTF-7 can encode one) made U+FFFD."""
    text = data.decode(codec, errors)
    if _codec_key(codec).startswith(_MAY_YIELD_SURROGATES):
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text


def decode_text(
    data: bytes, charset: str | None, where: str, guess: bool = True
) -> tuple[str, list[str]]:
    """Decode a text part's bytes per its declared charset, with recorded fallbacks.

    `where` names the place for defect messages (e.g. "part 1.2"). Line endings are not
    touched here (see `normalize_newlines`). With `guess`, bytes whose label is missing,
    us-ascii or unknown, or a Latin label they do not fit, may be decoded with a codec
    guessed by `guess_charset` (see there); encoded words in headers pass `guess=False`.
    """
    codec = lookup_charset(charset) if charset else "ascii"
    if codec is None:
        text, used = _decode_unlabelled(data, guess)
        return text, [f"{where} declares the character set \"{charset}\", which is unknown; read as {used}"]
    if data.isascii() and not _needs_decoding_when_ascii(codec):
        return data.decode("ascii"), []
    if guess and codec in _LATIN_CODECS:
        guessed = _guess_and_decode(data, LATIN_OVERRIDE_MIN_SHARE, LATIN_OVERRIDE_MIN_RUN)
        if guessed:
            return guessed[0], [
                f"{where} declares the character set \"{charset}\", which does not fit its bytes; "
                f"read as {guessed[1]}"
            ]
    if codec in ("cp1252", "iso8859-1"):
        # As browsers and mail programs do (WHATWG Encoding Standard): a Latin-1 label means
        # windows-1252, so 0x80-0x9F are "€", "™", curly quotes, not control characters;
        # bytes windows-1252 leaves undefined read as Latin-1.
        return data.decode("cp1252", "spamlaw-latin1"), []
    try:
        return _decode(data, codec), []
    except UnicodeDecodeError:
        pass
    except LookupError:  # a codec that only encodes, or a codec module that fails to load
        text, used = decode_fallback(data)
        return text, [f"{where} declares the character set \"{charset}\", which cannot be decoded here; "
                      f"read as {used}"]
    label = charset or "us-ascii (default)"
    if codec != "ascii" and _is_utf8_multibyte(data):
        # A label the bytes do not fit while they are clean UTF-8 (a "GB2312" part written
        # by a UTF-8 mail program): read as mail programs display it.
        return data.decode("utf-8"), [
            f"{where} declares the character set \"{label}\", which does not fit its bytes; "
            "they are valid UTF-8 and were read as UTF-8"
        ]
    if codec == "ascii":
        text, used = _decode_unlabelled(data, guess)
        return text, [f"{where} holds bytes outside ASCII but {_declared(charset)}; read as {used}"]
    return _decode(data, codec, "replace"), [
        f"{where} holds bytes that are not valid {label}; each was replaced with the "
        "replacement character \ufffd"
    ]


# ---------------------------------------------------------------- charset guessing
#
# Spam often declares no charset, us-ascii or an unknown label over Chinese, Japanese,
# Thai or Russian bytes, or ISO-8859-1 over them. Read as windows-1252 such text is
# mojibake and no detector can match a word in it. charset-normalizer (the detector
# `requests` uses) guesses the codec; it is only asked when the bytes cannot be a Western
# text (see the thresholds), and only a confident guess of a non-Latin codec is taken,
# so Western text keeps today's cheap UTF-8 / windows-1252 reading.

GUESS_SCAN_BYTES = 16 * 1024  # the detector reads this much; the whole part is decoded
# Fewer high-bit bytes than this and the detector is at chance (it reads 30 Russian or
# Thai letters as Japanese, one accented letter in a German phrase as Big5).
GUESS_MIN_HIGH_BYTES = 32
# No/us-ascii/unknown label: the share of high-bit bytes in the scanned prefix. Western
# text with a few accents (French, German, Spanish: 3-5 %) stays on the cheap path.
GUESS_MIN_SHARE = 0.05
# A Latin-1/windows-1252/ISO-8859-15 label is overridden only when its reading is
# implausible: many high-bit bytes (Icelandic, Finnish text reach 11-15 %, so the share
# alone cannot tell) that come in runs (a Latin text has about one accented letter per
# run, 1.0-1.4 bytes on average; GB2312, Thai, KOI8-R words are runs of 5-15).
LATIN_OVERRIDE_MIN_SHARE = 0.10
LATIN_OVERRIDE_MIN_RUN = 2.0
# The detector's "chaos" (0 = clean text; it drops candidates above 0.2). Real Big5
# spam with many 【】 brackets scores 0.095.
GUESS_MAX_CHAOS = 0.15

# Guesses accepted (charset-normalizer's names): codecs of non-Latin scripts that mail
# uses. A Latin guess (cp1250, mac_iceland, ...) would be no better than windows-1252, and
# the DOS/EBCDIC/UTF-16 codecs it sometimes proposes for binary junk are left out.
_GUESSABLE = frozenset((
    "big5", "big5hkscs", "cp950",
    "gb2312", "gbk", "gb18030",
    "shift_jis", "shift_jis_2004", "shift_jisx0213", "cp932",
    "euc_jp", "euc_jis_2004", "euc_jisx0213",
    "euc_kr", "cp949",
    "koi8_r", "koi8_u", "cp1251", "iso8859_5", "mac_cyrillic", "cp866",
    "cp1253", "iso8859_7",
    "cp874", "tis_620", "iso8859_11",
    "cp1255", "iso8859_8",
    "cp1256", "iso8859_6",
))
# A guess is decoded with its superset (same text for every sequence both decode), as
# mail clients do, so characters beyond the sample do not become U+FFFD.
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949"}
_HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]+")
_ASCII_BYTES = bytes(range(128))


def _scan_prefix(data: bytes) -> bytes:
    """The first GUESS_SCAN_BYTES, cut after a line end so no multi-byte character is
    split (the detector drops a codec that fails to decode its sample)."""
    if len(data) <= GUESS_SCAN_BYTES:
        return data
    head = data[:GUESS_SCAN_BYTES]
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut >= GUESS_SCAN_BYTES // 2 else head


def _worth_guessing(head: bytes, min_share: float, min_run: float) -> bool:
    """Cheap test of whether the bytes may be a non-Latin text (detector worth asking)."""
    high = len(head.translate(None, _ASCII_BYTES))  # ASCII deleted: the high-bit bytes
    if high < GUESS_MIN_HIGH_BYTES or high < min_share * len(head):
        return False
    if min_run > 1 and high < min_run * len(_HIGH_BYTE_RUN.findall(head)):
        return False  # mostly lone high bytes: accented letters in a Western text
    return True


def guess_charset(
    data: bytes, min_share: float = GUESS_MIN_SHARE, min_run: float = 1.0
) -> str | None:
    """A confidently guessed non-Latin codec for `data`, or None.

    The detector reads a bounded prefix, and only when `_worth_guessing`; any failure
    inside it counts as no guess. Deterministic: the same bytes give the same answer.
    """
    head = _scan_prefix(data)
    if not _worth_guessing(head, min_share, min_run):
        return None
    try:
        from charset_normalizer import from_bytes  # imported on first use: 15 ms

        best = from_bytes(head).best()
        if best is None or best.chaos > GUESS_MAX_CHAOS or best.encoding not in _GUESSABLE:
            return None
        return _SUPERSET.get(best.encoding, best.encoding)
    except Exception:  # a third-party detector on hostile bytes: never fail the message
        return None


def _guess_and_decode(data: bytes, min_share: float, min_run: float) -> tuple[str, str] | None:
    """(text, how it was decoded) with a guessed codec, or None when there is no guess."""
    codec = guess_charset(data, min_share, min_run)
    if codec is None:
        return None
    try:
        return _decode(data, codec), f"{codec} (guessed)"
    except UnicodeDecodeError:
        text = _decode(data, codec, "replace")
        return text, f"{codec} (guessed; bytes it cannot read replaced with \ufffd)"


def _decode_unlabelled(data: bytes, guess: bool) -> tuple[str, str]:
    """Bytes with no usable label: UTF-8 if valid, else a guess, else windows-1252."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guessed = _guess_and_decode(data, GUESS_MIN_SHARE, 1.0) if guess else None
    return guessed or (data.decode("cp1252", "spamlaw-latin1"), FALLBACK_NAME)


# `<meta charset=x>` and `<meta http-equiv="Content-Type" content="...; charset=x">`.
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.I)
META_SCAN_BYTES = 4096


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


def _declared(charset: str | None) -> str:
    """How a part's declared character set is described: "declares none (US-ASCII by
    default)" or 'declares "us-ascii"'."""
    return f'declares the character set "{charset}"' if charset else (
        "declares no character set (US-ASCII by default)")


def _why_not_the_label(declared: str | None, data: bytes) -> str | None:
    """Why an HTML part's MIME charset label cannot be trusted, or None if it can."""
    codec = lookup_charset(declared)
    if not declared:
        return "its Content-Type declares none"
    if codec is None:
        return f"the character set its Content-Type declares, \"{declared}\", is unknown"
    if codec == "ascii":
        return f"its Content-Type declares \"{declared}\""
    if codec in _LATIN_CODECS and _is_utf8_multibyte(data):
        return f"its Content-Type declares \"{declared}\" but the bytes are UTF-8"
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
    if data.isascii() and not _needs_decoding_when_ascii(codec):
        return label, []  # decodes the same either way: nothing was worked around
    return label, [f"{where} was read as \"{label}\", the character set its HTML <meta> tag "
                    f"names; {reason}"]


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
            return data.decode(codec), [f"{where} holds unencoded bytes outside ASCII; "
                                        f"read as {codec}"]
        except (UnicodeDecodeError, LookupError):
            pass
    text, used = decode_fallback(data)
    return text, [f"{where} holds unencoded bytes outside ASCII; read as {used}"]


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
            decoded, problems = decode_text(b"".join(pending), pending_charset, where, guess=False)
            out.append(decoded)
            defects.extend(problems)
            pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        charset = match.group(1).split("*", 1)[0]
        try:
            data = _word_bytes(match.group(2), match.group(3))
        except (binascii.Error, ValueError):
            defects.append(f"an encoded word in {where} could not be decoded and is shown as written")
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
