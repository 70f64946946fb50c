"""The shipped CAN-SPAM ruleset (rules/us/can-spam.yaml): citations, penalty facts, what a
violation rests on, and the counterfactual mode used to study the 2002 corpus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checker.case import CaseSettings
from checker.engine import audit
from checker.findings import Status
from checker.message import Message
from checker.ruleset import load_ruleset

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus" / "spamassassin"
CITATIONS = {
    "15 U.S.C. § 7704(a)(1)", "15 U.S.C. § 7704(a)(2)", "15 U.S.C. § 7704(a)(3)",
    "15 U.S.C. § 7704(a)(4)", "15 U.S.C. § 7704(a)(5)(A)(i)", "15 U.S.C. § 7704(a)(5)(A)(ii)",
    "15 U.S.C. § 7704(a)(5)(A)(iii)", "15 U.S.C. § 7704(b)(1)(A)(ii)", "15 U.S.C. § 7704(d)",
    "16 C.F.R. § 316.4", "16 C.F.R. § 316.5",
}


@pytest.fixture(scope="module")
def shipped():
    return load_ruleset()


@pytest.fixture(scope="module")
def federal(shipped):
    return shipped.select(jurisdictions=["US"])


def run(ruleset, sample: str) -> dict[str, object]:
    msg = Message((SAMPLES / sample).read_bytes(), source_id=sample)
    return {f.rule: f for f in audit(ruleset, msg).findings}


def test_federal_rules_cite_the_court_style_strings(federal):
    cited = {c for rule in federal.reported_rules for c in rule.citation_texts}
    assert cited == CITATIONS


def test_only_law_is_shipped(shipped):
    """A violation must only ever mean a legal violation: no policy rules."""
    assert all(rule.jurisdiction != "policy" for rule in shipped.rules)
    assert not any(rule.id.startswith("POLICY-") for rule in shipped.rules)


def test_penalty_facts_follow_the_statute(federal):
    finding = run(federal, "can-spam/no-opt-out.eml")["CANSPAM-OPT-OUT-MISSING"]
    remedies = {r["remedy"]: r for r in finding.penalty["remedies"]}
    ftc, state, isp = remedies["ftc-civil-penalty"], remedies["state-ag-damages"], remedies["isp-damages"]
    assert ftc["amount"] == 53088 and str(ftc["as_of"]).startswith("2025")
    assert state["amount"] == 250 and state["cap"] == 2_000_000 and state["capped"] is True
    assert isp["amount"] == 25 and isp["cap"] == 1_000_000
    assert {m["factor"] for m in state["multipliers"]} == {3} == {m["factor"] for m in isp["multipliers"]}


def test_header_findings_carry_the_uncapped_a1_amounts(federal):
    finding = run(federal, "can-spam/freemail-spoof.eml")["CANSPAM-HEADER-FROM-UNAUTHENTICATED"]
    remedies = {r["remedy"]: r for r in finding.penalty["remedies"]}
    assert remedies["isp-damages"]["amount"] == 100
    assert remedies["isp-damages"]["capped"] is False and remedies["state-ag-damages"]["capped"] is False


def test_a_violation_says_what_was_searched(federal):
    finding = run(federal, "can-spam/no-opt-out.eml")["CANSPAM-OPT-OUT-MISSING"]
    assert finding.status == Status.VIOLATION
    assert "visible text" in finding.finding and "List-Unsubscribe" in finding.finding
    fields = {e.field for e in finding.evidence}
    assert {"opt_out.status", "opt_out.searched", "pictures.blocking"} <= fields


def test_an_advance_fee_letter_is_never_a_violation(federal):
    findings = run(federal, "can-spam/advance-fee.eml")
    assert all(f.status != Status.VIOLATION for f in findings.values())
    assert findings["CANSPAM-OPT-OUT-MISSING"].status == Status.NEEDS_REVIEW


@pytest.mark.parametrize("sample", ["transactional/order-shipped.eml", "personal/lunch-reply.eml",
                                    "personal/german-note.eml"])
def test_non_commercial_mail_gets_not_applicable_except_header_rules(federal, sample):
    for rule, finding in run(federal, sample).items():
        if rule.startswith("CANSPAM-HEADER-") and sample.startswith("transactional"):
            assert finding.status != Status.NOT_APPLICABLE, rule  # (a)(1) covers transactional mail
        else:
            assert finding.status == Status.NOT_APPLICABLE, rule


def test_counterfactual_mode_ignores_effective_dates_only(shipped):
    sample = "can-spam/no-opt-out-2003.eml"
    assert run(shipped, sample)["CANSPAM-OPT-OUT-MISSING"].status == Status.NOT_APPLICABLE
    counterfactual = shipped.ignoring_effective_dates()
    assert counterfactual.sha256 != shipped.sha256
    assert run(counterfactual, sample)["CANSPAM-OPT-OUT-MISSING"].status == Status.VIOLATION
    # date conditions inside rules are kept: a 2006 P.O. box still raises the 2008 question
    assert run(counterfactual, "can-spam/po-box-2006.eml")["CANSPAM-POSTAL-ADDRESS"].status == Status.NEEDS_REVIEW


def test_counterfactual_mode_still_doubts_messages_without_a_date(shipped):
    raw = (SAMPLES / "can-spam" / "no-opt-out.eml").read_bytes()
    undated = b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"Date:"))
    no_trusted_hop = {"case": CaseSettings(trusted_hops=0)}
    result = audit(shipped.ignoring_effective_dates(), Message(undated, metadata=no_trusted_hop))
    finding = next(f for f in result.findings if f.rule == "CANSPAM-OPT-OUT-MISSING")
    assert finding.status == Status.NEEDS_REVIEW and "Date" in finding.finding
    # with its trusted Received line the message is dated by its receipt: nothing to doubt
    result = audit(shipped, Message(undated))
    finding = next(f for f in result.findings if f.rule == "CANSPAM-OPT-OUT-MISSING")
    assert finding.status == Status.VIOLATION


def test_a_back_dated_message_received_in_2025_keeps_its_findings(shipped):
    """A spam ring that writes Date: 1998 does not drop out of the case: the trap received
    the message in 2025 (trusted Received line), and that is the date the law looks at."""
    raw = (SAMPLES / "can-spam" / "no-opt-out.eml").read_bytes()
    backdated = raw.replace(b"Date: Mon, 02 Jun 2025", b"Date: Tue, 02 Jun 1998")
    assert backdated != raw
    honest = {f.rule: f.status for f in audit(shipped, Message(raw)).findings}
    claimed = audit(shipped, Message(backdated))
    assert {f.rule: f.status for f in claimed.findings} == honest
    assert honest["CANSPAM-OPT-OUT-MISSING"] == Status.VIOLATION
    assert claimed.received.startswith("2025-06-02") and claimed.date_source == "trusted_received"
    mismatch = Message(backdated).get("date.mismatch")
    assert "1998-06-02" in mismatch and "2025-06-02" in mismatch
    assert any(mismatch in note for note in claimed.errors)  # both dates printed with the message
    assert Message(raw).get("date.mismatch") is None  # five seconds apart: nothing to record


@pytest.mark.parametrize("name", ["00211", "00605"])
def test_corpus_mail_dated_0102_and_received_in_2002_is_outside_later_law(shipped, name):
    """Date year "0102" (a mailer bug), received by the trap in 2002: every rule in force
    only from 2004 is not applicable, whatever the message says."""
    folder = CORPUS / "spam_2"
    paths = sorted(folder.glob(f"{name}.*")) if folder.is_dir() else []
    if not paths:
        pytest.skip(f"corpus message spam_2/{name} not found under {CORPUS}")
    result = audit(shipped, Message(paths[0].read_bytes(), source_id=str(paths[0])))
    assert result.received.startswith("2002-") and result.date_source == "trusted_received"
    later = {r.id for r in shipped.rules
             if r.effective_from is not None and r.effective_from >= dt.date(2004, 1, 1)}
    judged = [f for f in result.findings if f.rule in later]
    assert judged and all(f.status == Status.NOT_APPLICABLE for f in judged), \
        [(f.rule, str(f.status)) for f in judged if f.status != Status.NOT_APPLICABLE]
    assert all("received on 2002-" in f.finding for f in judged)




def test_mail_received_before_2005_03_28_never_cites_the_primary_purpose_rule(shipped):
    """16 C.F.R. § 316.3 took effect on 2005-03-28: a finding on earlier mail does not cite
    it (an uncertain commercial purpose is a question under 15 U.S.C. § 7702(2))."""
    raw = (SAMPLES / "can-spam" / "uncertain-commercial.eml").read_bytes()
    for year in (b"2004", b"2025"):
        result = audit(shipped, Message(raw.replace(b"Jun 2025", b"Jun " + year)))
        reviews = [f for f in result.findings if f.status == Status.NEEDS_REVIEW]
        assert reviews and all("uncertain" in f.finding for f in reviews[:1])
        assert not any("316.3" in f.finding for f in result.findings)
