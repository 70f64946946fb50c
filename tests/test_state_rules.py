"""The state-law rules (rules/us-*/) and the rule-language pieces they need: `requires`
gates with a not_applicable reason, the `outcomes` template variable, tests that supply
case settings (`case:`, `state:`), and summable penalty shapes (`cap_unit`,
`alternative`)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from rules_support import message, rule_file, write_ruleset

from checker.case import CASE_SCHEMA, US_STATES, CaseSettings, case_schema_text, load_case_settings
from checker.engine import audit, explain
from checker.findings import Status
from checker.message import Message
from checker.paths import project_root, rules_dir
from checker.ruleset import RulesetError, load_ruleset, spec
from checker.ruleset.lint import lint
from checker.ruleset.runner import FAIL, PASS, run_tests

ROOT = project_root()
SAMPLES = sorted((ROOT / "samples").rglob("*.eml"))
CASES = sorted((ROOT / "cases").glob("*.yaml"))
STATE_DIRS = ["us-ma", "us-ca", "us-wa", "us-fl", "us-md", "us-va", "us-tx", "us-ny", "us-ut", "us-mi"]


@pytest.fixture(scope="module")
def shipped():
    return load_ruleset()


@pytest.fixture(scope="module")
def state_rules(shipped):
    return [r for r in shipped.rules if r.jurisdiction not in ("US", "policy")]


@pytest.fixture(scope="module")
def raw_samples():
    return {path: path.read_bytes() for path in SAMPLES}


def run(ruleset, raw: bytes, case: CaseSettings | None = None):
    metadata = case.as_metadata() if case is not None else {}
    return {f.rule: f for f in audit(ruleset, Message(raw, source_id="t", metadata=metadata)).findings}


# ---------------------------------------------------------------- the shipped state rules


def test_one_folder_per_state_and_the_old_ma_folder_is_gone(state_rules):
    for folder in STATE_DIRS:
        assert list((rules_dir() / folder).glob("*.yaml")), folder
    assert not (rules_dir() / "ma").exists()
    by_state = {r.jurisdiction for r in state_rules}
    assert by_state == {"MA", "CA", "WA", "FL", "MD", "VA", "TX", "NY", "UT", "MI"}
    for rule in state_rules:
        assert Path(rule.file).parent.name == f"us-{rule.jurisdiction.lower()}", rule.id
        assert rule.requires, f"{rule.id} has no nexus gate"
        assert "survive" in (rule.description or ""), f"{rule.id} does not say why it survives preemption"


def test_the_shipped_state_tests_pass_and_cover_the_nexus_cases(shipped, state_rules):
    outcomes = run_tests(shipped, tuple(r.id for r in state_rules))
    failures = [o.line() for o in outcomes if o.result == FAIL]
    assert not failures, "\n".join(failures)
    for rule in state_rules:
        mine = [o for o in outcomes if o.rule == rule.id and o.result == PASS]
        expects = {o.test.expect for o in mine}
        assert "needs_review" in expects and expects & {"compliant", "not_applicable"}, rule.id
        nexus_cases = [o for o in mine if o.test.expect == "not_applicable"]
        assert any(o.test.case is None and o.test.state is None for o in nexus_cases), rule.id
        assert any(o.test.case and "unmapped" in o.test.case for o in nexus_cases), rule.id
        assert len([o for o in mine if o.test.case]) >= 3, rule.id


def test_without_case_settings_every_state_rule_is_not_applicable_with_the_reason(
        shipped, state_rules, raw_samples):
    for path, raw in raw_samples.items():
        findings = run(shipped, raw)
        for rule in state_rules:
            finding = findings[rule.id]
            assert finding.status == Status.NOT_APPLICABLE, (path.name, rule.id, finding.finding)
            reasons = ("recipient state unknown", "before the rule took effect",  # dates come first
                       "after the rule ceased to be in force")
            assert any(r in finding.finding for r in reasons), (path.name, rule.id, finding.finding)


def test_a_trap_in_another_state_never_brings_in_a_state_rule(shipped, state_rules, raw_samples):
    oregon = CaseSettings().with_state("OR")  # a state without rules
    for path, raw in raw_samples.items():
        findings = run(shipped, raw, oregon)
        for rule in state_rules:
            assert findings[rule.id].status == Status.NOT_APPLICABLE, (path.name, rule.id)


def test_no_state_rule_ever_says_violation_and_every_finding_says_how_nexus_was_found(
        shipped, state_rules, raw_samples):
    """Falsity, deception and 93A unfairness are for counsel: with nexus and a registry
    hit, every sample gives needs_review, compliant or not_applicable, and each finding
    that applies names its nexus."""
    seen = set()
    for rule in state_rules:
        case = load_case_settings(ROOT / "cases" / f"{rule.jurisdiction.lower()}-trap.yaml")
        for path, raw in raw_samples.items():
            finding = run(shipped.select([rule.id]), raw, case)[rule.id]
            seen.add(finding.status)
            assert finding.status != Status.VIOLATION, (rule.id, path.name)
            assert finding.status != Status.ERROR, (rule.id, path.name, finding.error)
            if finding.status in (Status.NEEDS_REVIEW, Status.COMPLIANT):
                assert "Nexus: recipient" in finding.finding, (rule.id, path.name)
            if finding.status == Status.NEEDS_REVIEW:
                assert "Needs review: " in finding.finding and finding.penalty, (rule.id, path.name)
    assert seen >= {Status.NEEDS_REVIEW, Status.COMPLIANT, Status.NOT_APPLICABLE}


def test_objective_authentication_facts_are_stated_as_facts(shipped):
    raw = (ROOT / "samples" / "states" / "webmail-forged.eml").read_bytes()
    finding = run(shipped, raw, CaseSettings().with_state("CA"))["CA-17529.5-A1-THIRD-PARTY-DOMAIN"]
    assert finding.status == Status.NEEDS_REVIEW
    assert "The operator's server recorded DMARC fail for hotmail.com (authserv-id mx.trap.example)" in finding.finding
    quotes = {(e.field, e.quote) for e in finding.evidence}
    assert ("authentication_results[2].raw", "dmarc=fail") in quotes
    assert ("recipient.state", "CA") in quotes


def test_an_untrusted_authserv_id_is_no_evidence_of_a_borrowed_domain(shipped):
    """The same DMARC failure, written by a server the case settings do not trust."""
    raw = (ROOT / "samples" / "states" / "webmail-forged.eml").read_bytes()
    raw = raw.replace(b"Authentication-Results: mx.trap.example;", b"Authentication-Results: mx.sender.example;")
    finding = run(shipped, raw, load_case_settings(ROOT / "cases" / "ca-trap.yaml"))
    third_party = finding["CA-17529.5-A1-THIRD-PARTY-DOMAIN"]
    # still for review: the hotmail.com From never passed through a Hotmail server (the HELO
    # "hotmail.com" came from a DSL line); but the untrusted DMARC failure is not cited
    assert "DMARC" not in third_party.finding
    assert not any(e.field.startswith("authentication_results") for e in third_party.evidence)
    assert finding["CA-17529.5-A2-HEADER"].status == Status.NEEDS_REVIEW  # the forged HELO remains


# ---------------------------------------------------------------- Massachusetts


def test_ma_builds_on_every_federal_rule_that_can_end_in_violation(shipped):
    ma = shipped.rule("MA-93A-CANSPAM")
    federal = {r.id for r in shipped.rules if r.jurisdiction == "US" and r.violation_when is not None}
    assert federal and federal <= ma.depends_on
    assert not any(r.startswith("POLICY-") for r in ma.depends_on)


@pytest.mark.parametrize(
    "sample, status, words",
    [
        ("can-spam/no-opt-out.eml", Status.NEEDS_REVIEW, "CAN-SPAM violation(s) found in this message (CANSPAM-OPT-OUT-MISSING)"),
        ("can-spam/fake-reply.eml", Status.NEEDS_REVIEW, "federal finding(s) need review (CANSPAM-SUBJECT-FAKE-REPLY)"),
        ("can-spam/compliant-newsletter.eml", Status.COMPLIANT, "nothing carries into ch. 93A"),
        ("personal/lunch-reply.eml", Status.NOT_APPLICABLE,
         "applies only when the message is commercial, or a transactional or relationship message"),
    ],
)
def test_ma_outcome_paths(shipped, sample, status, words):
    raw = (ROOT / "samples" / sample).read_bytes()
    case = load_case_settings(ROOT / "cases" / "ma-trap.yaml")
    finding = run(shipped, raw, case)["MA-93A-CANSPAM"]
    assert finding.status == status, finding.finding
    assert words in finding.finding
    if status != Status.NOT_APPLICABLE:
        assert "mapped to MA by the case settings" in finding.finding


def test_ma_never_says_violation_even_on_a_federal_violation(tmp_path):
    """A federal violation and MA nexus give needs_review; a federal needs_review never
    becomes more than needs_review."""
    rules = {
        "us/fed.yaml": rule_file("""
            - id: FED-V
              title: t
              citations: [act-1]
              severity: high
              violation_when: {field: subject, contains: bad}
              review_when: {field: subject, contains: odd}
              review_reason: odd
              finding: f
              tests: [{message: x.eml, expect: violation}]
        """),
    }
    ma_text = (rules_dir() / "us-ma" / "93a.yaml").read_text(encoding="utf-8")
    ma = yaml.safe_load(ma_text)
    ma_rule = ma["rules"][0]
    ma_rule["citations"] = ["act-2"]
    ma_rule["tests"] = []
    ma_rule.pop("effective")
    ma_rule["applies_when"] = {"field": "subject", "exists": True}
    ma_rule["review_when"] = {"any": [{"rule": "FED-V", "status_in": ["violation", "needs_review"]}]}
    rules["us-ma/93a.yaml"] = yaml.safe_dump(ma, allow_unicode=True, sort_keys=False)
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", rules))
    ma_case = CaseSettings().with_state("MA")
    for subject, federal, expected in [("bad", "violation", "needs_review"), ("odd", "needs_review", "needs_review"),
                                       ("fine", "compliant", "compliant")]:
        findings = {f.rule: f for f in audit(ruleset, message(subject, **ma_case.as_metadata())).findings}
        assert str(findings["FED-V"].status) == federal
        assert str(findings["MA-93A-CANSPAM"].status) == expected, findings["MA-93A-CANSPAM"].finding


# ---------------------------------------------------------------- penalties


def _total(remedy: dict, messages_per_day: list[int]) -> float:
    """What a damages schedule computes from one remedy entry (no multipliers)."""
    messages = sum(messages_per_day)
    total = remedy["amount"] * messages
    alternative = remedy["alternative"]
    if alternative:
        units = {"day": len(messages_per_day), "message": messages}[alternative["unit"]]
        other = alternative["amount"] * units
        total = min(total, other) if alternative["take"] == "lesser" else max(total, other)
    if remedy["cap"] is not None:
        if remedy["cap_unit"] == "day":
            total = sum(min(remedy["amount"] * n, remedy["cap"]) for n in messages_per_day)
        else:
            total = min(total, remedy["cap"])
    return total


def _penalties(shipped, rule_id: str) -> dict[str, dict]:
    return {r["remedy"]: r for r in shipped.rule(rule_id).penalty["remedies"]}


def test_every_state_rule_carries_summable_penalty_facts(shipped, state_rules):
    for rule in state_rules:
        if rule.penalty is None:  # a rule that only marks a question for counsel
            assert rule.violation_when is None and "no remedy" in rule.description, rule.id
            continue
        remedies = rule.penalty["remedies"]
        assert remedies, rule.id
        for remedy in remedies:
            assert remedy["who"] and remedy["basis"] and remedy["amount"] > 0, (rule.id, remedy["remedy"])
            assert remedy["unit"] in spec.PENALTY_UNITS and remedy["cap_unit"] in spec.CAP_UNITS
            assert {"alternative", "multipliers", "conditions", "cap_exceptions"} <= set(remedy)
            json.dumps(remedy)  # plain data for the JSON report


def test_lesser_and_greater_of_per_message_or_per_day(shipped):
    texas = _penalties(shipped, "TX-321.051-FALSITY")
    ag, provider = texas["tx-321-102-civil-penalty"], texas["tx-321-106-emsp-damages"]
    assert ag["alternative"] == {"amount": 25000, "unit": "day", "take": "lesser"}
    assert _total(ag, [5000]) == 25000  # 5,000 messages in one day: $50,000 or $25,000
    assert _total(ag, [100, 100]) == 2000  # 200 messages over two days: $2,000 or $50,000
    assert _total(provider, [100, 100]) == 50000
    virginia = _penalties(shipped, "VA-18.2-152.3-1-FORGED-ROUTING")["va-18-2-152-12-damages"]
    assert _total(virginia, [3000, 10]) == 30100
    michigan = _penalties(shipped, "MI-752.1065-REGISTRY")["mi-752-1068-damages"]
    assert _total(michigan, [100]) == 250000


def test_california_caps_per_incident_and_washington_per_message(shipped):
    california = _penalties(shipped, "CA-17529.5-A2-HEADER")["ca-17529-5-damages"]
    assert (california["amount"], california["cap"], california["cap_unit"]) == (1000, 1000000, "incident")
    assert any(m["factor"] == 0.1 for m in california["multipliers"])
    washington = _penalties(shipped, "WA-19.190.020-1B-SUBJECT")
    assert washington["wa-cema-recipient-damages"]["amount"] == 500
    assert washington["wa-cema-ics-damages"]["amount"] == 1000
    assert "verify" in washington["wa-cema-recipient-damages"]["note"].lower()
    massachusetts = _penalties(shipped, "MA-93A-CANSPAM")["ma-ag-civil-penalty"]
    assert (massachusetts["amount"], massachusetts["unit"]) == (5000, "violation")


# ---------------------------------------------------------------- rule-language pieces

GATED = """
- id: GATED
  title: Gated rule
  citations: [act-1]
  severity: high
  requires:
    - when: {field: t.text, equals: MA}
      otherwise: 'no nexus: "{{ field("t.other") }}" ({{ subject }})'
  applies_when: {field: t.flag, equals: true}
  violation_when: {field: subject, contains: bad}
  finding: The subject is bad.
