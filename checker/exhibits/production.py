"""The production set beside the exhibit PDFs, as e-discovery platforms load it.

    NATIVES/<BEGBATES>.eml   each exhibit's original message, byte for byte
    TEXT/<BEGBATES>.txt      its extracted text (the header lines a mail program shows, then
                             the body as a text-only client shows it), UTF-8
    DATA/<prefix>.dat        Concordance DAT: UTF-8 (with BOM), header row, fields quoted with
                             þ (U+00FE) and separated by U+0014, lines ending CRLF
    DATA/<prefix>.opt        Opticon: one line per page, BATES,VOLUME,IMAGE,Y-on-first-page,,,
                             PAGECOUNT-on-first-page; the image is the exhibit PDF

One row (one document) per exhibit or slip sheet, in Bates order. Paths are relative to
the case folder (the production's root), with backslashes as Concordance expects. Field
values never contain the delimiter, the quote or a line break: U+0014 and U+00FE are shown
as ⟨U+0014⟩ and ⟨U+00FE⟩, line breaks as spaces (body text is in TEXT/, not in the DAT).
Dates are ISO 8601: DATESENT is what the sender wrote in the Date header (a claim),
DATERCVD the time our own server stamped on receipt (the trusted Received hop).

The files are written from the ledger, so they are the same bytes for the same case.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from checker.exhibits.bates import BatesSpec, page_numbers
from checker.exhibits.casefile import (
    DATA_FOLDER,
    DONE,
    NATIVES_FOLDER,
    TEXT_FOLDER,
    InputRow,
    write_atomically,
)

DAT_FIELDS = ("BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "PAGECOUNT", "FROM", "TO", "CC",
              "BCC", "SUBJECT", "DATESENT", "DATERCVD", "MESSAGEID", "MD5", "SHA1", "SHA256",
              "CUSTODIAN", "NATIVEPATH", "TEXTPATH", "FINDINGS")
DELIMITER, QUOTE = "\x14", "\xfe"
VOLUME = "VOL001"
MAX_FIELD = 4000  # characters of one header value in a load file (hostile headers run to MBs)
MAX_TEXT = 5_000_000  # characters of extracted text
HEADER_LINES = ("From", "To", "Cc", "Bcc", "Date", "Subject")
_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")


# --- what a row records about its message ------------------------------------------------


def header_facts(raw: bytes) -> dict:
    """Hashes and address headers of a message (headers only: cheap, and never raises)."""
    facts = {"md5": hashlib.md5(raw).hexdigest(), "sha1": hashlib.sha1(raw).hexdigest()}
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:1 << 20])
    except Exception:
        return facts
    for name in ("from", "to", "cc", "bcc"):
        values = [_decoded(value) for value in headers.get_all(name, [])]
        facts[name] = "; ".join(value for value in values if value) or None
    return facts


def _decoded(value) -> str:
    try:
        text = str(make_header(decode_header(str(value))))
    except Exception:
        text = str(value)
    return _bounded(" ".join(text.split()))


def _bounded(text: str, limit: int = MAX_FIELD) -> str:
    return text if len(text) <= limit else text[: limit - 12] + " [truncated]"


def metadata(facts: dict, result) -> dict:
    """The row's metadata: header facts plus what the audit decoded (subject, the date the
    sender claims, Message-ID) and the trusted receipt time (contract 2: `received`)."""
    return {**facts,
            "subject": result.subject, "date_sent": iso_date(result.date),
            "message_id": result.message_id,
            "date_received": iso_date(getattr(result, "received", None))}


def iso_date(value) -> str | None:
    """An RFC 5322 date (or ISO text, or datetime) as ISO 8601, its offset kept; text
    that is no date stays as written."""
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    if value is None or isinstance(value, datetime):
        return value.isoformat() if value is not None else None
    text = str(value)
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return _bounded(" ".join(text.split()))


def extracted_text(msg) -> str:
    """The text of TEXT/<BEGBATES>.txt: header lines, a blank line, the body text."""
    lines = []
    for name in HEADER_LINES:
        for value in _header_values(msg, name):
            lines.append(f"{name}: {_display(value)}")
    try:
        body = msg.get("body.text") or ""
    except Exception:
        body = ""
    text = "\n".join(lines) + "\n\n" + _display(str(body), keep_lines=True)
    return text[:MAX_TEXT]


def _header_values(msg, name: str) -> list[str]:
    try:
        records = msg.get("headers") or ()
    except Exception:
        return []
    return [_bounded(str(r.get("value") or "")) for r in records
            if str(r.get("name", "")).lower() == name.lower()]


def _display(text: str, keep_lines: bool = False) -> str:
    """Invisible and direction-changing characters shown as stand-ins (contract 3)."""
    try:
        from checker.display import reveal
    except ImportError:
        from checker.exhibits.sanitize import clean_text as reveal
    if keep_lines:
        return "\n".join(reveal(line) for line in text.split("\n"))
    return reveal(" ".join(text.split()))


# --- files beside the PDFs ---------------------------------------------------------------


def native_path(bates_first: str) -> str:
    return f"{NATIVES_FOLDER}/{bates_first}.eml"


def text_path(bates_first: str) -> str:
    return f"{TEXT_FOLDER}/{bates_first}.txt"


def write_native(root: Path, bates_first: str, raw: bytes) -> None:
    (root / NATIVES_FOLDER).mkdir(exist_ok=True)
    write_atomically(root / native_path(bates_first), raw)


def write_text(root: Path, bates_first: str, text: str) -> None:
    (root / TEXT_FOLDER).mkdir(exist_ok=True)
    write_atomically(root / text_path(bates_first), text.encode("utf-8", "replace"))


# --- load files ---------------------------------------------------------------------------


def load_file_name(prefix: str) -> str:
    """DATA/<prefix>: the Bates prefix made safe for a file name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", prefix).strip("._") or "production"
    return f"{DATA_FOLDER}/{name}"


