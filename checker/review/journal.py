"""The decisions journal: table `review_decisions` in a case folder's `case.sqlite`.

Append-only: each `spamlaw review decide` adds one entry (who, when, confirm or dismiss,
which rule and its version, why, the ruleset's SHA-256, and the SHA-256 of every message
it applies to). Triggers refuse UPDATE and DELETE. For a (message, rule) the latest entry
is the one in force; earlier ones stay in the log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TABLE = "review_decisions"
CONFIRM, DISMISS = "confirm", "dismiss"
PRODUCTION_TABLES = ("inputs", "meta", "runs")  # what `spamlaw exhibits --fresh` starts over

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('{CONFIRM}', '{DISMISS}')),
    rule TEXT NOT NULL,
    rule_version INTEGER,
    reason TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('message', 'campaign')),
    target TEXT NOT NULL,
    ruleset_sha256 TEXT NOT NULL,
    messages TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'the review journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'the review journal is append-only'); END;
"""


@dataclass(frozen=True)
class Entry:
    """One journal entry."""

    id: int
    recorded: str  # ISO-8601 UTC, seconds
    by: str
    action: str  # confirm | dismiss
    rule: str
    rule_version: int | None
    reason: str
    scope: str  # message | campaign
    target: str  # a message SHA-256 or a campaign id
    ruleset_sha256: str
    messages: tuple[str, ...]

    @property
    def day(self) -> str:
        return self.recorded[:10]

    def to_dict(self) -> dict:
        return {"entry": self.id, "recorded": self.recorded, "by": self.by,
                "action": self.action, "rule": self.rule, "rule_version": self.rule_version,
                "reason": self.reason, "scope": self.scope, "target": self.target,
                "ruleset_sha256": self.ruleset_sha256, "messages": list(self.messages)}


def open_journal(db: sqlite3.Connection) -> sqlite3.Connection:
    """Create the journal table (first use) in an open case ledger."""
    db.executescript(_SCHEMA)
    return db


def has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (name,)).fetchone() is not None


def record(db: sqlite3.Connection, *, by: str, action: str, rule: str,
           rule_version: int | None, reason: str, scope: str, target: str,
           ruleset_sha256: str, messages: list[str], now: datetime | None = None) -> Entry:
    open_journal(db)
    recorded = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat()
    cursor = db.execute(
        f"INSERT INTO {TABLE} (recorded, decided_by, action, rule, rule_version, reason, "
        "scope, target, ruleset_sha256, messages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (recorded, by, action, rule, rule_version, reason, scope, target, ruleset_sha256,
         json.dumps(sorted(set(messages)))))
    db.commit()
    return next(e for e in entries(db) if e.id == cursor.lastrowid)


def entries(db: sqlite3.Connection) -> Iterator[Entry]:
    """Every entry, oldest first."""
    if not has_table(db, TABLE):
        return
    for row in db.execute(
            f"SELECT id, recorded, decided_by, action, rule, rule_version, reason, scope, "
            f"target, ruleset_sha256, messages FROM {TABLE} ORDER BY id").fetchall():
        yield Entry(*row[:10], messages=tuple(json.loads(row[10])))


def latest(db: sqlite3.Connection) -> dict[tuple[str, str], Entry]:
    """The entry in force for each (message SHA-256, rule): the latest one."""
    found: dict[tuple[str, str], Entry] = {}
    for entry in entries(db):
        for sha256 in entry.messages:
            found[(sha256, entry.rule)] = entry
    return found


def keep_on_fresh(database: Path) -> bool:
    """`spamlaw exhibits --fresh` on a folder whose ledger holds decisions or campaigns:
    start the production over (its tables are dropped) but keep the journal and the
    campaigns, and so the file. Returns True when the file was kept."""
    if not database.is_file():
        return False
    try:
        with sqlite3.connect(database) as db:
            if not (has_table(db, TABLE) or has_table(db, "campaign_members")):
                return False
            for name in PRODUCTION_TABLES:
                db.execute(f"DROP TABLE IF EXISTS {name}")
        with sqlite3.connect(database) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError:
        return False
    return True
