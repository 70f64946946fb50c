"""The shipped starter ruleset: it exercises every operator, condition form and outcome
through real rules and samples, its tests pass, and it survives hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.engine import audit
from checker.findings import Status
from checker.message import Message
from checker.operators import OPERATORS
from checker.ruleset import load_ruleset
from checker.ruleset.model import FieldCond, iter_conditions
from checker.ruleset.runner import FAIL, run_tests
from checker.ruleset.spec import CONDITION_FORMS

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spamassassin"


@pytest.fixture(scope="module")
def shipped():
    return load_ruleset()


def _conditions(ruleset):
    roots = [c for r in ruleset.rules for c in (r.applies_when, r.violation_when, r.review_when)]
    roots += [gate.condition for r in ruleset.rules for gate in r.requires]
    roots += [p.condition for p in ruleset.predicates.values()]
    return [c for root in roots for c in iter_conditions(root)]


def test_every_operator_and_condition_form_is_used(shipped):
    conditions = _conditions(shipped)
    used_ops = {c.op.name for c in conditions if isinstance(c, FieldCond)}
    # counsel's additions (issue 14) that no shipped rule needs yet: covered by
    # tests/test_operators.py and tests/test_loader.py instead
    not_yet_shipped = {"less_than", "at_most", "at_least", "matches_any"}
    assert used_ops | not_yet_shipped == set(OPERATORS)
    forms = {c.label.split()[0] for c in conditions if not isinstance(c, FieldCond)}
    forms = {"at_least" if f == "at" else f for f in forms}
    assert forms | {"field"} == set(CONDITION_FORMS)


def test_every_rule_outcome_is_expected_by_a_shipped_test(shipped):
    expected = {t.expect for r in shipped.rules for t in r.tests}
    assert {"violation", "needs_review", "compliant", "not_applicable"} <= expected
    assert all(t.message is None or t.message.startswith("samples/") for r in shipped.rules for t in r.tests)


def test_the_shipped_tests_pass(shipped):
    outcomes = run_tests(shipped)
    failures = [o.line() for o in outcomes if o.result == FAIL]
    assert not failures, "\n".join(failures)
    assert len(outcomes) >= 30


def test_violations_rest_on_strong_evidence(shipped):
    """Each violation in the samples quotes what it rests on: a span or what was searched."""
    for path in sorted((Path(shipped.root).parent / "samples").rglob("*.eml")):
        result = audit(shipped, Message(path.read_bytes(), source_id=str(path)))
        for finding in result.findings:
            if finding.status == Status.VIOLATION:
                assert finding.evidence, (path, finding.rule)
                assert finding.citations and finding.finding.strip()
            if finding.status == Status.NEEDS_REVIEW:  # the sentence says why
                assert "Needs review: " in finding.finding, (path, finding.rule)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(shipped, raw):
    result = audit(shipped, Message(raw))
    assert len(result.findings) == len(shipped.reported)


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_messages_audit_without_rule_errors(shipped):
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    files = sorted(CORPUS.rglob("*.eml"))[::25]  # about 240 messages across every set
    errors = []
    for path in files:
        result = audit(shipped, Message(path.read_bytes(), source_id=path.name))
        errors += [(path.name, f.rule, f.error) for f in result.findings if f.status == Status.ERROR]
    assert not errors, errors[:5]