def documents(rows: Iterable[InputRow]) -> list[InputRow]:
    """The produced documents (exhibits and slip sheets), in Bates order."""
    return sorted((row for row in rows if row.status in DONE and row.bates_start is not None),
                  key=lambda row: row.exhibit_number)


def dat_record(row: InputRow, root: Path, custodian: str | None) -> dict[str, str]:
    facts, audit = row.facts(), row.audit()
    native = native_path(row.bates_first)
    text = text_path(row.bates_first)
    return {
        "BEGBATES": row.bates_first, "ENDBATES": row.bates_last,
        "BEGATTACH": row.bates_first, "ENDATTACH": row.bates_last,
        "PAGECOUNT": str(row.pages),
        "FROM": facts.get("from") or audit.get("from"), "TO": facts.get("to"),
        "CC": facts.get("cc"), "BCC": facts.get("bcc"),
        "SUBJECT": facts.get("subject", audit.get("subject")),
        "DATESENT": facts.get("date_sent", audit.get("date")),
        "DATERCVD": facts.get("date_received", audit.get("received")),
        "MESSAGEID": facts.get("message_id", audit.get("message_id")),
        "MD5": facts.get("md5"), "SHA1": facts.get("sha1"), "SHA256": row.sha256,
        "CUSTODIAN": custodian,
        "NATIVEPATH": _windows(native) if (root / native).is_file() else "",
        "TEXTPATH": _windows(text) if (root / text).is_file() else "",
        "FINDINGS": findings_summary(audit),
    }


def findings_summary(audit: dict) -> str:
    """`violation: RULE, RULE; needs_review: RULE` (distinct rules, sorted)."""
    parts = []
    for status in ("violation", "needs_review"):
        rules = sorted({str(f.get("rule")) for f in audit.get("findings") or ()
                        if isinstance(f, dict) and f.get("status") == status})
        if rules:
            parts.append(f"{status}: {', '.join(rules)}")
    return "; ".join(parts)


def _windows(path: str) -> str:
    return ".\\" + path.replace("/", "\\")


def dat_value(value) -> str:
    text = "" if value is None else str(value)
    text = _BREAKS.sub(" ", text)
    return text.replace(DELIMITER, "⟨U+0014⟩").replace(QUOTE, "⟨U+00FE⟩")


def dat_bytes(records: Sequence[dict[str, str]]) -> bytes:
    lines = [DELIMITER.join(f"{QUOTE}{name}{QUOTE}" for name in DAT_FIELDS)]
    for record in records:
        lines.append(DELIMITER.join(f"{QUOTE}{dat_value(record.get(name))}{QUOTE}"
                                    for name in DAT_FIELDS))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def opt_bytes(rows: Sequence[InputRow], spec: BatesSpec) -> bytes:
    lines = []
    for row in rows:
        image = _windows(row.pdf_file)
        numbers = page_numbers(spec, row.bates_start, row.pages, row.bates_pages)
        for index, number in enumerate(numbers):
            first = index == 0
            lines.append(",".join((number, VOLUME, image, "Y" if first else "", "", "",
                                   str(row.pages) if first else "")))
    return ("\r\n".join(lines) + ("\r\n" if lines else "")).encode("utf-8")


def write_load_files(root: Path, rows: Iterable[InputRow], spec: BatesSpec,
                     custodian: str | None) -> tuple[str, str]:
    """Write DATA/<prefix>.dat and .opt; returns their paths relative to `root`."""
    produced = documents(rows)
    base = load_file_name(spec.prefix)
    (root / DATA_FOLDER).mkdir(exist_ok=True)
    dat, opt = f"{base}.dat", f"{base}.opt"
    write_atomically(root / dat, dat_bytes([dat_record(row, root, custodian)
                                            for row in produced]))
    write_atomically(root / opt, opt_bytes(produced, spec))
    return dat, opt
