"""The compiled ruleset: immutable objects the engine evaluates.

Everything here has been checked by the loader: field names exist, regexes compiled,
citations resolved, dependencies ordered. The engine (`checker.engine`) holds the
evaluation logic; these classes only hold data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import Template

from checker.operators import Operator
from checker.ruleset.problems import Pos

# ------------------------------------------------------------------ registry entries


@dataclass(frozen=True)
class Multiplier:
    factor: float
    when: str
    basis: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "when": self.when, "basis": self.basis}


@dataclass(frozen=True)
class Alternative:
    """A second measure of an award: 'the lesser of $10 per message or $25,000 per day'
    is amount 10 per message with Alternative(25000, "day", "lesser")."""

    amount: float
    unit: str
    take: str  # lesser | greater

    def to_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "unit": self.unit, "take": self.take}


@dataclass(frozen=True)
class Remedy:
    """Penalty facts for one kind of action (who sues, how much per unit, caps)."""

    key: str
    who: str
    basis: str
    amount: float
    unit: str
    currency: str = "USD"
    plaintiffs: tuple[str, ...] = ()  # spec.PLAINTIFFS: the kinds of plaintiff `who` is
    amount_for: tuple[tuple[str, float], ...] = ()  # (authority key, amount) exceptions
    cap: float | None = None
    cap_unit: str = "action"  # what the cap limits: action, incident or day
    cap_exceptions: tuple[str, ...] = ()  # authority keys
    alternative: Alternative | None = None
    multipliers: tuple[Multiplier, ...] = ()
    conditions: tuple[str, ...] = ()
    as_of: dt.date | None = None
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Authority:
    key: str
    citation: str
    title: str
    jurisdiction: str
    url: str | None = None
    in_force_from: dt.date | None = None
    in_force_until: dt.date | None = None
    remedies: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class NamedList:
    name: str
    kind: str
    items: tuple[str, ...]
    description: str
    pos: Pos
    used_by: str | None = None  # code that reads it besides the rules


# ------------------------------------------------------------------ conditions


@dataclass(frozen=True, eq=False)
class Condition:
    pos: Pos
    label: str  # how the condition reads in explanations


@dataclass(frozen=True, eq=False)
class AllCond(Condition):
    children: tuple[Condition, ...]


@dataclass(frozen=True, eq=False)
class AnyCond(Condition):
    children: tuple[Condition, ...]


@dataclass(frozen=True, eq=False)
class NotCond(Condition):
    child: Condition


@dataclass(frozen=True, eq=False)
class AtLeastCond(Condition):
    n: int
    children: tuple[Condition, ...]


@dataclass(frozen=True, eq=False)
class QuantCond(Condition):
    kind: str  # any_of | all_of | none_of
    field: str
    scope: str  # "message" or "item" (a list inside an item)
    where: Condition | None


@dataclass(frozen=True, eq=False)
class UseCond(Condition):
    name: str


@dataclass(frozen=True, eq=False)
class RuleCond(Condition):
    rule_id: str
    statuses: frozenset[str]


@dataclass(frozen=True, eq=False)
class WeakCond(Condition):
    child: Condition
    reason: str
    code: str = "weak_condition"  # checker/reasons.py


@dataclass(frozen=True, eq=False)
class FieldCond(Condition):
    field: str
    scope: str  # "message", "item" (a key of the current item) or "self" (the item itself)
    op: Operator
    arg_text: str  # the argument as it reads in explanations
    prepared: Any
    description: str  # e.g. 'contains_any ["unsubscribe", "opt out"]'
    other_field: str | None = None  # differs_from
    other_scope: str | None = None
    arg_pos: Pos | None = None  # where the argument is written


def iter_conditions(cond: Condition | None):
    """`cond` and every condition inside it, depth first."""
    if cond is None:
        return
    yield cond
    if isinstance(cond, AllCond | AnyCond | AtLeastCond):
        for child in cond.children:
            yield from iter_conditions(child)
    elif isinstance(cond, NotCond | WeakCond):
        yield from iter_conditions(cond.child)
    elif isinstance(cond, QuantCond):
        yield from iter_conditions(cond.where)


@dataclass(frozen=True, eq=False)
class Predicate:
    name: str
    description: str
    condition: Condition
    pos: Pos
    evidence_fields: tuple[str, ...] = ()
    title: str | None = None  # what holds, in plain words
    code: str | None = None  # reason code when an outcome rests on it holding


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class RuleTest:
    index: int  # 1-based position in the rule's tests
    expect: str
    pos: Pos
    name: str | None = None
    message: str | None = None  # path relative to the project root
    inline: bytes | None = None
    expect_evidence: tuple[dict[str, str], ...] = ()
    todo: bool = False
    case: str | None = None  # a case settings file, relative to the project root
    state: str | None = None  # the recipient's state, as `spamlaw audit --state`

    def describe(self) -> str:
        return self.name or self.message or f"inline message #{self.index}"


@dataclass(frozen=True, eq=False)
class Requirement:
    """A gate checked before `applies_when`: when `condition` does not hold the rule is
    not_applicable and `otherwise` (a template) says why."""

    condition: Condition
    otherwise: Template
    variables: frozenset[str]  # template variables `otherwise` uses
    pos: Pos
    otherwise_text: str = ""  # the template as counsel wrote it (for the rulebook)


@dataclass(frozen=True, eq=False)
class Rule:
    id: str
    title: str
    citations: tuple[str, ...]  # authority keys
    citation_texts: tuple[str, ...]  # court-style strings
    jurisdiction: str
    severity: str
    status: str
    finding: dict[str, Template]  # outcome -> template
    finding_variables: dict[str, frozenset[str]]  # outcome -> variables its template uses
    pos: Pos
    description: str | None = None
    version: int | None = None
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    requires: tuple[Requirement, ...] = ()
    applies_when: Condition | None = None
    violation_when: Condition | None = None
    review_when: Condition | None = None
    review_reason: str | None = None
    evidence_fields: tuple[str, ...] = ()
    tests: tuple[RuleTest, ...] = ()
    depends_on: frozenset[str] = frozenset()  # rule ids, directly or through predicates
    fields: frozenset[str] = frozenset()  # every field it reads (predicates included)
    penalty: dict[str, Any] | None = None
    finding_texts: dict[str, str] = field(default_factory=dict)  # outcome -> template as written

    @property
    def file(self) -> str:
        return self.pos.file


# ------------------------------------------------------------------ the ruleset


@dataclass(frozen=True, eq=False)
class Ruleset:
    rules: tuple[Rule, ...]  # in evaluation order (dependencies first)
    sha256: str
    root: Path
    authorities: dict[str, Authority]
    remedies: dict[str, Remedy] = field(default_factory=dict)
    predicates: dict[str, Predicate] = field(default_factory=dict)
    lists: dict[str, NamedList] = field(default_factory=dict)
    reported: frozenset[str] = frozenset()  # ids whose findings an audit returns
    files: tuple[str, ...] = ()  # display paths of every YAML file
    constants: dict[str, Any] = field(default_factory=dict)  # name -> value (predicates.yaml and rule files)

    @property
    def referenced_fields(self) -> frozenset[str]:
        """Every field a rule, predicate or evidence entry of this selection touches."""
        names: set[str] = set()
        for rule in self.rules:
            names |= rule.fields
        return frozenset(names)

    @property
    def reported_rules(self) -> tuple[Rule, ...]:
        """The reported rules in the order they are written (file by file)."""
        picked = [r for r in self.rules if r.id in self.reported]
        return tuple(sorted(picked, key=lambda r: (r.pos.file, r.pos.line)))

    def ignoring_effective_dates(self) -> Ruleset:
        """FOR ANALYSIS ONLY (never for an audit): the same rules as if every rule had
        been in force since 1970, to see what they *would* find on mail sent before the
        law took effect (e.g. the 2002 research corpus; `bench/corpus_report.py`).

        A message whose Date is missing or implausible still makes a violation
        `needs_review`, as in a real audit. Date conditions inside rules (e.g. "sent
        before 2008-07-07") are kept. The ruleset's sha256 changes, so results can never
        pass for those of the shipped rules."""
        epoch = dt.date(1970, 1, 1)
        rules = tuple(
            replace(rule, effective_from=epoch, effective_until=None)
            if rule.effective_from or rule.effective_until else rule
            for rule in self.rules
        )
        digest = hashlib.sha256(f"{self.sha256}:ignoring-effective-dates".encode()).hexdigest()
        return replace(self, rules=rules, sha256=digest)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def select(self, rule_ids=(), jurisdictions=(), statuses=()) -> Ruleset:
        """The rules picked by id, jurisdiction and status (each filter optional).

        Rules the picked ones depend on stay in `rules` (they are evaluated) but only the
        picked ones are reported. An unknown id raises ValueError."""
        known = {r.id for r in self.rules}
        unknown = [i for i in rule_ids if i not in known]
        if unknown:
            raise ValueError(f"unknown rule id(s): {', '.join(unknown)}")
        wanted_ids = set(rule_ids)
        wanted_jur = {j.lower() for j in jurisdictions}
        wanted_status = set(statuses)
        picked = {
            r.id
            for r in self.rules
            if r.id in self.reported
            and (not wanted_ids or r.id in wanted_ids)
            and (not wanted_jur or r.jurisdiction.lower() in wanted_jur)
            and (not wanted_status or r.status in wanted_status)
        }
        needed = set(picked)
        for rule in self.rules:
            if rule.id in picked:
                needed |= rule.depends_on
        kept = tuple(r for r in self.rules if r.id in needed)
        return replace(self, rules=kept, reported=frozenset(picked))
