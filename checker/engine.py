"""The rule engine: a pure function from a compiled ruleset and one message to findings.

No I/O. Fields are read lazily through `Message.get`, so only what the rules ask for is
ever computed; `all` / `any` stop as soon as their outcome is decided by a strongly
established part, keeping the deciding branch's evidence complete.

Truth is two-valued but carries a strength: a condition under `weakly:` is true (or
false) only weakly. `all` is weak if any part is weak; `any` is strong if some strongly
true part holds. A violation that rests on weak truth becomes `needs_review`, with the
reasons the weak conditions gave.

Outcomes, per rule and message:
  not_applicable  the message is dated outside `effective`, or `applies_when` is false
  violation       `violation_when` holds and everything it rests on is strong
  needs_review    `review_when` holds, or the violation rests on something weak (a weak
                  precondition, an unusable Date, a message whose MIME parse failed)
  compliant       none of the above
  error           the rule could not be evaluated on this message (a field failed, a
                  pattern timed out, a rule it depends on failed); the others still run
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from checker.display import describe_hidden, field_label, hidden_characters, plain_defect
from checker.fields import all_fields
from checker.findings import AuditResult, Evidence, Finding, Status
from checker.legal_date import TRUSTED_RECEIVED
from checker.message import Message
from checker.operators import PatternTimeout
from checker.reasons import ENGINE_CODES, describe
from checker.ruleset.model import (
    AllCond,
    AnyCond,
    AtLeastCond,
    Condition,
    FieldCond,
    NotCond,
    QuantCond,
    Rule,
    RuleCond,
    Ruleset,
    UseCond,
    WeakCond,
    iter_conditions,
)
from checker.ruleset.templates import ABSENT, Outcomes, render, searched_text

MAX_EVIDENCE = 50  # evidence items per finding
MAX_QUOTE = 400  # characters quoted per span (offsets always give the full span)
MAX_SEEN = 200  # characters of a value shown in explanations
MAX_TRACE_ITEMS = 50  # list items shown in an explanation
EARLIEST_PLAUSIBLE_YEAR = 1970


class FieldUnreadable(Exception):
    def __init__(self, name: str, detail: str):
        super().__init__(f"field {name} could not be read: {detail}")  # the technical detail (JSON `error`)
        self.plain = f"the {field_label(name)} of the message could not be read"  # the sentence


class DependencyFailed(Exception):
    pass


# ------------------------------------------------------------------ explanations


@dataclass
class ExplainNode:
    """One condition in an evaluation tree: what it tested, true or false, what it saw."""

    label: str
    value: bool | None = None  # None: informational (not a condition)
    weak: bool = False
    seen: str | None = None
    note: str | None = None
    evidence: tuple[Evidence, ...] = ()
    children: list[ExplainNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "value": self.value}
        if self.weak:
            data["weak"] = True
        if self.seen is not None:
            data["seen"] = self.seen
        if self.note:
            data["note"] = self.note
        if self.evidence:
            data["evidence"] = [e.to_dict() for e in self.evidence]
        if self.children:
            data["children"] = [c.to_dict() for c in self.children]
        return data

    def render_text(self, indent: str = "") -> str:
        return "\n".join(self._lines(indent))

    def _lines(self, indent: str) -> list[str]:
        verdict = "" if self.value is None else (": TRUE" if self.value else ": FALSE")
        if self.weak and self.value is not None:
            verdict += " (weak)"
        line = f"{indent}{self.label}{verdict}"
        if self.seen is not None:
            line += f"   seen: {self.seen}"
        lines = [line]
        if self.note:
            lines.append(f"{indent}    note: {self.note}")
        for ev in self.evidence[:5]:
            lines.append(f"{indent}    evidence: {_evidence_text(ev)}")
        if len(self.evidence) > 5:
            lines.append(f"{indent}    evidence: ... {len(self.evidence) - 5} more")
        for child in self.children:
            lines.extend(child._lines(indent + "    "))
        return lines


def _evidence_text(ev: Evidence) -> str:
    if ev.searched is not None:
        return f"{ev.field}: searched {', '.join(ev.searched)}" + (f" ({ev.note})" if ev.note else "")
    where = f"[{ev.start}:{ev.end}]" if ev.start is not None else ""
    return f"{ev.field}{where} {ev.quote!r}" + (f" ({ev.note})" if ev.note else "")


# ------------------------------------------------------------------ results


class Reason(NamedTuple):
    """A reason code (checker/reasons.py) and, where the rule gives one, its own words."""

    code: str
    detail: str | None = None

    def text(self) -> str:
        return self.detail or describe(self.code)


@dataclass(slots=True)
class Result:
    value: bool
    weak: bool = False
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[Reason, ...] = ()  # why it is weak
    node: ExplainNode | None = None
    facts: tuple[Reason, ...] = ()  # coded predicates that held, where the value rests on them


@dataclass(frozen=True, slots=True)
class _Decision:
    status: Status
    evidence: tuple[Evidence, ...] = ()  # everything the outcome rests on
    deciding: tuple[Evidence, ...] = ()  # the deciding condition's evidence (for templates)
    reasons: tuple[Reason, ...] = ()  # why: review doubts, the facts it rests on, why not applicable


@dataclass(frozen=True, slots=True)
class _Item:
    path: str  # e.g. links[3]
    value: Any  # a record (dict) or a text


def _cat(parts: Iterable[Iterable[Any]]) -> tuple:
    """Concatenate, dropping repeats, keeping order (bounded)."""
    parts = [part for part in parts if part]
    if not parts:
        return ()
    if len(parts) == 1 and isinstance(parts[0], tuple) and len(parts[0]) == 1:  # nothing to compare
        return parts[0]
    seen, out = set(), []
    for part in parts:
        for x in part:
            if x not in seen:
                seen.add(x)
                out.append(x)
                if len(out) >= MAX_EVIDENCE:
                    return tuple(out)
    return tuple(out)


def _one_per_span(evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """A span quoted twice, once bare (the condition that matched it) and once with a note
    saying what it shows (the detector's record), is listed once, with the note: the
    reader otherwise sees "Subject: "RE:"" twice."""
    out: list[Evidence] = []
    where: dict[tuple, int] = {}
    for item in evidence:
        key = (item.field, item.start, item.end, item.quote)
        if item.start is None or key not in where:
            if item.start is not None:
                where[key] = len(out)
            out.append(item)
        elif not out[where[key]].note:
            out[where[key]] = item
        elif item.note and item.note != out[where[key]].note:
            out.append(item)
    return tuple(out)


def _facts(results) -> tuple[Reason, ...]:
    return _cat(r.facts for r in results)


def _all(results: list[Result]) -> Result:
    falses = [r for r in results if not r.value]
    if not falses:
        weak = [r for r in results if r.weak]
        return Result(True, bool(weak), _cat(r.evidence for r in results), _cat(r.reasons for r in weak),
                      facts=_facts(results))
    strong = next((r for r in falses if not r.weak), None)
    if strong:
        return Result(False, False, strong.evidence, facts=strong.facts)
    return Result(False, True, _cat(r.evidence for r in falses), _cat(r.reasons for r in falses),
                  facts=_facts(falses))


def _any(results: list[Result]) -> Result:
    trues = [r for r in results if r.value]
    if trues:
        strong = next((r for r in trues if not r.weak), None)
        if strong:
            return Result(True, False, strong.evidence, facts=strong.facts)
        return Result(True, True, _cat(r.evidence for r in trues), _cat(r.reasons for r in trues),
                      facts=_facts(trues))
    weak = [r for r in results if r.weak]
    return Result(False, bool(weak), _cat(r.evidence for r in results), _cat(r.reasons for r in weak),
                  facts=_facts(results))


def _at_least(n: int, results: list[Result]) -> Result:
    trues = [r for r in results if r.value]
    strong = [r for r in trues if not r.weak]
    if len(trues) >= n:
        weak = len(strong) < n
        reasons = _cat(r.reasons for r in trues if r.weak) if weak else ()
        return Result(True, weak, _cat(r.evidence for r in trues), reasons, facts=_facts(trues))
    weak_falses = [r for r in results if not r.value and r.weak]
    weak = len(trues) + len(weak_falses) >= n
    reasons = _cat(r.reasons for r in weak_falses) if weak else ()
    return Result(False, weak, _cat(r.evidence for r in results), reasons, facts=_facts(results))


def _is_span_record(value: Any) -> bool:
    """A record that names a span of another field (detector output: field/start/end/quote)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("field"), str)
        and isinstance(value.get("start"), int)
        and isinstance(value.get("end"), int)
        and isinstance(value.get("quote"), str)
    )


