"""`spamlaw rules book`: the rule set as a document for counsel's review and for a court
that asks how findings were made.

Per rule: id, title, status, version, severity, jurisdiction, citations with the
authority's text and source, the elements in plain English generated from the
conditions, every outcome's wording, penalties with their conditions, and the tests with
their expected outcomes; a table of contents, an index by citation, and the ruleset
SHA-256 (the one exhibits print) on every page.

The HTML comes from templates/rulebook.html.j2 through the exhibits' Jinja environment
(autoescape, StrictUndefined) and the PDF from WeasyPrint with the exhibits' fetcher,
which loads nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker.fields import all_fields
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
)

TEMPLATE = "rulebook.html.j2"
MAX_DEPTH = 12

_PHRASES = {
    "equals": "is {arg}",
    "equals_any": "is one of {arg}",
    "contains": "contains {arg}",
    "contains_any": "contains any of {arg}",
    "starts_with": "begins with {arg}",
    "ends_with": "ends with {arg}",
    "matches": "matches the pattern {arg}",
    "matches_any": "matches any of the patterns {arg}",
    "exists": "is present",
    "missing": "is absent",
    "not_empty": "has content",
    "count_at_least": "has at least {arg} item(s)",
    "greater_than": "is greater than {arg}",
    "less_than": "is less than {arg}",
    "at_most": "is at most {arg}",
    "at_least": "is at least {arg}",
    "before": "is before {arg}",
    "after": "is after {arg}",
    "in_list": "is in the list {arg}",
    "differs_from": "differs from {arg}",
}


class BookError(Exception):
    """The rulebook could not be written; the message says why."""


def elements(cond: Condition | None, ruleset: Ruleset, depth: int = 0) -> dict[str, Any] | None:
    """A condition as a tree of plain-English lines: {"text": ..., "children": [...]}."""
    if cond is None:
        return None
    if depth > MAX_DEPTH:
        return {"text": cond.label, "children": []}
    down = [elements(c, ruleset, depth + 1) for c in getattr(cond, "children", ())]
    if isinstance(cond, AllCond):
        return {"text": "all of these hold:", "children": down}
    if isinstance(cond, AnyCond):
        return {"text": "at least one of these holds:", "children": down}
    if isinstance(cond, AtLeastCond):
        return {"text": f"at least {cond.n} of these hold:", "children": down}
    if isinstance(cond, NotCond):
        return {"text": "it is not so that:", "children": [elements(cond.child, ruleset, depth + 1)]}
    if isinstance(cond, WeakCond):
        return {"text": f"(weak evidence only, so a violation resting on it is needs_review: {cond.reason})",
                "children": [elements(cond.child, ruleset, depth + 1)]}
    if isinstance(cond, QuantCond):
        lead = {"any_of": "some item of", "all_of": "every item of", "none_of": "no item of"}[cond.kind]
        if cond.where is None:
            text = f"the list {cond.field} has items" if cond.kind == "any_of" else f"the list {cond.field} is empty"
            return {"text": text, "children": []}
        return {"text": f"{lead} {cond.field} is such that:", "children": [elements(cond.where, ruleset, depth + 1)]}
    if isinstance(cond, UseCond):
        predicate = ruleset.predicates.get(cond.name)
        about = f" — {predicate.description}" if predicate and predicate.description else ""
        return {"text": f"the shared condition “{cond.name}” holds{about}", "children": []}
    if isinstance(cond, RuleCond):
        return {"text": f"rule {cond.rule_id} gave {' or '.join(sorted(cond.statuses))}", "children": []}
    if isinstance(cond, FieldCond):
        phrase = _PHRASES.get(cond.op.name, cond.op.name + " {arg}").format(arg=cond.arg_text)
        return {"text": f"{_field_name(cond)} {phrase}", "children": []}
    return {"text": cond.label, "children": []}


def _field_name(cond: FieldCond) -> str:
    if cond.scope == "self":
        return "the item"
    if cond.scope == "item":
        return f"its {cond.field}"
    return cond.field


def book_context(ruleset: Ruleset) -> dict[str, Any]:
    from checker import __version__

    fields = all_fields()
    rules = [_rule_entry(rule, ruleset, fields) for rule in ruleset.reported_rules]
    index: dict[str, list[str]] = {}
    for rule in ruleset.reported_rules:
        for text in rule.citation_texts:
            index.setdefault(text, []).append(rule.id)
    return {
        "title": "Rulebook",
        "sha256": ruleset.sha256,
        "tool": f"spamlaw {__version__}",
        "root": ruleset.root.name or str(ruleset.root),
        "rules": rules,
        "citation_index": sorted(index.items()),
        "constants": sorted((f, sorted(v.items())) for f, v in ruleset.constants.items()),
    }


def _rule_entry(rule: Rule, ruleset: Ruleset, fields) -> dict[str, Any]:
    citations = []
    for key in rule.citations:
        authority = ruleset.authorities[key]
        citations.append({
            "citation": authority.citation, "title": authority.title, "url": authority.url,
            "note": authority.note, "jurisdiction": authority.jurisdiction,
        })
    outcomes = [{"outcome": o, "text": t} for o, t in rule.finding_texts.items()]
    gates = [{"element": elements(r.condition, ruleset), "otherwise": r.otherwise_text} for r in rule.requires]
    penalties = []
    for remedy in (rule.penalty or {}).get("remedies", ()):
        amount = ("amount to be verified" if remedy.get("amount_to_verify")
                  else f"{remedy['currency']} {remedy['amount']:,g} per {remedy['unit']}")
        if remedy.get("cap") is not None:
            amount += f", capped at {remedy['currency']} {remedy['cap']:,g} per {remedy['cap_unit']}"
        penalties.append({**remedy, "amount_text": amount})
    tests = [{"index": t.index, "name": t.describe(), "expect": t.expect, "todo": t.todo,
              "message": t.message or "(inline message)", "case": t.case, "state": t.state}
             for t in rule.tests]
    return {
        "id": rule.id, "anchor": "rule-" + rule.id.lower(), "title": rule.title, "status": rule.status,
        "version": rule.version, "severity": rule.severity, "jurisdiction": rule.jurisdiction,
        "file": rule.file, "description": rule.description,
        "effective": (rule.effective_from.isoformat() if rule.effective_from else None,
                      rule.effective_until.isoformat() if rule.effective_until else None),
        "citations": citations, "gates": gates,
        "applies": elements(rule.applies_when, ruleset),
        "violation": elements(rule.violation_when, ruleset),
        "review": elements(rule.review_when, ruleset),
        "review_reason": rule.review_reason,
        "outcomes": outcomes, "penalties": penalties, "tests": tests,
        "fields": [(name, fields[name].doc) for name in sorted(rule.fields) if name in fields],
    }


def book_html(ruleset: Ruleset, templates: Path | None = None) -> str:
    from checker.exhibits.render import template_environment
    from checker.paths import templates_dir

    directory = Path(templates or templates_dir())
    return template_environment(str(directory)).get_template(TEMPLATE).render(**book_context(ruleset))


def write_book(ruleset: Ruleset, out: Path, fmt: str = "pdf") -> int:
    """Write the rulebook; returns its page count (0 for HTML)."""
    html = book_html(ruleset)
    if fmt == "html":
        _save(out, html.encode("utf-8"))
        return 0
    import hashlib

    from checker.exhibits.fetcher import EvidenceFetcher
    from checker.exhibits.render import captured_log, layout, pdf_options

    identifier = hashlib.sha256(f"rulebook:{ruleset.sha256}".encode()).hexdigest()[:32].encode()
    with captured_log():
        try:
            document = layout(html, EvidenceFetcher({}))
            pdf = document.write_pdf(pdf_identifier=identifier, **pdf_options())
        except Exception as exc:  # WeasyPrint failures are reported, never a traceback
            raise BookError(f"the PDF could not be made: {type(exc).__name__}: {exc}") from exc
    _save(out, pdf)
    return len(document.pages)


def _save(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise BookError(f"--out {out}: {exc.strerror or exc}") from None
