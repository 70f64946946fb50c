"""Identification as an advertisement (15 U.S.C. § 7704(a)(5)(A)(i))."""

from __future__ import annotations

import pytest

from checker.detectors._text import TextSource
from checker.detectors.ad_label import detect_ad_label
from tests.detector_support import assert_evidence, message


def body(text: str) -> list[TextSource]:
    return [TextSource("body.visible_text", text)]


@pytest.mark.parametrize("subject", ["ADV: Low rates", "Adv - cheap toner", "[ADV] Sale",
                                     "(ADV) Sale", "Ad: new offer", "  ADV:Legal Services"])
def test_subject_prefixes(subject):
    result = detect_ad_label(subject, [])
    assert result["found"]
    label = result["matches"][0]
    assert label["field"] == "subject" and subject[label["start"] : label["end"]] == label["quote"]
    assert label["quote"].upper().lstrip("[(").startswith("AD")


@pytest.mark.parametrize(
    "text",
    [
        "This is an advertisement.",
        "-----ADVERTISEMENT-----",
        "This message is a commercial advertisement.",
        "You have received this advertisement because you opted in.",
        "This e-mail is a solicitation for your business.",
        "This is a promotional message from Acme.",
        "【未承諾広告※】 新商品のご案内",
        "(광고) 최저가 대출",
    ],
)
def test_body_disclosures(text):
    assert detect_ad_label("Hello", body(text))["found"]


@pytest.mark.parametrize(
    "text",
    [
        "developing marketing campaigns and advertisement, cashing checks",
        "email advertisements are annoying",
        "Adventures in Time and Space",
        "Let's meet for lunch.",
    ],
)
def test_not_labels(text):
    assert not detect_ad_label("Adventure time", body(text))["found"]


def test_denials_are_not_labels_but_are_reported():
    result = detect_ad_label("Hi", body("This is NOT an advertisement. This is not spam!"))
    assert not result["found"]
    assert [d["quote"] for d in result["denials"]] == ["This is NOT an advertisement",
                                                        "This is not spam"]


def test_hidden_label_does_not_count_as_found():
    sources = [TextSource("body.visible_text", "Buy now"),
               TextSource("body.hidden_text[0].text", "This is an advertisement", False, "tiny")]
    result = detect_ad_label("Deals", sources)
    assert not result["found"]
    assert result["matches"][0]["visible"] is False


def test_end_to_end_evidence():
    msg = message("This is an advertisement from Acme.", subject="ADV: Acme deals")
    assert msg.get("ad_label.found") is True
    assert_evidence(msg, msg.get("ad_label.matches"))


# ----------------------------------------------------------- what is a disclosure (D4)


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("This message is a commercial advertisement.", "statement"),
        ("The following is a paid advertisement.", "statement"),
        ("This profile of Acme was a paid advertisement by Acme Corp.", "statement"),
        ("This message is being sent to you as a commercial solicitation.", "statement"),
        ("THIS E-MAIL AD IS BEING SENT IN FULL COMPLIANCE WITH THE LAW", "self_reference"),
        ("You are receiving this advertisement because you joined our list.", "self_reference"),
        ("This advertisement is done by an independent marketing company.", "self_reference"),
        ("Great prices inside\n\nADVERTISEMENT\n\nOrder now", "heading"),
    ],
)
def test_disclosure_forms(text, form):
    result = detect_ad_label("Deals", body(text))
    assert result["found"] and result["conspicuous"]
    assert result["matches"][0]["form"] == form


@pytest.mark.parametrize(
    "text",
    [
        # a removal line speaks of other mail, not of this message
        "To remove your email address from further promotional mailings from this company,"
        " click here.",
        "If you no longer wish to receive this advertisement, reply with REMOVE.",
        # chain-letter instructions use the message as an object
        "After you have ordered all 5 reports, take this advertisement and REMOVE the name\n"
        "and address of the person in REPORT # 5.",
        "Mail this advertisement to 5,000 people.",
        # "advertisement" in passing
        "Information within this advertisement contains forward looking statements.",
        "36% of Consumers Read Most of the Promotional\nEmail they Receive.",
        "Order your free TV before this promotion expires.",
        # a wrapped line is not a heading
        "Please forward this to the person in charge of partnerships and\nadvertising.\n",
        "or send an e-mail to:\n\nadvertising@\nexample.com",
    ],
)
def test_mentions_that_are_not_disclosures(text):
    assert detect_ad_label("Your registration", body(text))["matches"] == []


def test_heading_after_removal_instructions_still_counts_as_self_reference():
    text = ("Removal Instructions:\nYou have received this advertisement because you opted in."
            " If you do not wish to receive further emails, click remove.")
    result = detect_ad_label("Hi", body(text))
    assert [m["quote"] for m in result["matches"]] == ["received this advertisement"]


def test_label_after_a_long_run_of_blank_lines_is_not_conspicuous():
    text = "Free DVDs! Join now.\n" + "\n" * 20 + "Removal Instructions:\n\n" \
           "You have received this advertisement because you opted in."
    result = detect_ad_label("Free DVDs", body(text))
    assert result["found"] and not result["conspicuous"]
    label = result["matches"][0]
    assert label["conspicuous"] is False and "20 blank lines" in label["weakness"]


def test_a_few_blank_lines_do_not_bury_a_label():
    text = "Free DVDs! Join now.\n\n\n\nThis is an advertisement."
    assert detect_ad_label("Free DVDs", body(text))["conspicuous"]


def test_a_conspicuous_label_anywhere_is_enough():
    text = "This is an advertisement.\n" + "\n" * 20 + "You received this advertisement because."
    result = detect_ad_label("Deals", body(text))
    assert result["conspicuous"] and [m["conspicuous"] for m in result["matches"]] == [True, False]


@pytest.mark.parametrize("subject", ["Re: ADV: low rates", "Great deal [ADV]"])
def test_subject_labels_after_a_reply_prefix_or_in_brackets(subject):
    result = detect_ad_label(subject, [])
    assert result["conspicuous"] and "ADV" in result["matches"][0]["quote"].upper()


def test_rule_says_needs_review_for_a_buried_label():
    from checker.engine import audit
    from checker.ruleset import load_ruleset

    text = ("Free DVDs! Only $9.95 each, save 40%. Order now at http://dvd.example/join\n"
            + "\n" * 20 + "You have received this advertisement because you opted in.\n"
            "DVD Club, 9 Elm Street, Omaha, NE 68102\n")
    ruleset = load_ruleset().select(rule_ids=["CANSPAM-AD-IDENTIFICATION"])
    (finding,) = audit(ruleset, message(text, subject="Free DVDs")).findings
    assert finding.status.value == "needs_review"
    assert "received this advertisement" in finding.finding
    assert "20 blank lines" in finding.finding