def _clip(text: str) -> str:
    return text if len(text) <= MAX_QUOTE else text[:MAX_QUOTE] + "…"


def _shown(value: Any) -> str:
    """A value as `explain` shows it to a rule's author (texts quoted, to see white space)."""
    if isinstance(value, dict):
        keys = [k for k in value if k != "raw"] or list(value)  # raw repeats the header
        parts = [f"{k}={value[k]!r}" for k in keys if value[k] not in (None, "", [])]
        text = "{" + ", ".join(parts) + "}"
    elif isinstance(value, list):
        text = f"{len(value)} item(s)" + (f": {value[:3]!r}" if value else "")
    else:
        text = repr(value) if isinstance(value, str) else _plain(value)
    return text if len(text) <= MAX_SEEN else text[:MAX_SEEN] + "…"


def _plain(value: Any) -> str:
    """A value as evidence quotes it for people: text as it is, records as 'key: value'
    pairs, lists as their items (no Python quoting or brackets)."""
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        try:  # "2006-03-14 14:30:04 UTC", as the report's dates read
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        except (OverflowError, ValueError):
            return value.isoformat()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        keys = [k for k in value if k != "raw"] or list(value)  # raw repeats the header
        return "; ".join(f"{k}: {_plain(value[k])}" for k in keys if value[k] not in (None, "", []))
    if isinstance(value, list | tuple):
        shown = ", ".join(_plain(v) for v in value[:10])
        return shown + (f" … and {len(value) - 10} more" if len(value) > 10 else "")
    return str(value)


class _PlainList(list):
    """A list a template can loop over that prints as its items, not as a Python list."""

    def __str__(self) -> str:
        return _plain(list(self))


class _PlainRecord(dict):
    """A record a template can read that prints as 'key: value' pairs, not a Python dict."""

    def __str__(self) -> str:
        return _plain(dict(self))


def _for_template(value: Any) -> Any:
    if isinstance(value, list):
        return _PlainList(_for_template(v) for v in value)
    if isinstance(value, dict):
        return _PlainRecord(value)
    return value


# What one item of a detector's list is, for an evidence note when the item says nothing itself.
_ITEM_NAMES = {
    "commercial.reasons": "a sign of commercial purpose",
    "opt_out.notices": "opt-out notice",
    "opt_out.possible": "possible opt-out notice",
    "opt_out.burdens": "possible opt-out burden",
    "postal_addresses": "postal address",
    "adult.indicators": "adult vocabulary",
    "ad_label.matches": "advertisement label",
    "header_integrity.indicators": "header indicator",
    "subject_integrity.indicators": "subject indicator",
}


