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


# ------------------------------------------------------------------- review defects D8-D13

AD = "Order now and save 70% on watches! Only $49.95.\n"


@pytest.mark.parametrize("body", [
    "Interesting, see below.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n" + AD,
    "FYI\n\nBegin forwarded message:\n\nFrom: Bob <bob@example.com>\n" + AD,
    "Worth a look.\n\n--- begin forwarded text\n\n" + AD + "--- end forwarded text\n",
    "On Mon, 2 Sep 2002, Bob Smith wrote:\n" + AD,
    "I agree.\n\n>Mail Me the Money!\n>By David Friedman 08/08/2002\n\nThey are wrong.\n",
    "Sure.\n\n> > nested quote\n> reply to it\n",
])
def test_quoted_or_forwarded_original_shows_a_real_reply(body):
    found = detect_subject_indicators("Re: watches", None, [], "commercial", body_text=body)
    assert "fake_reply" not in {i["indicator"] for i in found}


def test_outlook_thread_headers_show_a_real_reply():
    found = detect_subject_indicators("RE: watches", None, [], "commercial", thread_headers=True)
    assert found == []


@pytest.mark.parametrize("body", [
    AD,
    ">>>>>  INSTANT ACCESS TO ALL SITES NOW\n>>>>>  Your User Name And Password is.\n",
    ">From the makers of the best watches\n" + AD,
    "One quoted line only:\n> buy now\n" + AD,
])
def test_bullets_and_ads_are_not_quoted_originals(body):
    found = detect_subject_indicators("Fw: watches", None, [], "commercial", body_text=body)
    assert "fake_reply" in {i["indicator"] for i in found}


def test_trailing_fwd_is_a_forward_marker():
    found = indicators("You have to see these prices (fwd)")
    assert found["fake_reply"]["quote"] == "(fwd)"


def test_thread_index_header_end_to_end():
    headers = "Thread-Topic: watches\nThread-Index: AcJO7qte24+xcf7ESLmrGiiIRFMj4wAGlwww\n"
    msg = message("Save 50%! Only $9.95. Order now.", subject="RE: watches", headers=headers)
    assert "fake_reply" not in {i["indicator"] for i in msg.get("subject_integrity.indicators")}
    bare = message("Save 50%! Only $9.95. Order now.", subject="RE: watches")
    assert "fake_reply" in {i["indicator"] for i in bare.get("subject_integrity.indicators")}


@pytest.mark.parametrize("subject", [
    "Powerball Results Saturday September 14, 2002 Estimated Jackpot $100 Million",
    "Geneticists and a tiny worm win Nobel prize",
    "Sweepstakes Prize Notification rules",
    "Congratulations to the release team",
    "Lottery winner announced",
])
def test_topic_words_are_not_prize_claims(subject):
    assert "prize_claim" not in indicators(subject)


@pytest.mark.parametrize("subject", [
    "Hello rsharp2 ! You're a Winner", "YOU ARE A WINNER!!", "You Won $30 Dollars !",
    "Congratulations on Your 6 New Signups", "Congratulations! Here's Your Diploma!",
    "Your prize is waiting", "You may have already won", "Claim your cash prize",
])
def test_prize_claims_addressed_to_the_reader(subject):
    assert "prize_claim" in indicators(subject)


def test_lets_go_is_a_personal_note_only_as_the_whole_subject():
    assert "personal_subject_on_ad" not in indicators("Let's Go Get Stoned")
    assert "personal_subject_on_ad" in indicators("Let's go!")
    assert "personal_subject_on_ad" in indicators("Check this out")


@pytest.mark.parametrize("subject", [
    "shop your loan to lenders for the best rate        OTQ",
    "Online Credit Repair,Approved by Bureaus!               24625",
    "Approved Online, Internet, Buy Viagra              SJHFL",
    "Money is available.",
    "FDA approved hair loss treatment",
    "Refund policy: 30 days",
])
def test_product_claims_are_not_transactional_notices(subject):
    assert "transactional_subject_on_ad" not in indicators(subject)


@pytest.mark.parametrize("subject,quote", [
    ("You Are Approved!!! (158545)", "You Are Approved"),
    ("** You're -Approved-!", "You're -Approved"),
    ("RE: Approved for $5000", "Approved for $"),
    (".* Mortgage Approved!!*", "Mortgage Approved"),
    ("Your loan has been approved", "loan has been approved"),
    ("Your Dark Web scan is available", "Your Dark Web scan is available"),
    ("READ---SHIPPING INSTRUTIONS--FOR YOUR ORDER", "YOUR ORDER"),
    ("YOUR ACCOUNT HAS BEEN CLOSED!", "YOUR ACCOUNT"),
])
def test_notices_addressed_to_the_reader(subject, quote):
    assert indicators(subject)["transactional_subject_on_ad"]["quote"] == quote


def test_bracketed_forward_marker():
    assert indicators("[Fwd: Great prices on watches]")["fake_reply"]["quote"] == "[Fwd:"


def test_trailing_fwd_quote_is_the_marker_only():
    assert indicators("Prices you have to see (fwd)  ")["fake_reply"]["quote"] == "(fwd)"
