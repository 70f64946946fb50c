"""The case folder of a batch of exhibits, and its ledger `case.sqlite` (stdlib sqlite3).

    DIR/exhibits/exhibit-00001.pdf …   one PDF per exhibit (or its slip sheet)
    DIR/analysis/analysis-00001.pdf …  the analysis of each exhibit (attorney work product,
                                       its own Bates series; not in the load files)
    DIR/index.pdf                      index of every input (Bates numbers of its own)
    DIR/schedule.pdf                   schedule of violations and damages (a demonstrative)
    DIR/manifest.csv, manifest.json    one row per input
    DIR/NATIVES/<BEGBATES>.eml         the original of each exhibit, byte for byte
    DIR/TEXT/<BEGBATES>.txt            its extracted text
    DIR/DATA/<prefix>.dat, .opt        load files (Concordance DAT, Opticon OPT)
    DIR/case.sqlite                    this ledger: settings, runs, one row per input

The ledger is what makes a batch resumable and its numbering stable. One row per input
item, keyed by (source id, SHA-256 of the bytes, occurrence: how many identical items came
before it in the same run), with its position (the order the case first saw it), status,
audit JSON, and once selected its exhibit number, page count, Bates range and PDF hash.

A row moves through these statuses (the last three are final; `error` is retried when the
same source is given again; `--retry-slip-sheets` renders slip-sheeted ones again):

    error | not_selected | selected (number and label assigned)
        → exhibit | slip_sheet (rendered once, Bates range given in number order, stamped,
          PDF written)

`planned` (a Bates range known, no valid PDF) is a row whose PDF went missing or was
altered, or a row of a case made before exhibits were rendered once: it is rendered again
into the same range.

Invariants the batch relies on: exhibit numbers are assigned in input order and never
change; Bates ranges are assigned in number order without gaps, so the rows that have a
range are always a prefix of the numbered rows. An exhibit's analysis (`--documents
both|analysis`) has a Bates range of its own series (`analysis_*` columns), given in the
order the analyses are written, so adding or dropping the analysis never moves an exhibit's
numbers.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

SCHEMA = "spamlaw.case/1"
EXHIBITS_FOLDER = "exhibits"
ANALYSIS_FOLDER = "analysis"
CASE_FILE = "case.sqlite"
INDEX_FILE = "index.pdf"
MANIFEST_CSV = "manifest.csv"
MANIFEST_JSON = "manifest.json"
SCHEDULE_FILE = "schedule.pdf"
LOCK_FILE = ".spamlaw-exhibits.lock"
NATIVES_FOLDER, TEXT_FOLDER, DATA_FOLDER = "NATIVES", "TEXT", "DATA"
OUTPUT_FILES = (INDEX_FILE, SCHEDULE_FILE, MANIFEST_CSV, MANIFEST_JSON)
PRODUCTION_FILES = ((NATIVES_FOLDER, "*.eml"), (TEXT_FOLDER, "*.txt"), (DATA_FOLDER, "*.dat"),
                    (DATA_FOLDER, "*.opt"))

ERROR = "error"
NOT_SELECTED = "not_selected"
SELECTED = "selected"
PLANNED = "planned"
EXHIBIT = "exhibit"
SLIP_SHEET = "slip_sheet"
DONE = (EXHIBIT, SLIP_SHEET)

_COLUMNS = """
    position INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    occurrence INTEGER NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    audit_json TEXT,
    violations INTEGER NOT NULL DEFAULT 0,
    reviews INTEGER NOT NULL DEFAULT 0,
    rule_ids TEXT NOT NULL DEFAULT '',
    exhibit_number INTEGER UNIQUE,
    label TEXT,
    kind TEXT,
    pages INTEGER,
    bates_start INTEGER,
    bates_first TEXT,
    bates_last TEXT,
    pdf_file TEXT,
    pdf_sha256 TEXT,
    metadata TEXT,
    bates_pages INTEGER,
    analysis_pages INTEGER,
    analysis_bates_start INTEGER,
    analysis_first TEXT,
    analysis_last TEXT,
    analysis_file TEXT,
    analysis_sha256 TEXT,
    analysis_reason TEXT,
    UNIQUE (source, sha256, occurrence)