def _record_note(record: dict, list_name: str) -> str | None:
    """The plain-English note of a detector's span record: its own reason or detail,
    else what kind of item it is."""
    for key in ("reason", "detail", "weakness"):
        if isinstance(record.get(key), str) and record[key]:
            return record[key]
    return _ITEM_NAMES.get(list_name)


# How a test reads in a `searched` list for people ("starting with "image/"", not "starts_with").
_OPERATOR_WORDS = {
    "equals": "equal to", "equals_any": "equal to one of", "contains": "containing",
    "contains_any": "containing one of", "starts_with": "starting with", "ends_with": "ending with",
    "matches": "matching the pattern", "count_at_least": "at least this many items:",
    "greater_than": "greater than", "before": "before", "after": "after", "in_list": "in the list",
    "differs_from": "different from",
}


def _searched_words(cond: Condition | None, item: bool = True) -> str:
    """What a condition looked for, in words: for an item of a list its key and test
    ("visible equal to true"); for a message field the test alone."""
    if cond is None:
        return "any item"
    if not isinstance(cond, FieldCond):
        return "items meeting the rule's conditions"
    if cond.op.arg == "flag":
        test = cond.description
    else:
        test = f"{_OPERATOR_WORDS.get(cond.op.name, cond.op.name)} {cond.arg_text}"
    return f"{cond.field} {test}" if item and cond.scope != "self" else test


def _generalize(evidence: tuple[Evidence, ...], path: str, count: int) -> tuple[Evidence, ...]:
    """Fold the per-item 'searched' evidence of a list into one entry per item key."""
    prefix = f"{path}["
    merged: dict[tuple, Evidence] = {}
    for ev in evidence:
        if ev.searched is None or not ev.field.startswith(prefix):
            continue
        rest = ev.field[len(prefix):]
        rest = rest[rest.index("]") + 1:] if "]" in rest else ""
        key = (f"{path}[*]{rest}", ev.searched)
        merged.setdefault(key, Evidence(key[0], searched=ev.searched, note=f"{count} item(s) searched"))
    return tuple(merged.values())


# ------------------------------------------------------------------ one run over one message


