"""What every `spamlaw audit` output format shares (flake8's `formatting/base.py` shape).

A formatter owns its output stream and is driven in three steps: `start()` once,
`handle(result)` once per message in input order, `stop(summary)` once. Each format is a
small subclass. The running `Summary` lives here too: the closing summary of every format
and the audit's exit code come from the same counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, TextIO

from checker.findings import STATUS_RANK, AuditResult, Finding, Status

# Statuses shown by default; `--all` adds compliant and not_applicable.
DEFAULT_STATUSES = frozenset({Status.VIOLATION, Status.NEEDS_REVIEW, Status.ERROR})
ALL_STATUSES = frozenset(Status)

# Report order: the statuses from most to least serious.
STATUS_ORDER = tuple(sorted(Status, key=STATUS_RANK.__getitem__))

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


@dataclass(frozen=True)
class RulesetInfo:
    """What identifies the ruleset an audit ran with (printed in every report)."""

    sha256: str
    rules: int

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "rules": self.rules}


def was_audited(result: AuditResult) -> bool:
    """True unless the message could not be audited at all (unreadable input, a crash or
    a time-out): such a result carries errors and no finding, since every rule that runs
    leaves a finding, even `not_applicable`."""
    return bool(result.findings) or not result.errors


def by_rule(findings) -> list[Finding]:
    """Findings in a stable order: by rule id (JSON output, so two runs diff clean)."""
    return sorted(findings, key=lambda f: (f.rule, STATUS_RANK[Status(f.status)]))


def by_seriousness(findings) -> list[Finding]:
    """Findings most serious first: status, then severity, then rule id (text output)."""
    return sorted(
        findings,
        key=lambda f: (
            STATUS_RANK[Status(f.status)],
            SEVERITY_RANK.get(f.severity, len(SEVERITY_RANK)),
            f.rule,
        ),
    )


class Summary:
    """Running counts over one audit's results."""

    def __init__(self) -> None:
        self.messages = 0
        self.not_audited = 0
        self.findings: Counter[Status] = Counter()
        self.messages_with: Counter[Status] = Counter()  # messages having >= 1 such finding
        self.rules: defaultdict[str, Counter[Status]] = defaultdict(Counter)

    def add(self, result: AuditResult) -> None:
        self.messages += 1
        if not was_audited(result):
            self.not_audited += 1
        for status in {Status(f.status) for f in result.findings}:
            self.messages_with[status] += 1
        for finding in result.findings:
            status = Status(finding.status)
            self.findings[status] += 1
            self.rules[finding.rule][status] += 1

    @property
    def audited(self) -> int:
        return self.messages - self.not_audited

    def reached(self, threshold: Status) -> bool:
        """True if any finding is at or above `threshold` (in `STATUS_RANK` order)."""
        limit = STATUS_RANK[threshold]
        return any(n and STATUS_RANK[s] <= limit for s, n in self.findings.items())

    def to_dict(self) -> dict[str, Any]:
        def counts(counter: Counter[Status]) -> dict[str, int]:
            return {str(s): counter[s] for s in STATUS_ORDER}

        return {
            "messages": self.messages,
            "audited": self.audited,
            "not_audited": self.not_audited,
            "findings": counts(self.findings),
            "messages_with": counts(self.messages_with),
            "rules": {rule: counts(self.rules[rule]) for rule in sorted(self.rules)},
        }


class Formatter:
    """Base class of the audit output formats."""

    name = ""

    def __init__(
        self,
        stream: TextIO,
        ruleset: RulesetInfo,
        *,
        statuses: frozenset[Status] = DEFAULT_STATUSES,
        color: bool = False,
    ) -> None:
        self.stream = stream
        self.ruleset = ruleset
        self.statuses = statuses
        self.color = color

    def shown(self, result: AuditResult) -> list[Finding]:
        """The findings of `result` this report lists (by default the actionable ones)."""
        return [f for f in result.findings if Status(f.status) in self.statuses]

    def start(self) -> None:
        """Write whatever comes before the first message."""

    def handle(self, result: AuditResult) -> None:
        """Write one message's report."""
        raise NotImplementedError

    def stop(self, summary: Summary) -> None:
        """Write whatever closes the report."""

    def write(self, text: str) -> None:
        self.stream.write(text)
