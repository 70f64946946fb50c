"""Decisions in a `spamlaw exhibits` case folder: which are in force for the run's ruleset,
and which already-made exhibits they change (re-rendered in place, same Bates range)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from checker.review.decisions import Decisions, apply_to_message
from checker.review.journal import TABLE, has_table, latest

# Ledger statuses (checker.exhibits.casefile) whose rows have been audited.
REDONE = ("exhibit", "slip_sheet")  # made: re-render when their findings change
KEPT_AS_IS = ("not_selected", "selected", "planned")  # not made yet: update the record


@dataclass
class Revisit:
    """What a run does about decisions on rows it had already settled."""

    to_render: dict[tuple, object] = field(default_factory=dict)  # key → row before
    updated: int = 0  # rows not yet rendered whose recorded findings changed


def decisions_for(db, ruleset) -> Decisions | None:
    """The decisions in force for `ruleset` (None when the case has no journal)."""
    if not has_table(db, TABLE):
        return None
    found = latest(db)
    return Decisions.of(found, ruleset) if found else None


def _findings_key(message: dict) -> list:
    return [(f.get("rule"), f.get("status"), f.get("decision", {}).get("journal_entry"))
            for f in message.get("findings") or ()]


def revisit(folder, decisions: Decisions | None, counts_from_json) -> Revisit:
    """Re-apply the decisions in force to every audited row's recorded findings. A made
    exhibit whose findings change goes back to `planned` with its number, pages and
    Bates range (the render pass makes it again); the others just get the new record."""
    from checker.formatters.json import dumps

    report = Revisit()
    for row in list(folder.all_rows()):
        if not row.audit_json or row.status not in REDONE + KEPT_AS_IS:
            continue
        before = row.audit()
        after = apply_to_message(before, decisions)
        if _findings_key(after) == _findings_key(before):
            continue
        text = dumps(after)
        changed = replace(row, audit_json=text, **counts_from_json(text))
        if row.status in REDONE and row.pdf_file:
            report.to_render[row.key] = row
            changed = replace(changed, status="planned", pdf_sha256=None)
        else:
            report.updated += 1
        folder.save(changed)
    folder.commit()
    return report


def audit_record(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
