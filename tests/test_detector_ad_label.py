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