"""


@pytest.fixture
def gated(tmp_path, fake_fields):
    return load_ruleset(write_ruleset(tmp_path / "rules", rule_file(GATED)))


@pytest.fixture
def fake_fields():
    from rules_support import register_fake_fields, unregister

    names = register_fake_fields()
    yield names
    unregister(names)


def test_a_failed_requirement_is_not_applicable_with_its_reason(gated):
    finding = audit(gated, message("bad", **{"t.text": "CA", "t.other": "mapped to CA", "t.flag": True})).findings[0]
    assert finding.status == Status.NOT_APPLICABLE
    assert finding.finding == 'Not applicable: no nexus: "mapped to CA" (bad).'
    assert finding.evidence and finding.evidence[0].field == "t.text"


def test_requirements_come_before_applies_when_and_join_the_evidence(gated):
    finding = audit(gated, message("bad", **{"t.text": "MA", "t.flag": False})).findings[0]
    assert finding.status == Status.NOT_APPLICABLE
    assert finding.reasons == ("precondition_false",)
    assert "does not meet the condition under which the rule applies" in finding.finding
    finding = audit(gated, message("bad", **{"t.text": "MA", "t.flag": True})).findings[0]
    assert finding.status == Status.VIOLATION
    assert ("t.text", "MA") in {(e.field, e.quote) for e in finding.evidence}


def test_a_weak_requirement_turns_a_violation_into_needs_review(tmp_path, fake_fields):
    text = GATED.replace("- when: {field: t.text, equals: MA}",
                         "- when: {weakly: {field: t.text, equals: MA}, reason: the state is only asserted}")
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", rule_file(text)))
    finding = audit(ruleset, message("bad", **{"t.text": "MA", "t.flag": True})).findings[0]
    assert finding.status == Status.NEEDS_REVIEW
    assert "the state is only asserted" in finding.finding


def test_a_failed_requirement_spares_the_rules_it_would_have_read(tmp_path, fake_fields):
    from rules_support import Boom

    text = rule_file("""
        - id: BASE
          title: b
          citations: [act-1]
          severity: low
          violation_when: {field: t.status, equals: x}
          finding: f
        - id: GATED
          title: g
          citations: [act-2]
          severity: low
          requires:
            - when: {field: t.text, equals: MA}
              otherwise: no nexus
          review_when: {rule: BASE, status_in: [violation]}
          review_reason: r
          finding: f
    """)
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", text))
    findings = {f.rule: f for f in audit(ruleset, message("x", **{"t.status": Boom("broken")})).findings}
    assert findings["BASE"].status == Status.ERROR
    assert findings["GATED"].status == Status.NOT_APPLICABLE
    findings = {f.rule: f for f in audit(ruleset, message("x", **{"t.status": Boom("b"), "t.text": "MA"})).findings}
    assert findings["GATED"].status == Status.ERROR


def test_explain_shows_the_requirement(gated):
    tree = explain(gated, "GATED", message("bad", **{"t.text": "NY"}))
    text = tree.render_text()
    assert "requires[1]: FALSE" in text and "not_applicable" in text


@pytest.mark.parametrize(
    "requires, code",
    [
        ("requires: []", "bad-value"),
        ("requires:\n    - when: {field: t.text, equals: MA}", "missing-key"),
        ("requires:\n    - otherwise: x", "missing-key"),
        ("requires:\n    - {when: {field: t.txt, equals: MA}, otherwise: x}", "unknown-field"),
        ("requires:\n    - {when: {field: t.text, equals: MA}, otherwise: '{{ feild }}'}", "template-error"),
        ("requires:\n    - {when: {field: t.text, equals: MA}, otherwise: x, unless: y}", "unknown-key"),
    ],
)
def test_bad_requirements_are_load_errors(tmp_path, fake_fields, requires, code):
    text = f"""
