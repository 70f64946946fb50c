"""Apply counsel's decisions to findings (pure: no I/O, no clock).

A decision applies to a finding when the finding's engine status is `needs_review` and the
rule's version is the one the decision was made under; a decision recorded under another
version is never applied silently: it is reported as needing a new look.

* confirm → `violation`, finding text "Confirmed by NAME on DATE: REASON. ..." followed by
  what the audit had reported;
* dismiss → `not_applicable` when the review question was whether the rule applies
  (reason codes such as `commercial_uncertain`), else `compliant`, with the same record.

The finding keeps a `decision` object (docs/audit-json.md) that also carries the engine's
own status and sentence, so the audit's view is never lost and a later decision or a
rerun can start again from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from checker.findings import AuditResult, Finding, Status
from checker.review.journal import CONFIRM, Entry

REVIEW = "needs_review"
# Review reasons (contract 1) that make the question one of applicability.
APPLICABILITY_REASONS = frozenset({"commercial_uncertain", "no_nexus", "precondition_false",
                                   "not_in_force", "content_not_read"})


@dataclass(frozen=True)
class DecidedFinding(Finding):
    """A finding with counsel's decision applied (its JSON carries `decision`)."""

    decision: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if self.decision is not None:
            data["decision"] = dict(self.decision)
        return data


@dataclass(frozen=True)
class Decisions:
    """The decisions in force for a ruleset (picklable, for worker processes):
    message SHA-256 → rule → journal entry; and the ruleset's rule versions."""

    by_message: Mapping[str, Mapping[str, Entry]]
    versions: Mapping[str, int | None]

    @classmethod
    def of(cls, latest: Mapping[tuple[str, str], Entry], ruleset) -> Decisions:
        by_message: dict[str, dict[str, Entry]] = {}
        for (sha256, rule), entry in latest.items():
            by_message.setdefault(sha256, {})[rule] = entry
        return cls(by_message, {rule.id: rule.version for rule in ruleset.rules})

    def for_message(self, sha256: str) -> Mapping[str, Entry]:
        return self.by_message.get(sha256, {})

    def stale(self, entry: Entry) -> str | None:
        """Why `entry` cannot be applied under this ruleset (None when it can)."""
        if entry.rule not in self.versions:
            return f"rule {entry.rule} is not in the ruleset any more"
        now = self.versions[entry.rule]
        if now != entry.rule_version:
            return (f"decided under version {entry.rule_version} of {entry.rule}; the rule is "
                    f"now version {now}: needs a new look")
        return None


def decided_status(entry: Entry, reasons) -> str:
    if entry.action == CONFIRM:
        return "violation"
    return "not_applicable" if set(reasons or ()) & APPLICABILITY_REASONS else "compliant"


def decision_object(entry: Entry, engine_status: str, engine_finding: str) -> dict[str, Any]:
    return {
        "action": "confirmed" if entry.action == CONFIRM else "dismissed",
        "by": entry.by,
        "date": entry.day,
        "recorded": entry.recorded,
        "reason": entry.reason,
        "journal_entry": entry.id,
        "rule_version": entry.rule_version,
        "ruleset_sha256": entry.ruleset_sha256,
        "engine_status": engine_status,
        "engine_finding": engine_finding,
    }


def decided_sentence(entry: Entry, engine_finding: str) -> str:
    verb = "Confirmed" if entry.action == CONFIRM else "Dismissed"
    reason = entry.reason.strip().rstrip(".")
    text = f"{verb} by {entry.by} on {entry.day}: {reason}."
    if engine_finding:
        text += f" (The audit had reported for review: {engine_finding})"
    return text


def _applicable(decisions: Decisions, sha256: str, rule: str, status: str) -> Entry | None:
    entry = decisions.for_message(sha256).get(rule)
    if entry is None or status != REVIEW or decisions.stale(entry):
        return None
    return entry


# --- audit results (rendering) ----------------------------------------------------------


def apply_to_result(result: AuditResult, decisions: Decisions | None) -> AuditResult:
    """`result` with the decisions in force applied to its needs_review findings."""
    if decisions is None or not decisions.for_message(result.sha256):
        return result
    findings = []
    for finding in result.findings:
        entry = _applicable(decisions, result.sha256, finding.rule, str(finding.status))
        if entry is None:
            findings.append(finding)
            continue
        base = {name: getattr(finding, name) for name in finding.__dataclass_fields__
                if name != "decision"}
        base.update(status=Status(decided_status(entry, getattr(finding, "reasons", ()))),
                    finding=decided_sentence(entry, finding.finding))
        findings.append(DecidedFinding(**base, decision=decision_object(
            entry, str(finding.status), finding.finding)))
    return replace(result, findings=tuple(findings))


# --- audit JSON message objects (the ledger) ------------------------------------------


def engine_view(finding: dict) -> dict:
    """A finding dict as the engine reported it (any decision taken off)."""
    decision = finding.get("decision")
    if not isinstance(decision, dict):
        return finding
    undone = {k: v for k, v in finding.items() if k != "decision"}
    undone["status"] = decision.get("engine_status", finding.get("status"))
    undone["finding"] = decision.get("engine_finding", finding.get("finding"))
    return undone


def apply_to_message(message: dict, decisions: Decisions | None) -> dict:
    """An audit JSON message object with the decisions in force (and only those)."""
    sha256 = message.get("sha256") or ""
    findings = []
    for finding in message.get("findings") or ():
        finding = engine_view(finding)
        entry = (None if decisions is None else
                 _applicable(decisions, sha256, finding.get("rule"), finding.get("status")))
        if entry is not None:
            engine_status, engine_finding = finding["status"], finding.get("finding") or ""
            finding = {**finding, "status": decided_status(entry, finding.get("reasons")),
                       "finding": decided_sentence(entry, engine_finding),
                       "decision": decision_object(entry, engine_status, engine_finding)}
        findings.append(finding)
    return {**message, "findings": findings}
