"""The batch's accounting, from the ledger: manifest.csv, manifest.json, index.pdf (every
input, with Bates numbers of its own), schedule.pdf (the damages demonstrative) and the
load files (checker.exhibits.production).

One manifest row per input the case has seen, in position order (the order the case first
saw it), so nothing is ever dropped: every input is an exhibit, a slip sheet, not selected
(with the reason) or an error (with the reason). The files hold no time stamps and no
absolute paths beyond what the user typed, so the same inputs and options give the same
bytes; run times live only in case.sqlite.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from checker import __version__
from checker.exhibits.bates import BatesSpec
from checker.exhibits.casefile import (
    DONE,
    ERROR,
    EXHIBIT,
    INDEX_FILE,
    MANIFEST_CSV,
    MANIFEST_JSON,
    NOT_SELECTED,
    SCHEDULE_FILE,
    SELECTED,
    SLIP_SHEET,
    CaseFolder,
    InputRow,
    write_atomically,
)
from checker.legal_date import legal_date_text

SCHEMA = "spamlaw.exhibits-manifest/1"
STATUSES = (EXHIBIT, SLIP_SHEET, NOT_SELECTED, ERROR)
FIELDS = ("position", "source", "sha256", "size", "status", "reason", "exhibit_number",
          "label", "bates_first", "bates_last", "pages", "pdf_file", "pdf_sha256",
          "violations", "needs_review", "rule_ids",
          # the load file's metadata (checker.exhibits.production), for every input
          "from", "to", "cc", "bcc", "subject", "date_sent", "date_received", "message_id",
          "md5", "sha1", "custodian", "native_file", "text_file", "findings",
          "campaign",  # spamlaw campaigns --out DIR (checker.campaigns)
          # the exhibit's analysis (work product: its own Bates series, not in the load files)
          "analysis_file", "analysis_bates_first", "analysis_bates_last", "analysis_pages",
          "analysis_sha256", "analysis_reason")
UNFINISHED = "not finished: the run stopped before this exhibit was written; run it again"
HELD = "held"  # numbered, only its analysis made (--documents analysis)
HELD_REASON = ("numbered; its exhibit is not made yet (--documents analysis): run again with "
               "--documents message or both")


def manifest_row(row: InputRow, root: Path | None = None, custodian: str | None = None) -> dict:
    """One manifest row. A numbered row whose PDF is not written yet (only possible after
    an interrupted run) is reported as an error, never as an exhibit."""
    from checker.exhibits.production import findings_summary, native_path, text_path

    status, reason = row.status, row.reason
    if status == SELECTED and row.analysis_file:
        status, reason = HELD, HELD_REASON
    elif status not in STATUSES:
        status, reason = ERROR, UNFINISHED
    done = status in DONE
    facts, audit = row.facts(), row.audit()
    native = native_path(row.bates_first) if done else None
    text = text_path(row.bates_first) if done else None
    if root is not None:
        native = native if native and (root / native).is_file() else None
        text = text if text and (root / text).is_file() else None
    return {
        "position": row.position,
        "source": row.source,
        "sha256": row.sha256 or None,
        "size": row.size,
        "status": status,
        "reason": reason,
        "exhibit_number": row.exhibit_number if done or status == HELD else None,
        "label": row.label if done or status == HELD else None,
        "bates_first": row.bates_first if done else None,
        "bates_last": row.bates_last if done else None,
        "pages": row.pages if done else None,
        "pdf_file": row.pdf_file if done else None,
        "pdf_sha256": row.pdf_sha256 if done else None,
        "violations": row.violations,
        "needs_review": row.reviews,
        "rule_ids": row.rule_ids.split() if row.rule_ids else [],
        "from": facts.get("from", audit.get("from")),
        "to": facts.get("to"),
        "cc": facts.get("cc"),
        "bcc": facts.get("bcc"),
        "subject": facts.get("subject", audit.get("subject")),
        "date_sent": facts.get("date_sent", audit.get("date")),
        "date_received": facts.get("date_received", audit.get("received")),
        "message_id": facts.get("message_id", audit.get("message_id")),
        "md5": facts.get("md5"),
        "sha1": facts.get("sha1"),
        "custodian": custodian,
        "native_file": native,
        "text_file": text,
        "findings": findings_summary(audit),
        "campaign": None,  # filled by write_outputs when the case records campaigns
        **_analysis_columns(row, root),
    }


def _analysis_columns(row: InputRow, root: Path | None) -> dict:
    written = bool(row.analysis_file) and (root is None or (root / row.analysis_file).is_file())
    return {
        "analysis_file": row.analysis_file if written else None,
        "analysis_bates_first": row.analysis_first if written else None,
        "analysis_bates_last": row.analysis_last if written else None,
        "analysis_pages": row.analysis_pages if written else None,
        "analysis_sha256": row.analysis_sha256 if written else None,
        "analysis_reason": row.analysis_reason or None,
    }


def accounting(rows: Iterable[dict]) -> dict[str, int]:
    """Inputs per manifest status, plus the total and the pages of the exhibit PDFs."""
    counts = Counter()
    pages = 0
    for row in rows:
        counts[row["status"]] += 1
        pages += row["pages"] or 0
    result = {status: counts.get(status, 0) for status in STATUSES}
    if counts.get(HELD):  # only with --documents analysis
        result[HELD] = counts[HELD]
    result["inputs"] = sum(counts.values())
    result["pages"] = pages
    return result


def csv_bytes(rows: Sequence[dict]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**{k: ("" if v is None else v) for k, v in row.items()},
                         "rule_ids": " ".join(row["rule_ids"])})
    return buffer.getvalue().encode("utf-8")


def json_bytes(rows: Sequence[dict], settings: dict, counts: dict[str, int],
               schedule: dict | None, notes: Sequence[str]) -> bytes:
    from checker.formatters.json import dumps

    document = {
        "schema": SCHEMA,
        "tool": {"name": "spamlaw", "version": __version__,
                 "weasyprint_version": settings.get("weasyprint_version")},
        "ruleset": {"sha256": settings.get("ruleset_sha256")},
        "settings": settings,
        "accounting": counts,
        "notes": list(notes),
        "inputs": list(rows),
        "schedule": schedule,
    }
    return (dumps(document, indent=2) + "\n").encode("ascii")


@dataclass(frozen=True)
class Written:
    counts: dict[str, int]
    index: bool  # index.pdf written
    notes: tuple[str, ...]  # what could not be made, and why
    load_files: tuple[str, ...] = ()  # DATA/<prefix>.dat and .opt, relative to the folder


def write_outputs(folder: CaseFolder, settings: dict, *, title: str = "Index of exhibits",
                  case_name: str = "", selection: str = "", custodian: str | None = None
                  ) -> Written:
    """Write manifest.csv, manifest.json, index.pdf and the load files from the ledger
    (atomically)."""
    from checker.exhibits.production import write_load_files

    ledger = list(folder.all_rows())
    rows = [manifest_row(row, folder.root, custodian) for row in ledger]
    counts = accounting(rows)
    notes: list[str] = []
    campaigns = _campaigns(folder, rows)
    schedule = _schedule(ledger, rows, notes, settings)
    options = _index_options(settings, counts, title=title, case_name=case_name,
                             selection=selection, campaigns=campaigns)
    index = _index(folder, ledger, rows, options, notes)
    schedule_pdf = _schedule_pdf(folder, schedule, options, notes)
    write_atomically(folder.root / MANIFEST_CSV, csv_bytes(rows))
    write_atomically(folder.root / MANIFEST_JSON,
                     json_bytes(rows, settings, counts, schedule, notes))
    for name, made in ((INDEX_FILE, index), (SCHEDULE_FILE, schedule_pdf)):
        if isinstance(made, _Made):
            write_atomically(folder.root / name, made.pdf)
            _remember(folder, name, made)
    bates = BatesSpec(settings.get("bates_prefix", ""), settings.get("bates_start", 1),
                      settings.get("bates_digits", 7))
    load_files = write_load_files(folder.root, ledger, bates, custodian)
    return Written(counts, index is not None, tuple(notes), load_files)


@dataclass(frozen=True)
class _Made:
    pdf: bytes
    identifier: str


KEPT = "kept"  # the file on disk is what would be rendered: not rebuilt


def _kept(folder: CaseFolder, name: str, identifier: str) -> bool:
    """`name` was written by an earlier run from the same inputs (same PDF identifier,
    which covers everything it shows) and is unaltered on disk."""
    import hashlib

    if folder.meta(f"{name}:identifier") != identifier:
        return False
    try:
        data = (folder.root / name).read_bytes()
    except OSError:
        return False
    return hashlib.sha256(data).hexdigest() == folder.meta(f"{name}:sha256")


def _remember(folder: CaseFolder, name: str, made: _Made) -> None:
    import hashlib

    folder.set_meta(f"{name}:identifier", made.identifier)
    folder.set_meta(f"{name}:sha256", hashlib.sha256(made.pdf).hexdigest())
    folder.commit()


def _schedule(ledger: Sequence[InputRow], rows: Sequence[dict], notes: list[str],
              settings: dict) -> dict | None:
    """The schedule of violations and damages (checker.exhibits.schedule) over every
    audited input, naming the exhibits behind each figure."""
    try:
        from checker.exhibits.schedule import build_schedule
    except ImportError as exc:
        notes.append(f"schedule not computed: {exc}")
        return None
    messages = [_without_evidence(row.audit()) for row in ledger if row.audit_json]
    labels = {row.source: mrow["label"] for row, mrow in zip(ledger, rows, strict=True)
              if mrow["label"] and mrow["status"] in DONE}
    return build_schedule(messages, labels, plaintiff=settings.get("plaintiff"),
                          all_remedies=bool(settings.get("all_remedies")))


def _campaigns(folder: CaseFolder, rows: list[dict]) -> list[dict]:
    """Each row's campaign (`spamlaw campaigns --out DIR`), and the summary by campaign
    (checker.campaigns.representatives); nothing when the case records no campaigns."""
    from checker.campaigns.representatives import membership, summary

    members = membership(folder.db)[0]
    for row in rows:
        row["campaign"] = members.get(row["sha256"] or "")
    return summary(folder) if members else []


def _without_evidence(message: dict) -> dict:
    """The schedule counts findings; their evidence quotes would only cost memory."""
    findings = [{k: v for k, v in f.items() if k != "evidence"}
                for f in message.get("findings") or () if isinstance(f, dict)]
    return {**message, "findings": findings}


def _index_options(settings: dict, counts: dict, *, title: str, case_name: str,
                   selection: str, campaigns=()):
    from checker.exhibits.index import IndexOptions

    return IndexOptions(title=title, case_name=case_name,
                        ruleset_sha256=settings.get("ruleset_sha256", ""),
                        accounting={k: v for k, v in counts.items()
                                    if k in STATUSES or k == HELD},
                        selection=selection, bates_prefix=settings.get("bates_prefix", ""),
                        campaigns=tuple(campaigns))


def _schedule_pdf(folder: CaseFolder, schedule: dict | None, options, notes: list[str]):
    """schedule.pdf, a demonstrative of its own (KEPT when the one on disk is current), or
    None with a note saying why not."""
    from checker.exhibits.index import render_schedule, schedule_identifier

    if schedule is None:
        return None
    try:
        identifier = schedule_identifier(schedule, options)
        if _kept(folder, SCHEDULE_FILE, identifier):
            return KEPT
        return _Made(render_schedule(schedule, options), identifier)
    except Exception as exc:  # the manifests must still be written
        notes.append(f"{SCHEDULE_FILE} not written: {type(exc).__name__}: {exc}")
        return None


def _index(folder: CaseFolder, ledger, rows, options, notes):
    """The index PDF (checker.exhibits.index): every exhibit and every other input (KEPT
    when the one on disk is current), or None with a note saying why not."""
    from checker.exhibits.index import IndexRow, InputLine, index_identifier, render_index

    entries, others = [], []
    for row, mrow in zip(ledger, rows, strict=True):
        if mrow["status"] not in DONE:
            others.append(InputLine(position=row.position, status=mrow["status"],
                                    reason=mrow["reason"] or "", source=row.source,
                                    sha256=row.sha256 or ""))
            continue
        audit = row.audit()
        findings = [f for f in audit.get("findings") or () if isinstance(f, dict)]
        entries.append(IndexRow(
            number=row.exhibit_number, label=row.label, bates_first=row.bates_first,
            bates_last=row.bates_last, pages=row.pages, source=row.source, sha256=row.sha256,
            pdf_file=row.pdf_file, pdf_sha256=row.pdf_sha256,
            subject=str(audit.get("subject") or ""), sender=str(audit.get("from") or ""),
            date=legal_date_text(audit.get("received"), audit.get("date_source"),
                                 audit.get("date")),
            violations=_rules(findings, "violation"), reviews=_rules(findings, "needs_review"),
            note=row.reason if mrow["status"] == SLIP_SHEET else "",
        ))
    entries.sort(key=lambda entry: entry.number)
    try:
        identifier = index_identifier(entries, options, others=others)
        if _kept(folder, INDEX_FILE, identifier):
            return KEPT
        return _Made(render_index(entries, options, others=others), identifier)
    except Exception as exc:  # the manifests must still be written
        notes.append(f"index.pdf not written: {type(exc).__name__}: {exc}")
        return None


def _rules(findings: list[dict], status: str) -> tuple[str, ...]:
    return tuple(sorted({str(f.get("rule")) for f in findings if f.get("status") == status}))