class _Run:
    def __init__(self, ruleset: Ruleset, message: Message, trace_rule: str | None = None):
        self.ruleset = ruleset
        self.message = message
        self.trace_rule = trace_rule
        self.trace = False
        self.trace_root: ExplainNode | None = None
        self.values: dict[str, Any] = {}
        self.failed: dict[str, str] = {}
        self.findings: dict[str, Finding] = {}
        self.predicate_cache: dict[tuple[str, bool], Result] = {}
        self.in_force: dict[tuple, tuple[str | None, str | None]] = {}  # effective(), by dates

    # -------------------------------------------------------------- fields

    def read(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name in self.failed:
            raise FieldUnreadable(name, self.failed[name])
        try:
            value = self.message.get(name)
        except Exception as exc:  # an extractor that raises (Message normally records instead)
            self.failed[name] = f"{type(exc).__name__}: {exc}"[:300]
            raise FieldUnreadable(name, self.failed[name]) from exc
        error = _field_error(self.message, name)
        if error:
            self.failed[name] = error
            raise FieldUnreadable(name, error)
        self.values[name] = value
        return value

    def safe_text(self, name: str) -> str | None:
        """A header-ish value for the result summary; None when absent or unreadable."""
        try:
            value = self.read(name)
        except (FieldUnreadable, KeyError):
            return None
        return None if value is None else str(value)

    # -------------------------------------------------------------- conditions

    def eval(self, cond: Condition, item: _Item | None = None) -> Result:
        return _HANDLERS[type(cond)](self, cond, item)

    def node(self, cond: Condition, result: Result, children=(), seen=None, note=None) -> Result:
        if self.trace:
            kids = [c for c in children if c is not None]
            evidence = () if kids else result.evidence  # evidence shows on the leaves
            result.node = ExplainNode(cond.label, result.value, result.weak, seen, note, evidence, kids)
        return result

    def eval_all(self, cond: AllCond, item: _Item | None) -> Result:
        results = []
        for child in cond.children:
            r = self.eval(child, item)
            results.append(r)
            if not r.value and not r.weak and not self.trace:
                break
        return self.node(cond, _all(results), [r.node for r in results])

    def eval_any(self, cond: AnyCond, item: _Item | None) -> Result:
        results = []
        for child in cond.children:
            r = self.eval(child, item)
            results.append(r)
            if r.value and not r.weak and not self.trace:
                break
        return self.node(cond, _any(results), [r.node for r in results])

    def eval_not(self, cond: NotCond, item: _Item | None) -> Result:
        r = self.eval(cond.child, item)
        return self.node(cond, Result(not r.value, r.weak, r.evidence, r.reasons, facts=r.facts), [r.node])

    def eval_at_least(self, cond: AtLeastCond, item: _Item | None) -> Result:
        results = []
        for child in cond.children:
            r = self.eval(child, item)
            results.append(r)
            if sum(1 for x in results if x.value and not x.weak) >= cond.n and not self.trace:
                break
        return self.node(cond, _at_least(cond.n, results), [r.node for r in results])

    def eval_weak(self, cond: WeakCond, item: _Item | None) -> Result:
        r = self.eval(cond.child, item)
        weakness = Reason(cond.code, cond.reason if cond.code == "weak_condition" else None)
        return self.node(cond, Result(r.value, True, r.evidence, _cat([r.reasons, (weakness,)]), facts=r.facts),
                         [r.node])

    def eval_use(self, cond: UseCond, item: _Item | None) -> Result:
        key = (cond.name, self.trace)
        cached = self.predicate_cache.get(key)
        if cached is None:
            predicate = self.ruleset.predicates[cond.name]
            cached = self.eval(predicate.condition)
            if cached.value and predicate.evidence_fields:
                extra = self.captures(predicate.evidence_fields)
                cached = Result(cached.value, cached.weak, _cat([cached.evidence, extra]), cached.reasons, cached.node,
                                cached.facts)
            if cached.value and predicate.code:
                cached = Result(cached.value, cached.weak, cached.evidence, cached.reasons, cached.node,
                                _cat([cached.facts, (Reason(predicate.code),)]))
            self.predicate_cache[key] = cached
        return self.node(cond, Result(cached.value, cached.weak, cached.evidence, cached.reasons, facts=cached.facts),
                         [cached.node])

    def eval_rule(self, cond: RuleCond, item: _Item | None) -> Result:
        finding = self.findings.get(cond.rule_id)
        if finding is None:  # the loader orders dependencies first; this is a bug
            raise DependencyFailed(f"rule {cond.rule_id} was not evaluated first")
        if finding.status == Status.ERROR and "error" not in cond.statuses:
            raise DependencyFailed(f"rule {cond.rule_id}, which this rule depends on, failed: {finding.error}")
        ok = str(finding.status) in cond.statuses
        result = Result(ok, False, finding.evidence if ok else ())
        return self.node(cond, result, seen=str(finding.status), note=finding.finding)

    def eval_quant(self, cond: QuantCond, item: _Item | None) -> Result:
        if cond.scope == "message":
            items, path = self.read(cond.field) or [], cond.field
        else:
            record = item.value if item and isinstance(item.value, dict) else {}
            items, path = record.get(cond.field) or [], f"{item.path}.{cond.field}"
        results: list[Result] = []
        stop_on = cond.kind != "all_of"  # any_of/none_of stop at a strong true, all_of at a strong false
        for i, value in enumerate(items):
            sub = _Item(f"{path}[{i}]", value)
            if cond.where is not None:
                r = self.eval(cond.where, sub)
            else:
                r = Result(True, False, (Evidence(sub.path, quote=_clip(_plain(value))),))
            if r.value and _is_span_record(value):  # a detector's finding: point at the text
                span = Evidence(value["field"], value["start"], value["end"], _clip(value["quote"]),
                                note=_record_note(value, cond.field), source=sub.path)
                r = Result(r.value, r.weak, (span,), r.reasons, r.node, r.facts)
            results.append(r)
            if r.value == stop_on and not r.weak and not self.trace:
                break
        what = _searched_words(cond.where)
        if not results:
            empty = Result(False, False, (Evidence(path, searched=(what,), note="the list is empty"),))
            result = Result(True, False, empty.evidence) if cond.kind == "none_of" else empty
        else:
            combined = _all(results) if cond.kind == "all_of" else _any(results)
            if cond.kind != "all_of" and not combined.value:  # nothing matched: say what was searched
                folded = _generalize(combined.evidence, path, len(results)) or (
                    Evidence(f"{path}[*]", searched=(what,), note=f"{len(results)} item(s) searched"),
                )
                combined = Result(combined.value, combined.weak, folded, combined.reasons, facts=combined.facts)
            if cond.kind == "none_of":
                combined = Result(not combined.value, combined.weak, combined.evidence, combined.reasons,
                                  facts=combined.facts)
            result = combined
        children = [r.node for r in results[:MAX_TRACE_ITEMS]]
        note = f"{len(items)} item(s)" + (f", first {MAX_TRACE_ITEMS} shown" if len(items) > MAX_TRACE_ITEMS else "")
        return self.node(cond, result, children, note=note)

    def eval_field(self, cond: FieldCond, item: _Item | None) -> Result:
        value, path = self.value_of(cond.field, cond.scope, item)
        other = None
        if cond.other_field is not None:
            other, _ = self.value_of(cond.other_field, cond.other_scope, item)
        match = cond.op.test(value, cond.prepared, other)
        if match.spans and isinstance(value, str):
            evidence = tuple(
                Evidence(path, start, end, _clip(value[start:end]), note=match.note if not match.ok else None)
                for start, end in match.spans
            )
        elif match.ok and cond.op.name != "missing":
            quote = _plain(value)
            evidence = (Evidence(path, quote=quote, note=None if match.note == f"value {quote}" else match.note),)
        else:
            evidence = (Evidence(path, searched=(_searched_words(cond, item=False),), note=match.note or "no match"),)
        return self.node(cond, Result(match.ok, False, evidence), seen=_shown(value), note=match.note)

    def value_of(self, name: str, scope: str | None, item: _Item | None) -> tuple[Any, str]:
        if scope == "message":
            return self.read(name), name
        if item is None:
            raise AssertionError(f"item field {name} outside where")
        if scope == "self":
            return item.value, item.path
        record = item.value if isinstance(item.value, dict) else {}
        return record.get(name), f"{item.path}.{name}"

    # -------------------------------------------------------------- rules

    def evaluate_all(self) -> list[Finding]:
        out = []
        for rule in self.ruleset.rules:
            self.trace = rule.id == self.trace_rule
            finding = self.evaluate(rule)
            self.trace = False
            self.findings[rule.id] = finding
            out.append(finding)
        return out

    def evaluate(self, rule: Rule) -> Finding:
        root = ExplainNode(rule.id) if self.trace else None
        try:
            decision = self.decide(rule, root)
            evidence = decision.evidence
            if decision.status != Status.NOT_APPLICABLE:
                evidence = _cat([evidence, self.captures(rule.evidence_fields)])
            evidence = _one_per_span(evidence)
            if decision.status in (Status.VIOLATION, Status.NEEDS_REVIEW) and any(
                hidden_characters(e.quote) for e in evidence
            ):  # what is quoted does not read as it shows
                decision = replace(decision, reasons=_cat([decision.reasons, (Reason("invisible_characters"),)]))
            sentence = self.sentence(rule, decision)
            codes = tuple(dict.fromkeys(r.code for r in decision.reasons))
            finding = self.finding(rule, decision.status, sentence, evidence, reasons=codes)
        except (FieldUnreadable, PatternTimeout, DependencyFailed) as exc:
            said = getattr(exc, "plain", None) or str(exc)
            finding = self.finding(rule, Status.ERROR, f"The rule could not be evaluated: {said}.", error=str(exc))
        except Exception as exc:  # a bug must cost one finding, not the batch
            detail = f"internal error: {type(exc).__name__}: {exc}"
            finding = self.finding(rule, Status.ERROR, f"The rule could not be evaluated ({detail}).", error=detail)
        if root is not None:
            root.label = f"{rule.id}: {finding.status}"
            root.note = finding.finding
            root.evidence = finding.evidence
            self.trace_root = root
        return finding

    def finding(self, rule: Rule, status: Status, sentence: str, evidence=(), error=None, reasons=()) -> Finding:
        return Finding(
            rule=rule.id,
            status=status,
            title=rule.title,
            jurisdiction=rule.jurisdiction,
            citations=rule.citation_texts,
            finding=sentence,
            severity=rule.severity,
            evidence=tuple(evidence),
            penalty=rule.penalty,
            error=error,
            reasons=reasons if status != Status.COMPLIANT else (),
        )

    def decide(self, rule: Rule, root: ExplainNode | None) -> _Decision:
        date_doubt: tuple[Reason, ...] = ()
        if rule.effective_from or rule.effective_until:
            date_reason, outside = self.effective(rule, root)
            if outside:
                return _Decision(Status.NOT_APPLICABLE, reasons=(Reason("not_in_force", outside),))
            if date_reason:
                date_doubt = (Reason("date_unusable", date_reason),)
        dating = self.dating(rule)
        gates, refusal = self.requirements(rule, root)
        if refusal is not None:
            return refusal
        applies = self.part("applies_when", rule.applies_when, root) or Result(True)
        if not applies.value:
            reading = self.reading(rule, self.fields_of(rule.applies_when))
            why = Reason("precondition_false", self.precondition_text(rule))
            if any(r.code == "content_not_read" for r in reading):  # the unread part may make it apply
                reasons = _cat([(why,), reading, applies.facts])
                return _Decision(Status.NEEDS_REVIEW, applies.evidence, applies.evidence, reasons)
            return _Decision(Status.NOT_APPLICABLE, applies.evidence, applies.evidence, _cat([(why,), applies.facts]))
        if gates:  # what the requirements rest on counts like a precondition
            applies = _all([*gates, applies])
        base = applies.reasons if applies.weak else ()
        violation = self.part("violation_when", rule.violation_when, root)
        if violation is not None and violation.value:
            doubts = _cat([base, violation.reasons if violation.weak else (), date_doubt, self.reading(rule)])
            if (applies.weak or violation.weak) and not doubts:
                doubts = (Reason("weak_condition"),)
            status = Status.NEEDS_REVIEW if doubts else Status.VIOLATION
            evidence = _cat([violation.evidence, applies.evidence])  # the deciding part first
            reasons = _cat([doubts, dating, violation.facts, applies.facts])
            return _Decision(status, evidence, violation.evidence, reasons)
        review = self.part("review_when", rule.review_when, root)
        failed = violation.facts if violation is not None else ()  # why the violation does not hold
        reading = self.reading(rule)
        if review is not None and review.value:
            asked = (Reason("review_condition", rule.review_reason or None),)
            reasons = _cat([asked, failed, review.facts, base, date_doubt, reading, dating])
            evidence = _cat([review.evidence, applies.evidence])
            return _Decision(Status.NEEDS_REVIEW, evidence, review.evidence, reasons)
        tested = [p.evidence for p in (violation, review) if p is not None]
        evidence = _cat([*tested, applies.evidence])
        if reading:  # compliant on what was read; the rest may hold what the rule looks for
            return _Decision(Status.NEEDS_REVIEW, evidence, _cat(tested), _cat([reading, failed, dating]))
        return _Decision(Status.COMPLIANT, evidence, _cat(tested))

    def requirements(self, rule: Rule, root: ExplainNode | None) -> tuple[list[Result], _Decision | None]:
        """(the results of the rule's `requires` gates, the not_applicable decision of the
        first gate that does not hold, with its `otherwise` sentence as the reason)."""
        results = []
        for index, requirement in enumerate(rule.requires, 1):
            result = self.part(f"requires[{index}]", requirement.condition, root)
            if not result.value:
                context = self.context(rule, Status.NOT_APPLICABLE, result.evidence, (), requirement.variables)
                note = render(requirement.otherwise, context).rstrip(". ") or None
                reads = {c.field for c in iter_conditions(requirement.condition) if isinstance(c, FieldCond)}
                code = "no_nexus" if any(f.startswith("recipient.state") for f in reads) else "requirement_unmet"
                reasons = (Reason(code, note),)
                return results, _Decision(Status.NOT_APPLICABLE, result.evidence, result.evidence, reasons)
            results.append(result)
        return results, None

    def precondition_text(self, rule: Rule) -> str:
        """The rule's precondition in plain words, said as not holding."""
        cond = rule.applies_when
        wording = self.plain(cond)
        if wording is None:
            return describe("precondition_false")
        if isinstance(cond, AllCond):  # name the parts that do not hold (predicates are cached)
            failing = [self.plain(c) for c in cond.children if not self.eval(c).value]
            if failing and len(failing) < len(cond.children):
                return (f"the rule applies only when {wording}, and this message was not found to show that "
                        f"{' and that '.join(dict.fromkeys(failing))}")
        return f"the rule applies only when {wording}, and this message was not found to meet that condition"

    def plain(self, cond: Condition | None) -> str | None:
        """A precondition in plain words: predicates by their titles; None when it has
        a part with no plain wording (the caller then uses the general sentence)."""
        if isinstance(cond, UseCond):
            return self.ruleset.predicates[cond.name].title
        if isinstance(cond, AllCond | AnyCond):
            parts = [self.plain(c) for c in cond.children]
            if not parts or any(p is None for p in parts):
                return None
            joiner = " and " if isinstance(cond, AllCond) else " or "
            return joiner.join(dict.fromkeys(parts))
        return None

    def dating(self, rule: Rule) -> tuple[Reason, ...]:
        """`date_from_header` when the rule depends on the date and the legal date is the
        sender's own Date header (no trusted receipt time)."""
        if not (rule.effective_from or rule.effective_until) or not _registered("legal_date.source"):
            return ()
        return (Reason("date_from_header"),) if self.safe_text("legal_date.source") == "date_header" else ()

    def fields_of(self, cond: Condition | None) -> frozenset[str]:
        """The message fields a condition reads, through the predicates it uses."""
        out: set[str] = set()
        for c in iter_conditions(cond):
            if isinstance(c, FieldCond | QuantCond) and c.scope == "message":
                out.add(c.field)
            elif isinstance(c, UseCond):
                out |= self.fields_of(self.ruleset.predicates[c.name].condition)
        return frozenset(out)

    def reading(self, rule: Rule, fields: frozenset[str] | None = None) -> tuple[Reason, ...]:
        """Why the message may have been read incompletely, as far as this rule (or the
        given fields) is concerned: a broken MIME structure, a field that failed, content
        that was cut."""
        out = []
        parse_error = getattr(self.message, "parse_error", None)
        if parse_error:
            out.append(Reason("mime_broken", f"the message's structure could not be read as sent "
                                             f"({plain_defect(parse_error)}), so part of it may have been read wrongly"))
        if getattr(self.message, "field_errors", None):
            out.append(Reason("field_unreadable"))
        cut = [record for record in self.not_read() if _affects(record, rule.fields if fields is None else fields)]
        if cut:
            shown = "; ".join(dict.fromkeys(str(r.get("detail") or "") for r in cut[:3]))
            more = f" (and {len(cut) - 3} more)" if len(cut) > 3 else ""
            out.append(Reason("content_not_read", f"part of the message was not read ({shown}{more}), "
                                                  "and what it holds may change the outcome"))
        return tuple(out)

    def not_read(self) -> list[dict]:
        if not _registered("content.not_read"):
            return []
        try:
            value = self.read("content.not_read")
        except (FieldUnreadable, KeyError):
            return []
        return [r for r in value or [] if isinstance(r, dict)]

    def part(self, name: str, cond: Condition | None, root: ExplainNode | None) -> Result | None:
        if cond is None:
            return None
        result = self.eval(cond)
        if root is not None:
            root.children.append(ExplainNode(name, result.value, result.weak, children=[result.node]))
        return result

    def effective(self, rule: Rule, root: ExplainNode | None) -> tuple[str | None, str | None]:
        """(why the in-force check is doubtful, why the rule is not in force) — each or None.

        The legal date decides (checker.legal_date): when the trap received the message
        (trusted Received line), else the sender's Date header when it is plausible."""
        dates = (rule.effective_from, rule.effective_until)
        if root is None and dates in self.in_force:  # most rules share their dates
            return self.in_force[dates]
        answer = self._effective(rule, root)
        if root is None:
            self.in_force[dates] = answer
        return answer

    def _effective(self, rule: Rule, root: ExplainNode | None) -> tuple[str | None, str | None]:
        start, end = _day(rule.effective_from), _day(rule.effective_until)
        span = f"in force {start or 'always'} to {end or 'now'}"
        value = self.read("legal_date")
        if not isinstance(value, dt.datetime):
            sent = self.read("date")
            shown = "no usable Date" if sent is None else f"an implausible Date ({_shown(sent)})"
            doubt = (f"no trusted Received line gives the time the trap received the message and "
                     f"it has {shown}, so whether the rule was in force is unconfirmed")
            if root is not None:
                root.children.append(ExplainNode(f"effective ({span})", None, seen=_shown(sent), note=doubt))
            return doubt, None
        day = value.date()
        if self.read("legal_date.source") == TRUSTED_RECEIVED:
            when = f"the message was received on {day}"
        else:
            when = (f"the message is dated {day} by its Date header (the sender's claim; no trusted "
                    "Received line gives the time the trap received it)")
        outside = None
        if start and day < start:
            outside = f"{when}, before the rule took effect on {start}"
        elif end and day > end:
            outside = f"{when}, after the rule ceased to be in force on {end}"
        if root is not None:
            root.children.append(ExplainNode(f"effective ({span})", outside is None, seen=day.isoformat(), note=outside))
        return None, outside

    def captures(self, names: tuple[str, ...]) -> tuple[Evidence, ...]:
        """Evidence for the fields a rule or predicate lists under `evidence:`."""
        out: list[Evidence] = []
        for name in names:
            value = self.read(name)
            if isinstance(value, str):
                out.append(Evidence(name, 0, len(value), _clip(value), note="captured"))
            elif isinstance(value, list):
                for i, entry in enumerate(value[:10]):
                    if _is_span_record(entry):
                        out.append(Evidence(entry["field"], entry["start"], entry["end"],
                                            _clip(entry["quote"]), note=_record_note(entry, name),
                                            source=f"{name}[{i}]"))
                    else:
                        out.append(Evidence(f"{name}[{i}]", quote=_clip(_plain(entry)), note="captured"))
            elif value is not None:
                out.append(Evidence(name, quote=_plain(value), note="captured"))
            else:
                out.append(Evidence(name, searched=("exists",), note="absent"))
        return tuple(out)

    # -------------------------------------------------------------- sentences

    def sentence(self, rule: Rule, decision: _Decision) -> str:
        """The finding's text: the rule's template (given the reason codes), then the
        sentence of every reason the template does not itself mention. A rule's template
        never speaks for a rule that is not in force: the date says why."""
        status, reasons = decision.status, decision.reasons
        template = rule.finding.get(str(status))
        codes = {r.code for r in reasons}
        if "not_in_force" in codes or ("precondition_false" in codes and status != Status.NOT_APPLICABLE):
            template = None  # the rule's own words would speak for a rule that is not in force / may not apply
        if template is None:
            return _default_sentence(rule, status, reasons)
        mentioned = getattr(template, "reason_codes", frozenset())
        told = [r for r in reasons if r.code not in mentioned and r.code not in ENGINE_CODES]
        always = [r for r in reasons if r.code in ENGINE_CODES]
        variables = rule.finding_variables.get(str(status), frozenset())
        text = render(template, self.context(rule, status, decision.deciding, reasons, told=told))
        extra = always if "review_reason" in variables else [*told, *always]
        if not extra:
            return text
        clauses = _clauses(extra)
        if status == Status.NEEDS_REVIEW:
            return f"{text.rstrip()} Needs review: {clauses}."
        return f"{text.rstrip()} {clauses[:1].upper()}{clauses[1:]}."

    def context(self, rule: Rule, status: Status, evidence, reasons: tuple[Reason, ...],
                variables: frozenset[str] | None = None, told: list[Reason] | None = None) -> dict[str, Any]:
        if variables is None:
            variables = rule.finding_variables.get(str(status), frozenset())
        items = [
            {"field": e.field, "start": e.start, "end": e.end, "quote": e.quote,
             "searched": list(e.searched) if e.searched is not None else None, "note": e.note}
            for e in evidence
        ]
        reason_text = _clauses(told if told is not None else reasons)
        context: dict[str, Any] = {
            "rule": rule.id,
            "title": rule.title,
            "status": str(status),
            "jurisdiction": rule.jurisdiction,
            "severity": rule.severity,
            "citations": list(rule.citation_texts),
            "evidence": items,
            "quotes": [e["quote"] for e in items if e["quote"] is not None],
            "searched": [searched_text(e) for e in items if e["searched"]],
            "review_reason": reason_text if status == Status.NEEDS_REVIEW else "",
            "reasons": [r.code for r in reasons],
        }
        if "subject" in variables:
            context["subject"] = self.safe_text("subject") or ABSENT
        if "from" in variables:
            context["from"] = self.safe_text("from.address") or ABSENT
        if "field" in variables:
            context["field"] = self.template_field
        if "outcomes" in variables:
            context["outcomes"] = Outcomes({
                rule_id: str(self.findings[rule_id].status) for rule_id in sorted(rule.depends_on) if rule_id in self.findings
            })
        return context

    def template_field(self, name: str, default: str = ABSENT) -> Any:
        try:
            value = self.read(name)
        except (FieldUnreadable, KeyError):
            return "(unreadable)"
        return default if value is None or value == [] else _for_template(value)

    # -------------------------------------------------------------- the result

    def errors(self) -> tuple[str, ...]:
        out = []
        parse_error = getattr(self.message, "parse_error", None)
        if parse_error:
            out.append(parse_error)
        out.extend(getattr(self.message, "errors", ()))
        uses_date = any(r.effective_from or r.effective_until or "date" in r.fields for r in self.ruleset.rules)
        if uses_date:
            date_error = self.safe_text("date.error") if _registered("date.error") else None
            if date_error:  # a clause ("the Date header gives the year 102, ..."): a sentence here
                out.append(f"{date_error[:1].upper()}{date_error[1:]}.")
            mismatch = self.safe_text("date.mismatch") if _registered("date.mismatch") else None
            if mismatch:  # the sender's Date and the receipt time, both printed
                out.append(mismatch)
        out.extend(f"not read: {record.get('detail')}" for record in self.not_read())
        out.extend(self.hidden_characters())
        return tuple(dict.fromkeys(plain_defect(e) for e in out))

    def hidden_characters(self) -> list[str]:
        """A warning for each place that holds invisible or text-direction characters: a
        From name with U+202E reads backwards, and a reader cannot see a zero-width space."""
        out = []
        for name, where in _SHOWN_TEXTS:
            if not _registered(name) or (name not in _HEADER_TEXTS and name not in self.ruleset.referenced_fields):
                continue  # the body is scanned when the rules read it (fields are computed lazily)
            try:
                value = self.read(name)
            except (FieldUnreadable, KeyError):
                continue
            texts = [value] if isinstance(value, str) else []
            if isinstance(value, list):
                texts = [" ".join(str(v.get(k) or "") for k in ("filename", "name", "display_name", "address"))
                         if isinstance(v, dict) else v for v in value]
            chars = list(dict.fromkeys(c for t in texts for c in hidden_characters(t)))
            if chars:
                out.append(f"invisible or text-direction characters in {where}, shown as stand-ins: "
                           f"{describe_hidden(chars[:6])}" + (f" and {len(chars) - 6} more" if len(chars) > 6 else ""))
        return out


_HANDLERS = {
    AllCond: _Run.eval_all,
    AnyCond: _Run.eval_any,
    NotCond: _Run.eval_not,
    AtLeastCond: _Run.eval_at_least,
    WeakCond: _Run.eval_weak,
    UseCond: _Run.eval_use,
    RuleCond: _Run.eval_rule,
    QuantCond: _Run.eval_quant,
    FieldCond: _Run.eval_field,
}


def _field_error(message: Message, name: str) -> str | None:
    """The failure `Message.get` recorded for field `name`, if any."""
    return getattr(message, "field_errors", {}).get(name)


def _registered(name: str) -> bool:
    return name in all_fields()


def _iso(run: _Run, name: str) -> str | None:
    """A datetime field as ISO 8601 for the result summary; None when absent or unreadable."""
    if not _registered(name):
        return None
    try:
        value = run.read(name)
    except (FieldUnreadable, KeyError):
        return None
    return value.isoformat() if isinstance(value, dt.datetime) else None


def _day(value: dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _default_sentence(rule: Rule, status: Status, reasons: tuple[Reason, ...]) -> str:
    if status == Status.NOT_APPLICABLE:
        return f"Not applicable: {_clauses(reasons) or describe('precondition_false')}."
    if status == Status.COMPLIANT:
        return f"No violation of {rule.id} found: its violation conditions do not hold for this message."
    if status == Status.NEEDS_REVIEW and any(r.code == "precondition_false" for r in reasons):
        return f"Whether the rule applies could not be decided. Needs review: {_clauses(reasons)}."
    if status == Status.NEEDS_REVIEW and reasons:
        return f"{rule.title}. Needs review: {_clauses(reasons)}."
    clauses = _clauses(reasons)
    return f"{rule.title}." + (f" {clauses[:1].upper()}{clauses[1:]}." if clauses else "")


def _clauses(reasons) -> str:
    """The reasons' sentences as one run of clauses, each once."""
    return "; ".join(dict.fromkeys(r.text().rstrip(". ") for r in reasons))


def _affects(record: dict, fields: frozenset[str]) -> bool:
    """Whether content that was not read (a `content.not_read` record) may matter to a
    rule that reads `fields`: cut Received lines matter to the rules on the path and the
    date; cut body content to any rule that reads more than the header."""
    if record.get("area") == "received":
        return any(_under(f, _PATH_FIELDS) for f in fields)
    return any(not _under(f, _HEADER_FIELDS) for f in fields)


def _under(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") or name.startswith(root + "[") for root in roots)


# Texts a reader sees, with how a warning names them.
_SHOWN_TEXTS = (
    ("from.raw", "the From header"), ("subject", "the Subject"), ("reply_to", "the Reply-To header"),
    ("to", "the To header"), ("attachments", "an attachment's name"), ("body.visible_text", "the visible text"),
)
_HEADER_TEXTS = frozenset({"from.raw", "subject", "reply_to", "to"})
_PATH_FIELDS = ("received", "header_integrity", "trusted", "receipt", "legal_date")
_HEADER_FIELDS = (
    "from", "to", "cc", "sender", "subject", "date", "message_id", "reply_to", "return_path", "received",
    "authentication_results", "list_unsubscribe", "header_integrity", "trusted", "receipt", "legal_date",
    "case", "recipient", "size", "headers", "dkim", "spf", "in_reply_to", "references",
)


# ------------------------------------------------------------------ public API


def audit(ruleset: Ruleset, message: Message) -> AuditResult:
    """Every reported rule's finding on `message`, with what identifies the message."""
    run = _Run(ruleset, message)
    findings = [f for f in run.evaluate_all() if f.rule in ruleset.reported]
    return AuditResult(
        source=message.source_id,
        sha256=message.sha256,
        size=message.size,
        message_id=run.safe_text("message_id") if _registered("message_id") else None,
        sender=run.safe_text("from.address") if _registered("from.address") else None,
        subject=run.safe_text("subject") if _registered("subject") else None,
        date=run.safe_text("date.raw") if _registered("date.raw") else None,
        received=_iso(run, "receipt.time"),
        date_source=run.safe_text("legal_date.source") if _registered("legal_date.source") else None,
        errors=run.errors(),
        findings=tuple(findings),
    )


def explain(ruleset: Ruleset, rule_id: str, message: Message) -> ExplainNode:
    """The evaluation tree of one rule on one message (rules it depends on run first).

    Raises ValueError for an unknown rule id."""
    selection = ruleset.select([rule_id])
    run = _Run(selection, message, trace_rule=rule_id)
    run.evaluate_all()
    assert run.trace_root is not None
    return run.trace_root
