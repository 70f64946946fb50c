"""Subject-line indicators (15 U.S.C. § 7704(a)(2))."""

from __future__ import annotations

import pytest

from checker.detectors.subject_integrity import detect_subject_indicators
from tests.detector_support import assert_evidence, message


def indicators(subject, in_reply_to=None, references=None, status="commercial"):
    return {i["indicator"]: i for i in detect_subject_indicators(subject, in_reply_to,
                                                                  references or [], status)}


@pytest.mark.parametrize("subject", ["Re: your inquiry", "RE: RE: hi", "Fwd: great deal",
                                     "FW: info", "AW: Angebot", "Re[2]: hello"])
def test_fake_reply_without_thread_headers(subject):
    found = indicators(subject)
    assert "fake_reply" in found
    assert found["fake_reply"]["quote"].rstrip(":").strip()


def test_real_reply_is_not_fake():
    assert "fake_reply" not in indicators("Re: lunch", in_reply_to="<a@b.example>")
    assert "fake_reply" not in indicators("Re: lunch", references=["<a@b.example>"])


def test_transactional_subject_over_an_ad():
    found = indicators("Your order #123 has shipped", status="commercial_uncertain")
    assert found["transactional_subject_on_ad"]["quote"].lower() == "your order"
    assert "transactional_subject_on_ad" not in indicators("Your order #123", status="transactional")
    assert "transactional_subject_on_ad" not in indicators("Your order", status="non_commercial")


@pytest.mark.parametrize("subject", ["You have won $1,000,000!", "Congratulations, winner",
                                     "Claim your prize now", "You've been selected"])
def test_prize_claims(subject):
    assert "prize_claim" in indicators(subject, status="non_commercial")


def test_personal_subject_over_an_ad():
    assert "personal_subject_on_ad" in indicators("hey", status="commercial")
    assert "personal_subject_on_ad" in indicators("Long time no see", status="commercial")
    assert "personal_subject_on_ad" not in indicators("hey", status="non_commercial")
    assert "personal_subject_on_ad" not in indicators("hey, FREE offer", status="commercial")


@pytest.mark.parametrize("subject", ["V.i.a.g.r.a now", "F R E E pills", "cheap\u200bmeds"])
def test_obfuscation(subject):
    assert "obfuscated_subject" in indicators(subject, status="non_commercial")


@pytest.mark.parametrize("subject", ["Meeting at 3 p.m. in the U.S.A. office", "Hello", "", None])
def test_plain_subjects_have_no_indicators(subject):
    assert indicators(subject, status="non_commercial") == {}


def test_end_to_end_evidence():
    msg = message("Save 50%! Only $9.95. Order now at http://shop.example/order",
                  subject="Re: your order")
    found = msg.get("subject_integrity.indicators")
    assert {i["indicator"] for i in found} == {"fake_reply", "transactional_subject_on_ad"}
    assert_evidence(msg, found)


@pytest.mark.parametrize("subject", ["hey, long time no see", "Hey!", "Movie time. Let's go."])
def test_personal_subjects_over_an_advertisement(subject):
    found = detect_subject_indicators(subject, None, [], "commercial")
    assert "personal_subject_on_ad" in {i["indicator"] for i in found}


def test_a_shop_subject_is_not_personal():
    found = detect_subject_indicators("Lunch specials at our deli", None, [], "commercial")
    assert "personal_subject_on_ad" not in {i["indicator"] for i in found}
