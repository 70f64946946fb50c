"""The review queue of a case folder: every finding the audit left for review, with the
decision in force (if any), grouped by campaign for working through it."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from checker.review.casefolder import audit_record
from checker.review.decisions import REVIEW, Decisions, decided_status, engine_view

NO_CAMPAIGN = "-"
MAX_QUOTES = 3


@dataclass
class Question:
    """One (message, rule) the audit reported for review."""

    sha256: str
    source: str
    exhibit: str | None
    campaign: str
    rule: str
    subject: str
    status: str  # in force: needs_review, or the decided status
    reasons: list[str]
    finding: str  # the audit's sentence
    quotes: list[str]
    decision: dict[str, Any] | None = None
    new_look: str | None = None  # a decision that no longer applies, and why

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "source": self.source, "exhibit": self.exhibit,
                "campaign": None if self.campaign == NO_CAMPAIGN else self.campaign,
                "rule": self.rule, "subject": self.subject, "status": self.status, "engine_status": REVIEW,
                "reasons": self.reasons, "finding": self.finding, "evidence": self.quotes,
                "decision": self.decision, "needs_new_look": self.new_look}


@dataclass
class Campaign:
    id: str
    size: int  # messages of the campaign (whole grouping)
    subject: str
    questions: list[Question] = field(default_factory=list)


def campaigns_of(db: sqlite3.Connection) -> tuple[dict[str, str], dict[str, tuple[int, str]]]:
    """(message SHA-256 → campaign id, campaign id → (size, representative subject))."""
    from checker.review.journal import has_table

    if not has_table(db, "campaign_members"):
        return {}, {}
    members = dict(db.execute("SELECT sha256, campaign FROM campaign_members"))
    info = {cid: (size, subject or "") for cid, size, subject in
            db.execute("SELECT campaign, size, subject FROM campaigns")}
    return members, info


def questions(db: sqlite3.Connection, decisions: Decisions | None) -> list[Question]:
    members, _ = campaigns_of(db)
    found = []
    for source, sha256, audit_json, label in db.execute(
            "SELECT source, sha256, audit_json, label FROM inputs "
            "WHERE audit_json IS NOT NULL ORDER BY position"):
        message = audit_record(audit_json)
        for finding in message.get("findings") or ():
            finding = engine_view(finding)
            if finding.get("status") != REVIEW:
                continue
            rule = finding.get("rule") or ""
            question = Question(
                sha256=sha256, source=source, exhibit=label,
                campaign=members.get(sha256, NO_CAMPAIGN), rule=rule,
                subject=message.get("subject") or "", status=REVIEW,
                reasons=list(finding.get("reasons") or ()), finding=finding.get("finding") or "",
                quotes=[e["quote"] for e in finding.get("evidence") or ()
                        if isinstance(e, dict) and e.get("quote")][:MAX_QUOTES])
            entry = decisions.for_message(sha256).get(rule) if decisions else None
            if entry is not None:
                question.new_look = decisions.stale(entry)
                question.decision = entry.to_dict() | {"messages": len(entry.messages)}
                if question.new_look is None:
                    question.status = decided_status(entry, question.reasons)
            found.append(question)
    return found


def by_campaign(found: list[Question], db: sqlite3.Connection) -> list[Campaign]:
    """Questions grouped by campaign, biggest campaign first (then by id); messages with
    no campaign last."""
    _, info = campaigns_of(db)
    groups: dict[str, Campaign] = {}
    counts: dict[str, set] = defaultdict(set)
    for question in found:
        size, subject = info.get(question.campaign, (0, ""))
        group = groups.setdefault(question.campaign, Campaign(question.campaign, size, subject))
        group.questions.append(question)
        counts[question.campaign].add(question.sha256)
    for group in groups.values():
        group.size = group.size or len(counts[group.id])
    return sorted(groups.values(), key=lambda g: (g.id == NO_CAMPAIGN, -g.size, g.id))
