"""The vocabulary of the rule language: every key counsel may write, with its meaning.

One home for the key tables: the loader checks files against them, the JSON Schema
takes its property lists and descriptions from them, and a test checks that the manual
(`docs/rule-language.md`) explains every one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    doc: str
    required: bool = False


SEVERITIES = ("info", "low", "medium", "high", "critical")
RULE_STATUSES = ("draft", "approved", "deprecated")
OUTCOMES = ("violation", "needs_review", "compliant", "not_applicable", "error")
LIST_KINDS = ("values", "domains")
PENALTY_UNITS = ("message", "violation", "day", "incident")
CAP_UNITS = ("action", "incident", "day")
PLAINTIFFS = ("state_ag", "isp", "ftc", "private")  # as case settings `plaintiff` names them
ALTERNATIVE_TAKES = ("lesser", "greater")
AMOUNT_TO_VERIFY = "verify"  # a remedy amount counsel has not confirmed yet

# ------------------------------------------------------------------ rule files

RULE_FILE_KEYS = {
    "ruleset": Key("A short name for this file's rules, e.g. us-can-spam."),
    "jurisdiction": Key("Default jurisdiction of the rules in this file (a rule may override it)."),
    "description": Key("What the file covers."),
    "rules": Key("The rules, in the order they are listed and run.", required=True),
    "constants": Key(
        "Named values this file's rules use: {NAME: number, text or list}; a condition writes "
        "{constant: NAME} where a value goes, a template {{ constants.NAME }}."
    ),
    "predicates": Key(
        "Named conditions (as in predicates.yaml) that only the rules of this file's folder use, "
        "e.g. a state's own definition of commercial mail for us-ok/."
    ),
}

RULE_KEYS = {
    "id": Key("Stable identifier, never reused: upper-case letters, digits, '-', '_' or '.'.", True),
    "title": Key("One line naming the requirement the rule checks.", True),
    "description": Key(
        "Counsel's reasoning: the elements, why an outcome is needs_review, what the rule cannot see."
    ),
    "citations": Key("Keys of entries in rules/authorities.yaml; findings print their citations.", True),
    "jurisdiction": Key("US, a state code (MA, CA, ...) or policy (not law); defaults to the file's."),
    "severity": Key("info, low, medium, high or critical.", True),
    "status": Key("draft, approved or deprecated (default: draft)."),
    "version": Key("A whole number; bump it when the logic or the legal reading changes."),
    "effective": Key(
        "{from: DATE, until: DATE}: first and last day the rule is in force, compared with the "
        "message's Date; a message dated outside is not_applicable."
    ),
    "requires": Key(
        "Gates checked before applies_when, each {when: CONDITION, otherwise: TEMPLATE}: the first "
        "that does not hold makes the outcome not_applicable, and its otherwise sentence says why "
        "(e.g. no nexus with the state)."
    ),
    "applies_when": Key("Preconditions: when false the outcome is not_applicable (never compliant)."),
    "violation_when": Key(
        "When true, and every precondition was strongly established, the outcome is violation."
    ),
    "review_when": Key("When true (and violation_when is not) the outcome is needs_review."),
    "review_reason": Key(
        "Why review_when needs a person to decide; it becomes part of the finding sentence. "
        "Required with review_when."
    ),
    "finding": Key(
        "The finding sentence: a sandboxed Jinja template used for violation and needs_review, "
        "or a mapping from outcome to template.",
        True,
    ),
    "evidence": Key("Further fields to quote in every finding, e.g. [from.raw, date.raw]."),
    "tests": Key("Messages and the outcome the rule must give each (spamlaw rules test)."),
}

REQUIRE_KEYS = {
    "when": Key("The condition that must hold for the rule to apply.", True),
    "otherwise": Key(
        "Why the rule does not apply when the condition does not hold: a finding template, "
        "e.g. 'no Massachusetts nexus: {{ field(\"recipient.nexus\") }}'.",
        True,
    ),
}

EFFECTIVE_KEYS = {
    "from": Key("First day in force (inclusive)."),
    "until": Key("Last day in force (inclusive)."),
}

TEST_KEYS = {
    "name": Key("What the test shows."),
    "message": Key(
        "A message file, named relative to the rule set: looked for inside the rule set's folder, "
        "then beside it, then beside the shipped rules (e.g. samples/can-spam/no-opt-out.eml)."
    ),
    "inline": Key("A message written here: {headers: {Name: value}, text: ..., html: ...}."),
    "expect": Key("The outcome the rule must give.", True),
    "expect_evidence": Key("Evidence the finding must hold: a list of {field, quote, searched}."),
    "case": Key(
        "A case settings file (named relative to the rule set, like message) the message is audited "
        "with, e.g. cases/ma-trap.yaml (trap states, registries, trusted servers)."
    ),
    "state": Key(
        "A US state code the recipient is taken to be in, as with spamlaw audit --state; with case, "
        "it overrides the file's trap mapping."
    ),
    "todo": Key("true: a known gap; the result is reported but does not fail the run."),
    "note": Key("Anything counsel wants to remember about the test."),
}

INLINE_KEYS = {
    "headers": Key("Header name to value (or a list of values for a repeated header).", True),
    "text": Key("The text/plain body."),
    "html": Key("The text/html body (with text as well, the message is multipart/alternative)."),
}

EXPECT_EVIDENCE_KEYS = {
    "field": Key("The evidence's field (item evidence reads like links[0].url).", True),
    "quote": Key("The exact quoted text."),
    "searched": Key("A piece of text that must appear in what was searched (for absences)."),
}

# ------------------------------------------------------------------ authorities.yaml

AUTHORITIES_FILE_KEYS = {
    "description": Key("What the registry holds."),
    "remedies": Key("Named penalty facts that authorities refer to.", True),
    "authorities": Key("Citation key to authority.", True),
}

AUTHORITY_KEYS = {
    "citation": Key("The citation as a court reads it, e.g. 15 U.S.C. § 7704(a)(1).", True),
    "title": Key("What the provision is about.", True),
    "jurisdiction": Key("US, a state code, or policy for non-law sources.", True),
    "url": Key("Where the text can be read."),
    "in_force": Key("{from: DATE, until: DATE}: when the provision is (was) in force."),
    "remedies": Key("Keys of the remedies (penalty facts) that a violation of it supports."),
    "note": Key("Anything to verify or remember."),
}

IN_FORCE_KEYS = EFFECTIVE_KEYS

REMEDY_KEYS = {
    "who": Key("Who may sue or enforce (e.g. State attorney general).", True),
    "plaintiffs": Key(
        "The kinds of plaintiff who is `who`: state_ag, isp, ftc, private (the schedule shows "
        "the remedies of the case's plaintiff)."
    ),
    "basis": Key("The provision that grants the remedy.", True),
    "amount": Key(
        "Maximum amount per unit (statutory damages or civil penalty), or verify when it is not yet "
        "confirmed (printed as 'amount to be verified'; no total is computed).",
        True,
    ),
    "amount_for": Key("A different maximum for particular authorities: {authority key: amount}."),
    "currency": Key("Currency code (default USD)."),
    "unit": Key("What one amount is for: message, violation, day or incident.", True),
    "cap": Key("Maximum total per cap_unit (null: none)."),
    "cap_unit": Key(
        "What the cap limits: action (default: the total of one action), incident (the total per "
        "incident, as the court counts incidents) or day (the total for one day's messages)."
    ),
    "alternative": Key(
        "A second measure of the same award and how the two combine: {amount, unit, take: lesser "
        "or greater}, e.g. 'the lesser of $10 per message or $25,000 per day'."
    ),
    "cap_exceptions": Key("Authority keys whose violations the cap does not limit."),
    "multipliers": Key("Increases the court may grant: a list of {factor, when, basis}."),
    "conditions": Key("What must be shown for the remedy (e.g. a pattern or practice)."),
    "as_of": Key("Date the amount was last confirmed (e.g. an inflation adjustment)."),
    "source": Key("Where the amount comes from (e.g. a Federal Register page)."),
    "note": Key("Anything to verify or remember."),
}

ALTERNATIVE_KEYS = {
    "amount": Key("Amount per unit of the second measure (e.g. 25000).", True),
    "unit": Key("What one amount is for: message, violation, day or incident (e.g. day).", True),
    "take": Key("lesser or greater: which of the two totals the award is limited to.", True),
}

MULTIPLIER_KEYS = {
    "factor": Key("The multiple (e.g. 3 for treble damages).", True),
    "when": Key("What the court must find.", True),
    "basis": Key("The provision."),
}

# ------------------------------------------------------------------ predicates.yaml, lists/

PREDICATES_FILE_KEYS = {
    "description": Key("What the shared conditions are for."),
    "predicates": Key("Name to predicate; rules refer to them with use: NAME.", True),
    "constants": Key(
        "Named values every rule may use: {NAME: number, text or list}; a condition writes "
        "{constant: NAME} where a value goes, a template {{ constants.NAME }}."
    ),
}

PREDICATE_KEYS = {
    "description": Key("What the predicate establishes and how strongly.", True),
    "when": Key("The condition.", True),
    "evidence": Key("Fields to quote whenever the predicate holds, e.g. [commercial.reasons]."),
    "title": Key("What holds when the predicate does, in plain words for a finding, e.g. 'the message is commercial'."),
    "code": Key("The reason code (checker/reasons.py) a finding carries when its outcome rests on this predicate holding."),
}

LIST_FILE_KEYS = {
    "description": Key("What the list holds and where it comes from.", True),
    "kind": Key("values (default: exact entries) or domains (a subdomain of an entry matches too)."),
    "used_by": Key("Code that reads this list besides the rules (e.g. a detector); it is never reported unused."),
    "items": Key("The entries.", True),
}

# ------------------------------------------------------------------ conditions

CONDITION_FORMS = {
    "all": Key("Every condition in the list holds."),
    "any": Key("At least one condition in the list holds."),
    "not": Key("The condition does not hold."),
    "at_least": Key("{n: N, of: [conditions]}: at least N of the conditions hold."),
    "any_of": Key("Some item of a list field satisfies `where` (without where: the list has an item)."),
    "all_of": Key("The list has at least one item and every item satisfies `where`."),
    "none_of": Key("No item of a list field satisfies `where` (without where: the list is empty)."),
    "use": Key("A named predicate from rules/predicates.yaml."),
    "rule": Key("Another rule's outcome on the same message, with status_in: [outcomes]."),
    "weakly": Key(
        "The condition, but its truth only weakly establishes what it shows: a violation "
        "resting on it becomes needs_review."
    ),
    "field": Key("Test a field with one operator: {field: NAME, OPERATOR: ARGUMENT}."),
}

CONDITION_EXTRAS = {
    "where": Key("With any_of / all_of / none_of: the condition each item is tested with."),
    "status_in": Key("With rule: the outcomes that make the condition true."),
    "reason": Key("With weakly: why the evidence is weak (it becomes part of the finding)."),
    "code": Key("With weakly: the reason code (checker/reasons.py) for the weakness; its sentence replaces reason in findings."),
    "n": Key("With at_least: how many."),
    "of": Key("With at_least: the conditions."),
}

ITEM_SELF = "item"  # inside `where` over a list of texts, the item itself

# ------------------------------------------------------------------ finding templates

TEMPLATE_VARIABLES = {
    "rule": "the rule's id",
    "title": "the rule's title",
    "status": "the outcome: violation, needs_review, compliant, not_applicable",
    "jurisdiction": "the rule's jurisdiction",
    "severity": "the rule's severity",
    "citations": "the court-style citations (a list)",
    "evidence": "the evidence: a list of {field, start, end, quote, searched, note}",
    "quotes": "the quoted texts of the evidence (a list)",
    "searched": "what was searched without a match, as 'field for patterns' texts (a list)",
    "review_reason": "why the finding needs review (empty unless status is needs_review)",
    "reasons": 'the reason codes that hold (checker/reasons.py), e.g. {% if "pictures_present" in reasons %}',
    "outcomes": "the outcomes of the rules this rule builds on (rule: conditions): a mapping from rule id to outcome",
    "subject": "the message's Subject",
    "from": "the From address",
    "field": 'field("NAME") gives any field\'s value, e.g. field("date.raw"); absent values read "(absent)"',
    "constants": "the named constants of predicates.yaml and of the rule's file, e.g. {{ constants.MAX_DAYS }}",
}
