"""The result types of an audit: one immutable shape shared by the engine, the
formatters and the exhibits."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    VIOLATION = "violation"
    NEEDS_REVIEW = "needs_review"
    COMPLIANT = "compliant"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


# Ordered from most to least serious; `--fail-on` and report ordering use it.
STATUS_RANK = {
    Status.VIOLATION: 0,
    Status.ERROR: 1,
    Status.NEEDS_REVIEW: 2,
    Status.COMPLIANT: 3,
    Status.NOT_APPLICABLE: 4,
}


@dataclass(frozen=True)
class Evidence:
    """Where a finding is grounded.

    Either a span (`start`/`end` are character offsets into the text of `field`, `quote`
    is that text) or, for a finding about an absence, `searched`: the fields and
    patterns that were looked through without a match.
    """

    field: str
    start: int | None = None
    end: int | None = None
    quote: str | None = None
    searched: tuple[str, ...] | None = None
    note: str | None = None  # for people, in plain words
    source: str | None = None  # for machines: the detector list item a span came from, e.g. commercial.reasons[0]

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict (a deep copy per evidence item: a tenth
        # of a JSON audit's CPU time); same keys, same order.
        data = {}
        for key in _EVIDENCE_KEYS:
            value = getattr(self, key)
            if value is not None:
                data[key] = list(value) if key == "searched" else value
        return data


_EVIDENCE_KEYS = ("field", "start", "end", "quote", "searched", "note", "source")


@dataclass(frozen=True)
class Finding:
    """One rule's outcome on one message."""

    rule: str
    status: Status
    title: str
    jurisdiction: str
    citations: tuple[str, ...]
    finding: str = ""
    severity: str = ""
    evidence: tuple[Evidence, ...] = ()
    penalty: dict[str, Any] | None = None
    error: str | None = None
    # Why the outcome is what it is: codes of checker/reasons.py, decided by the engine
    # for violation, needs_review and not_applicable outcomes (empty for compliant).
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = {
            "rule": self.rule,
            "status": str(self.status),
            "jurisdiction": self.jurisdiction,
            "citations": list(self.citations),
            "title": self.title,
            "severity": self.severity,
            "finding": self.finding,
            "evidence": [e.to_dict() for e in self.evidence],
            "penalty": self.penalty,
            "reasons": list(self.reasons),
        }
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class AuditResult:
    """Every finding for one input message, plus what identifies the message."""

    source: str
    sha256: str
    size: int
    message_id: str | None = None
    sender: str | None = None
    subject: str | None = None
    date: str | None = None  # the Date header as written: the sender's claim
    received: str | None = None  # ISO-8601 UTC of receipt.time (trusted Received line)
    date_source: str | None = None  # legal_date.source: trusted_received | date_header
    errors: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def worst(self) -> Status | None:
        if not self.findings:
            return None
        return min((f.status for f in self.findings), key=STATUS_RANK.__getitem__)