- id: R
  title: t
  citations: [act-1]
  severity: low
  {requires}
  violation_when: {{field: subject, contains: x}}
  finding: f
"""
    with pytest.raises(RulesetError) as info:
        load_ruleset(write_ruleset(tmp_path / "rules", rule_file(text)))
    assert code in {p.code for p in info.value.problems}, [str(p) for p in info.value.problems]


def test_outcomes_lists_the_rules_built_on(tmp_path, fake_fields):
    text = rule_file("""
        - id: A
          title: a
          citations: [act-1]
          severity: low
          violation_when: {field: subject, contains: a}
          finding: f
        - id: B
          title: b
          citations: [act-1]
          severity: low
          violation_when: {field: subject, contains: b}
          finding: f
        - id: BOTH
          title: both
          citations: [act-2]
          severity: low
          review_when:
            any:
              - {rule: A, status_in: [violation]}
              - {rule: B, status_in: [violation]}
          review_reason: r
          finding: >-
            Violated: {{ outcomes | dictsort | selectattr("1", "equalto", "violation")
            | map(attribute="0") | join(", ") }}; B is {{ outcomes["B"] }}; C is {{ outcomes["C"] }}.
    """)
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", text))
    both = {f.rule: f for f in audit(ruleset, message("a b")).findings}["BOTH"]
    assert both.finding.startswith("Violated: A, B; B is violation; C is (not evaluated).")
    both = {f.rule: f for f in audit(ruleset, message("a")).findings}["BOTH"]
    assert both.finding.startswith("Violated: A; B is compliant;")


# ---------------------------------------------------------------- rule tests with case settings


def _case_rule(tests: str) -> str:
    return rule_file(f"""
        - id: NEXUS
          title: n
          citations: [act-1]
          severity: low
          requires:
            - when: {{field: recipient.state, equals: MA}}
              otherwise: 'no nexus: {{{{ field("recipient.nexus") }}}}'
          review_when: {{field: subject, exists: true}}
          review_reason: r
          finding: 'Nexus: {{{{ field("recipient.nexus") }}}}'
          tests:
{tests}
    """)


def _project(tmp_path, tests: str, case_text: str | None = None) -> Path:
    root = write_ruleset(tmp_path / "rules", _case_rule(tests))
    (tmp_path / "m.eml").write_bytes(
        b"Received: from a.example (a.example [192.0.2.1]) by mx.trap.example with SMTP id 1\n"
        b"\tfor <trap1@trap.example>; Mon, 02 Jun 2025 10:00:00 +0000\n"
        b"From: a@a.example\nTo: trap1@trap.example\nSubject: hi\nDate: Mon, 02 Jun 2025 10:00:00 +0000\n\nx\n")
    if case_text is not None:
        (tmp_path / "case.yaml").write_text(case_text, encoding="utf-8")
    return root


def test_rule_tests_take_a_case_file_and_a_state(tmp_path):
    tests = """
            - {message: m.eml, case: case.yaml, expect: needs_review}
            - {message: m.eml, case: case.yaml, state: ca, expect: not_applicable}
            - {message: m.eml, state: MA, expect: needs_review}
            - {message: m.eml, expect: not_applicable}
    """
    root = _project(tmp_path, tests, "traps: [{address: '@trap.example', state: MA}]\n")
    outcomes = run_tests(load_ruleset(root))
    assert [o.result for o in outcomes] == [PASS] * 4, [o.line(True) for o in outcomes]
    assert "case.yaml" in outcomes[0].finding
    assert "recipient state set to CA" in outcomes[1].finding
    assert outcomes[1].test.state == "CA"


def test_a_bad_state_code_in_a_test_is_a_load_error(tmp_path):
    root = _project(tmp_path, "            - {message: m.eml, state: ZZ, expect: needs_review}")
    with pytest.raises(RulesetError) as info:
        load_ruleset(root)
    assert any("not a US state code" in str(p) for p in info.value.problems)


@pytest.mark.parametrize(
    "case_text, words",
    [
        (None, "no such case settings file case.yaml"),
        ("traps: [{address: nobody, state: MA}]\n", "does not match '@'"),
        ("colour: blue\n", "colour"),
    ],
)
def test_lint_checks_the_case_files_tests_name(tmp_path, case_text, words):
    root = _project(tmp_path, "            - {message: m.eml, case: case.yaml, expect: needs_review}", case_text)
    problems, _build = lint(root)
    errors = [str(p) for p in problems if p.level == "error" and p.code == "bad-case-file"]
    if case_text is None:  # a missing file is the test's failure, not a lint error
        assert errors == []
    else:
        assert len(errors) == 1 and words in errors[0], [str(p) for p in problems]
    outcome = run_tests(load_ruleset(root))[0]
    assert outcome.result == FAIL and words in "; ".join(outcome.problems)


# ---------------------------------------------------------------- case settings files


def test_the_shipped_case_schema_is_current():
    shipped = (ROOT / "docs" / "case-settings.schema.json").read_text(encoding="utf-8")
    assert shipped == case_schema_text(), "run `spamlaw rules schema --case -o docs/case-settings.schema.json`"
    jsonschema.Draft202012Validator.check_schema(CASE_SCHEMA)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_sample_case_files_load_and_name_the_schema(path):
    case = load_case_settings(path)
    assert case.traps
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "# yaml-language-server: $schema=../../docs/case-settings.schema.json")
    assert all(t.state is None or t.state in US_STATES for t in case.traps)


def test_case_files_cover_exact_glob_and_domain_traps():
    patterns = {t.pattern for path in CASES for t in load_case_settings(path).traps}
    assert any("*" in p or "?" in p for p in patterns)
    assert any(p.startswith("@") for p in patterns)
    assert any(not p.startswith("@") and "*" not in p and "?" not in p for p in patterns)


def test_a_case_file_that_is_not_utf8_is_one_clear_error(tmp_path):
    from checker.case import CaseSettingsError

    path = tmp_path / "case.yaml"
    path.write_bytes(b"case: \xff\xfe\n")
    with pytest.raises(CaseSettingsError, match="not UTF-8"):
        load_case_settings(path)


def test_the_manuals_explain_the_new_keys():
    manual = (ROOT / "docs" / "rule-language.md").read_text(encoding="utf-8")
    for table in (spec.REQUIRE_KEYS, spec.ALTERNATIVE_KEYS):
        for key in table:
            assert f"`{key}`" in manual, key
    for key in ("requires", "otherwise", "cap_unit", "alternative", "outcomes", "`case`", "`state`"):
        assert key in manual, key
    case_manual = (ROOT / "docs" / "case-settings.md").read_text(encoding="utf-8")
    for key in list(CASE_SCHEMA["properties"]) + ["--case", "--state", "recipient state unknown"]:
        assert key in case_manual, key


# ---------------------------------------------------------------- the corpus

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spamassassin"


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_spam_with_every_state_gives_no_error_and_no_violation(shipped, state_rules):
    """Real trap spam, each message taken to be received in one of the ten states (and
    on its registry): state rules never fail and never say violation."""
    import datetime as dt

    from checker.case import RegistryEntry

    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    files = sorted((CORPUS / "spam").glob("*.eml"))[:250] + sorted((CORPUS / "spam_2").glob("*.eml"))[:250]
    states = sorted({r.jurisdiction for r in state_rules})
    applied = 0
    for index, path in enumerate(files):
        state = states[index % len(states)]
        raw = path.read_bytes()
        address = Message(raw).get("recipient.address") or "nobody@example.invalid"
        case = CaseSettings(registries=(RegistryEntry(state, address, dt.date(1990, 1, 1)),)).with_state(state) \
            if state in ("UT", "MI") else CaseSettings().with_state(state)
        for finding in audit(shipped, Message(raw, source_id=path.name, metadata=case.as_metadata())).findings:
            if finding.jurisdiction != state:
                continue
            assert finding.status not in (Status.ERROR, Status.VIOLATION), (path.name, finding.rule, finding.error)
            applied += finding.status != Status.NOT_APPLICABLE
    assert applied > 20