"""
_ADDED_COLUMNS = {  # absent from older ledgers
    "metadata": "TEXT", "bates_pages": "INTEGER", "analysis_pages": "INTEGER",
    "analysis_bates_start": "INTEGER", "analysis_first": "TEXT", "analysis_last": "TEXT",
    "analysis_file": "TEXT", "analysis_sha256": "TEXT", "analysis_reason": "TEXT"}


class CaseFolderError(Exception):
    """The output folder cannot be used as asked (a usage error: one line, exit 2)."""


@dataclass(frozen=True)
class InputRow:
    """One input item as the ledger records it."""

    position: int
    source: str
    sha256: str
    occurrence: int
    size: int = 0
    status: str = ERROR
    reason: str = ""
    audit_json: str | None = None
    violations: int = 0
    reviews: int = 0
    rule_ids: str = ""  # space-separated rule ids of violation / needs_review findings
    exhibit_number: int | None = None
    label: str | None = None
    kind: str | None = None  # exhibit | slip_sheet, decided when the pages are counted
    pages: int | None = None
    bates_start: int | None = None
    bates_first: str | None = None
    bates_last: str | None = None
    pdf_file: str | None = None  # relative to the case folder
    pdf_sha256: str | None = None
    metadata: str | None = None  # JSON: header metadata and hashes (checker.exhibits.production)
    # pages numbered in sequence from bates_start; a retried slip sheet's extra pages carry
    # suffixed numbers (bates.page_numbers). None: all `pages`.
    bates_pages: int | None = None
    # the exhibit's analysis (work product): its own Bates series, PDF under analysis/;
    # analysis_reason says why it could not be made (it is tried again on the next run)
    analysis_pages: int | None = None
    analysis_bates_start: int | None = None
    analysis_first: str | None = None
    analysis_last: str | None = None
    analysis_file: str | None = None
    analysis_sha256: str | None = None
    analysis_reason: str | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.source, self.sha256, self.occurrence)

    def facts(self) -> dict:
        """The metadata JSON (empty when there is none)."""
        try:
            value = json.loads(self.metadata or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def audit(self) -> dict:
        """The audit JSON message object (empty when there is none)."""
        if not self.audit_json:
            return {}
        try:
            value = json.loads(self.audit_json)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


_ROW_FIELDS = tuple(f.name for f in fields(InputRow))


def write_atomically(path: Path, data: bytes | Callable[[BinaryIO], Any]) -> None:
    """Write `data` (bytes, or a function that writes to the stream it is given) via a
    temporary file in the same folder and rename it into place, so a reader (or a resumed
    run) never sees half a file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; colleagues must read it
        with os.fdopen(handle, "wb") as stream:
            if callable(data):
                data(stream)
            else:
                stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it; set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def pdf_name(number: int) -> str:
    return f"{EXHIBITS_FOLDER}/exhibit-{number:05d}.pdf"


def analysis_name(number: int) -> str:
    return f"{ANALYSIS_FOLDER}/analysis-{number:05d}.pdf"


