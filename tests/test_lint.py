"""`rules lint` validators: warnings for weak rules; a missing sample fails `rules test`, not lint."""

from __future__ import annotations

import pytest
from rules_support import register_fake_fields, rule_file, unregister, write_ruleset

from checker.ruleset import load_ruleset
from checker.ruleset.lint import VALIDATORS, lint, nested_quantifier
from checker.ruleset.runner import FAIL, run_tests

RULE = """\
- id: T-LINT
  title: Lint me
  citations: [act-1]
  severity: low
  violation_when: {field: t.text, matches: 'spam'}
  finding: x
  tests:
    - {inline: {headers: {Subject: a}}, expect: violation}
    - {inline: {headers: {Subject: b}}, expect: compliant}
"""


@pytest.fixture(autouse=True)
def fake_fields(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = register_fake_fields()
    yield
    unregister(names)


def codes(problems):
    return sorted((p.code, p.level) for p in problems)


def run_lint(tmp_path, rules, **kwargs):
    problems, _build = lint(write_ruleset(tmp_path / "rules", rule_file(rules), **kwargs))
    return problems


def test_a_clean_rule_has_no_problems(tmp_path):
    assert run_lint(tmp_path, RULE) == []


def test_missing_violation_and_negative_tests(tmp_path):
    no_violation = RULE.replace("expect: violation", "expect: not_applicable")
    (problem,) = run_lint(tmp_path / "a", no_violation)
    assert (problem.code, problem.level, problem.line, problem.col) == ("no-violation-test", "warning", 3, 9)
    no_negative = RULE.replace("expect: compliant", "expect: violation")
    assert codes(run_lint(tmp_path / "b", no_negative)) == [("no-negative-test", "warning")]
    todo_only = RULE.replace("expect: compliant}", "expect: compliant, todo: true}")
    assert codes(run_lint(tmp_path / "c", todo_only)) == [("no-negative-test", "warning")]


def test_review_only_rules_need_a_needs_review_test(tmp_path):
    review = RULE.replace("violation_when", "review_when").replace("  finding: x", "  review_reason: r\n  finding: x")
    assert codes(run_lint(tmp_path, review)) == [("no-violation-test", "warning")]
    fixed = review.replace("expect: violation", "expect: needs_review")
    assert run_lint(tmp_path / "b", fixed) == []


def test_unused_predicates_and_lists(tmp_path):
    predicates = "predicates:\n  spare: {description: unused, when: {field: t.text, exists: true}}\n"
    lists = {
        "spare_words": "description: unused\nitems: [a]\n",
        "detector_words": "description: read by a detector\nused_by: checker/detectors/x.py\nitems: [b]\n",
    }
    problems = run_lint(tmp_path, RULE, predicates=predicates, lists=lists)
    assert [(p.code, p.file, p.line) for p in problems] == [
        ("unused-list", "rules/lists/spare_words.yaml", 1),
        ("unused-predicate", "rules/predicates.yaml", 2),
    ]


def test_backtracking_regex_warning_points_at_the_pattern(tmp_path):
    risky = RULE.replace("matches: 'spam'", r"matches: '(\w+\s?)+$'")
    (problem,) = run_lint(tmp_path, risky)
    assert (problem.code, problem.line, problem.col) == ("regex-backtracking", 7, 46)


def test_missing_sample_is_a_test_failure_saying_where_it_looked_not_a_lint_error(tmp_path):
    missing = RULE.replace("{inline: {headers: {Subject: a}}, expect: violation}",
                           "{message: samples/nope.eml, expect: violation}")
    assert run_lint(tmp_path, missing) == []
    outcome = next(o for o in run_tests(load_ruleset(tmp_path / "rules")) if o.test.message)
    assert outcome.result == FAIL
    (problem,) = outcome.problems
    assert problem.startswith("no such message file samples/nope.eml (looked in: ")
    assert "rules/samples/nope.eml" in problem  # the rule set's own folder comes first


def test_load_errors_come_first_and_suppress_unused_warnings(tmp_path):
    broken = RULE.replace("[act-1]", "[act-nope]")
    predicates = "predicates:\n  spare: {description: unused, when: {field: t.text, exists: true}}\n"
    assert codes(run_lint(tmp_path, broken, predicates=predicates)) == [("unknown-citation", "error")]


@pytest.mark.parametrize(
    ("pattern", "risky"),
    [
        (r"(a+)+", True),
        (r"(\w+\s?)+$", True),
        (r"(x*)*y", True),
        (r"((a|b)+c)*", True),
        (r"^\s*(re|fwd?)\s*:", False),
        (r"\d+(,\d{3})*", False),
        (r"[a-z]+(?:\.[a-z]+)*", False),  # each round starts with a '.' the inner part cannot match
        (r"(?>a+)+", False),  # atomic: no backtracking into it
    ],
)
def test_nested_quantifier_detection(pattern, risky):
    assert nested_quantifier(pattern) is risky


def test_validators_are_documented():
    assert len({v.code for v in VALIDATORS}) == len(VALIDATORS)
    assert all(v.purpose and v.level in ("error", "warning") for v in VALIDATORS)
