"""Rulesets written into a temporary folder for the audit tests, so the tests do not
depend on what the shipped rules say today."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from checker.fields import all_fields

AUTHORITIES = """\
remedies:
  ftc-civil-penalty:
    who: Federal Trade Commission
    basis: 15 U.S.C. § 45(m)(1)(A)
    amount: 53088
    unit: violation
authorities:
  usc-15-7704-a-3:
    citation: 15 U.S.C. § 7704(a)(3)
    title: Opt-out mechanism
    jurisdiction: US
    remedies: [ftc-civil-penalty]
  cal-17529-5-a-2:
    citation: Cal. Bus. & Prof. Code § 17529.5(a)(2)
    title: Falsified header information
    jurisdiction: CA
"""

# Two small rules whose outcomes a test message chooses through its Subject.
SMALL_RULES = """\
ruleset: test
jurisdiction: US
rules:
  - id: TEST-FREE
    title: Subject says free
    citations: [usc-15-7704-a-3]
    severity: high
    violation_when: {field: subject, contains: free}
    finding: The subject says free.
  - id: TEST-URGENT
    title: Subject claims urgency
    citations: [usc-15-7704-a-3]
    severity: medium
    review_when: {field: subject, contains: urgent}
    review_reason: whether urgency misleads is a judgement
    finding: The subject claims urgency.
  - id: CA-TEST
    jurisdiction: CA
    title: California placeholder
    citations: [cal-17529-5-a-2]
    severity: low
    violation_when: {field: subject, contains: calif}
    finding: The subject names California.
"""


def write_ruleset(root: Path, rules: str = SMALL_RULES, name: str = "us/test.yaml") -> Path:
    """A ruleset folder under `root` holding `rules` (YAML text); returns the folder."""
    folder = root / "rules"
    (folder / Path(name).parent).mkdir(parents=True, exist_ok=True)
    (folder / "authorities.yaml").write_text(AUTHORITIES, encoding="utf-8")
    (folder / name).write_text(rules, encoding="utf-8")
    return folder


def _condition(name: str, type_: str) -> dict:
    if type_ == "text":
        return {"field": name, "matches": r"free|remove|unsubscribe|\d{5}"}
    if type_ == "bool":
        return {"field": name, "equals": True}
    if type_ == "int":
        return {"field": name, "exists": True}
    if type_ == "datetime":
        return {"field": name, "after": "2002-01-01"}
    return {"field": name, "count_at_least": 1}


def broad_rules() -> str:
    """One rule per registered field, so an audit computes every field of every message."""
    rules = [
        {
            "id": "BROAD-" + re.sub(r"[^A-Z0-9]+", "-", name.upper()),
            "title": f"Exercises {name}",
            "citations": ["usc-15-7704-a-3"],
            "severity": "info",
            "violation_when": _condition(name, field.type),
            "finding": f"{name} matched.",
        }
        for name, field in sorted(all_fields().items())
    ]
    return yaml.safe_dump({"ruleset": "broad", "jurisdiction": "US", "rules": rules},
                          allow_unicode=True, sort_keys=False)