def now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class CaseFolder:
    """The output folder, locked for one run at a time, and its ledger."""

    def __init__(self, root: Path):
        self.root = root
        self.exhibits = root / EXHIBITS_FOLDER
        self.analyses = root / ANALYSIS_FOLDER
        self.database = root / CASE_FILE
        self._lock_handle = None
        self.db: sqlite3.Connection | None = None
        self.run_id: int | None = None

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, settings: dict, *, fresh: bool = False) -> CaseFolder:
        """Lock and open `root` for a run with `settings` (the options that decide what
        the output looks like). Raises CaseFolderError when the folder holds a batch made
        with other settings, or output without a ledger, unless `fresh` (start over)."""
        if root.exists() and not root.is_dir():
            raise CaseFolderError(f"--out {root}: exists and is not a folder")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CaseFolderError(f"--out {root}: {exc.strerror or exc}") from None
        folder = cls(root)
        folder._lock()
        try:
            if fresh:
                folder._remove_outputs()
            elif not folder.database.exists() and folder._has_outputs():
                raise CaseFolderError(
                    f"--out {root} holds exhibits but no {CASE_FILE}; use a new folder, or "
                    "--fresh to start over (deletes them)")
            folder._connect()
            folder._check_settings(settings)
            folder.exhibits.mkdir(exist_ok=True)
            folder._remove_temporaries()
        except BaseException:
            folder.close()
            raise
        return folder

    def _lock(self) -> None:
        try:
            self._lock_handle = open(self.root / LOCK_FILE, "a+b")  # held for the run
            fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CaseFolderError(
                f"--out {self.root}: another `spamlaw exhibits` run is using this folder"
            ) from None
        except OSError as exc:
            raise CaseFolderError(f"--out {self.root}: {exc.strerror or exc}") from None

    def _has_outputs(self) -> bool:
        if any((self.root / name).exists() for name in OUTPUT_FILES):
            return True
        if any(self._production_files()):
            return True
        return any(folder.is_dir() and any(folder.glob(pattern)) for folder, pattern in (
            (self.exhibits, "exhibit-*.pdf"), (self.analyses, "analysis-*.pdf")))

    def _production_files(self) -> Iterator[Path]:
        for folder, pattern in PRODUCTION_FILES:
            if (self.root / folder).is_dir():
                yield from (self.root / folder).glob(pattern)

    def unknown_pdfs(self) -> list[str]:
        """PDFs in exhibits/ and analysis/ that the ledger does not know (left by another
        run or put there by hand): reported, never deleted or counted."""
        known = {name for row in self.db.execute(
            "SELECT pdf_file, analysis_file FROM inputs") for name in row if name}
        return sorted(f"{folder.name}/{path.name}" for folder in (self.exhibits, self.analyses)
                      if folder.is_dir() for path in folder.glob("*.pdf")
                      if f"{folder.name}/{path.name}" not in known)

    def _remove_outputs(self) -> None:
        """--fresh: delete what a batch writes here (and nothing else). A ledger holding
        counsel's review decisions is kept, its production tables dropped."""
        from checker.review.journal import keep_on_fresh

        ledger = () if keep_on_fresh(self.database) else (
            CASE_FILE, f"{CASE_FILE}-wal", f"{CASE_FILE}-shm", f"{CASE_FILE}-journal")
        for name in (*ledger, *OUTPUT_FILES):
            (self.root / name).unlink(missing_ok=True)
        for path in list(self._production_files()):
            path.unlink(missing_ok=True)
        for folder, pattern in ((self.exhibits, "exhibit-*.pdf"),
                                (self.analyses, "analysis-*.pdf")):
            if folder.is_dir():
                for path in folder.glob(pattern):
                    path.unlink(missing_ok=True)

    def _remove_temporaries(self) -> None:
        """Half-written files of an interrupted run (we hold the lock: nobody writes)."""
        for folder in (self.root, self.exhibits, self.analyses,
                       *(self.root / name for name, _ in PRODUCTION_FILES)):
            for path in folder.glob(".*.tmp"):
                path.unlink(missing_ok=True)

    def _connect(self) -> None:
        try:
            self.db = sqlite3.connect(self.database)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.db.execute(f"CREATE TABLE IF NOT EXISTS inputs ({_COLUMNS})")
            present = {row[1] for row in self.db.execute("PRAGMA table_info(inputs)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in present:
                    self.db.execute(f"ALTER TABLE inputs ADD COLUMN {name} {kind}")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT, "
                "finished TEXT, tool_version TEXT, arguments TEXT, outcome TEXT)")
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            raise CaseFolderError(f"{self.database}: not a usable case file ({exc}); use a new "
                                  "folder, or --fresh to start over") from None

    def _check_settings(self, settings: dict) -> None:
        stored = self.meta("settings")
        wanted = json.dumps(settings, sort_keys=True)
        if stored is None and self._has_outputs():
            raise CaseFolderError(
                f"{self.database}: holds no case (empty or damaged) but --out {self.root} holds "
                "exhibits or manifests; restore it from a backup, use a new folder, or --fresh "
                "to start over (deletes them)")
        if stored is None:
            self.set_meta("schema", SCHEMA)
            self.set_meta("settings", wanted)
            self.db.commit()
            return
        old = json.loads(stored)
        changed = sorted(key for key in set(old) | set(settings) if old.get(key) != settings.get(key))
        if changed:
            shown = ", ".join(f"{key} {old.get(key)!r} → {settings.get(key)!r}"
                              for key in changed[:4])
            raise CaseFolderError(
                f"--out {self.root} was made with other settings ({shown}); use a new folder, "
                "or --fresh to start over")

    def close(self) -> None:
        if self.db is not None:
            with suppress(sqlite3.Error):
                self.db.commit()
                self.db.close()
            self.db = None
        if self._lock_handle is not None:
            with suppress(OSError):
                fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
                self._lock_handle.close()
            self._lock_handle = None

    # --- meta and runs -----------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        found = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def settings(self) -> dict:
        return json.loads(self.meta("settings") or "{}")

    def start_run(self, tool_version: str, arguments: dict) -> None:
        cursor = self.db.execute(
            "INSERT INTO runs (started, tool_version, arguments) VALUES (?, ?, ?)",
            (now_text(), tool_version, json.dumps(arguments, sort_keys=True)))
        self.run_id = cursor.lastrowid
        self.db.commit()

    def finish_run(self, outcome: dict) -> None:
        self.db.execute("UPDATE runs SET finished = ?, outcome = ? WHERE id = ?",
                        (now_text(), json.dumps(outcome, sort_keys=True), self.run_id))
        self.db.commit()

    # --- rows --------------------------------------------------------------------------

    def _rows(self, where: str = "", args: tuple = (), order: str = "position") -> Iterator[InputRow]:
        query = f"SELECT {', '.join(_ROW_FIELDS)} FROM inputs {where} ORDER BY {order}"
        for values in self.db.execute(query, args).fetchall():
            yield InputRow(*values)

    def find(self, key: tuple[str, str, int]) -> InputRow | None:
        return next(self._rows("WHERE source = ? AND sha256 = ? AND occurrence = ?", key), None)

    def find_error(self, source: str, occurrence: int, exclude: set[int]) -> InputRow | None:
        """An `error` row of the same source (its bytes may differ now), to retry in place."""
        for row in self._rows("WHERE source = ? AND occurrence = ? AND status = ?",
                              (source, occurrence, ERROR)):
            if row.position not in exclude:
                return row
        return None

    def all_rows(self) -> Iterator[InputRow]:
        return self._rows()

    def numbered(self, *statuses: str) -> list[InputRow]:
        marks = ", ".join("?" for _ in statuses)
        return list(self._rows(f"WHERE exhibit_number IS NOT NULL AND status IN ({marks})",
                               statuses, order="exhibit_number"))

    def save(self, row: InputRow) -> None:
        values = asdict(row)
        self.db.execute(
            f"INSERT OR REPLACE INTO inputs ({', '.join(_ROW_FIELDS)}) "
            f"VALUES ({', '.join('?' for _ in _ROW_FIELDS)})",
            tuple(values[name] for name in _ROW_FIELDS))

    def update(self, row: InputRow, **changes) -> InputRow:
        row = replace(row, **changes)
        self.save(row)
        return row

    def commit(self) -> None:
        self.db.commit()

    def next_position(self) -> int:
        return (self.db.execute("SELECT MAX(position) FROM inputs").fetchone()[0] or 0) + 1

    def next_number(self, first: int) -> int:
        found = self.db.execute("SELECT MAX(exhibit_number) FROM inputs").fetchone()[0]
        return first if found is None else found + 1

    def next_bates(self, start: int) -> int:
        """Where the next Bates range starts: right after the last reserved one."""
        found = self.db.execute(
            "SELECT bates_start + COALESCE(bates_pages, pages) FROM inputs WHERE bates_start IS NOT NULL "
            "ORDER BY exhibit_number DESC LIMIT 1").fetchone()
        return start if found is None else found[0]

    def next_analysis_bates(self, start: int) -> int:
        """Where the next analysis range starts: right after the highest one given."""
        found = self.db.execute(
            "SELECT MAX(analysis_bates_start + analysis_pages) FROM inputs").fetchone()[0]
        return start if found is None else found

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM inputs GROUP BY status"))
