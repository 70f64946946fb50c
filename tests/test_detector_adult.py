"""Sexually oriented material: the SEXUALLY-EXPLICIT label and adult vocabulary
(15 U.S.C. § 7704(d); 16 C.F.R. § 316.4)."""

from __future__ import annotations

import pytest

from checker.detectors._text import TextSource
from checker.detectors.adult import LABEL, detect_adult, label_status
from tests.detector_support import assert_evidence, message


def test_label_is_nineteen_characters():
    assert len(LABEL) == 19 and LABEL.endswith(": ")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("SEXUALLY-EXPLICIT: Hot pics", "exact"),
        ("Sexually-Explicit: Hot pics", "malformed"),
        ("SEXUALLY EXPLICIT: Hot pics", "malformed"),
        ("SEXUALLY-EXPLICIT:Hot pics", "malformed"),
        (" SEXUALLY-EXPLICIT: Hot pics", "malformed"),
        ("Hot pics SEXUALLY-EXPLICIT: ", "malformed"),
        ("ADLT: hot pics", "malformed"),
        ("Adult: Free Access", "malformed"),
        ("Hot pics", "missing"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_label_status(subject, expected):
    status, detail = label_status(subject)
    assert status == expected and detail


def test_encoded_label_is_noted():
    status, detail = label_status(LABEL + "x", "=?us-ascii?Q?SEXUALLY-EXPLICIT:_x?=")
    assert status == "exact" and "RFC 2047" in detail


def test_explicit_subject_and_body_words():
    result = detect_adult("Hot oral sex videos inside",
                          [TextSource("body.visible_text", "Horny sluts and hardcore videos")])
    assert result["subject_explicit"] and result["likely"] and result["label"] == "missing"
    words = {i["word"] for i in result["indicators"]}
    assert {"oral sex", "horny", "sluts", "hardcore"} <= words


def test_label_itself_is_not_an_explicit_subject_word():
    result = detect_adult(LABEL + "Pictures from our trip", [])
    assert not result["subject_explicit"] and result["label"] == "exact"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Sussex cricket", "Middlesex beat Essex; analysis of the match at Sussex."),
        ("Re: dating app discussion", "The adult education centre opens on Monday."),
        ("Cum laude", "She graduated summa cum laude."),
    ],
)
def test_ordinary_mail_is_not_likely_adult(subject, body):
    result = detect_adult(subject, [TextSource("body.visible_text", body)])
    assert not result["likely"] and not result["subject_explicit"]


def test_end_to_end_evidence():
    msg = message("Live sex cams, xxx videos, horny amateurs!", subject="Hot live sex for you")
    assert msg.get("adult.likely") is True
    assert msg.get("adult.subject_explicit") is True
    assert msg.get("adult.label") == "missing"
    assert_evidence(msg, msg.get("adult.indicators"))


def test_explicit_subject_uses_the_narrow_list():
    from checker.detectors.adult import detect_adult

    assert detect_adult("Live sex shows tonight", [])["subject_explicit"] is True
    assert detect_adult("Better sex with our vitamins", [])["subject_explicit"] is False


def test_a_filter_product_speaks_against_adult_material():
    from checker.detectors._text import TextSource
    from checker.detectors.adult import detect_adult

    body = TextSource("body.visible_text", "Parental controls: block porn and XXX sites for your kids.")
    result = detect_adult("Block hardcore sex sites from your kids' computer", [body])
    assert result["subject_explicit"] is True and result["protective_context"] is True


# ------------------------------------------------ counting, promotion, protection (D5)


def visible(text: str) -> list[TextSource]:
    return [TextSource("body.visible_text", text)]


def test_a_weak_word_inside_a_strong_phrase_counts_once():
    result = detect_adult("Banner ads", visible(
        "$99.00 on casino sites, lingerie stores, gift stores, Adult Sites & toy stores."))
    words = [(i["word"], i["strength"]) for i in result["indicators"]]
    assert ("adult sites", "strong") in words and ("adult", "weak") not in words
    assert not result["likely"]  # adult sites (2) + lingerie (1) is below the threshold


def test_adult_words_next_to_a_call_to_action_are_promoted():
    result = detect_adult("Tonight only", visible(
        "Hardcore porn and live sex shows. Join now for only $4.95!"))
    assert result["likely"] and result["promoted"]
    assert all(i["promoted"] for i in result["indicators"])


def test_news_and_listings_mention_adult_words_without_promoting_them():
    listing = ("Friday: a war drama with brief nudity. Saturday: a teen comedy noted for strong "
               "sex references; the reviewer found the oral sex scene pointless.")
    result = detect_adult("This week on TV", visible(listing + "\n" + "Other news. " * 40
                                                     + "Subscribe for $19.95 a year."))
    assert result["likely"] and not result["promoted"]


def test_an_adult_word_in_the_subject_is_promoted():
    result = detect_adult("Free porn tonight", visible("Hello"))
    assert result["promoted"]


def test_a_link_naming_adult_material_is_promotion():
    links = [{"url": "http://www.example.com/xxx/join.html", "text": "here", "visible": True,
              "mailto": False}]
    body_text = visible("Sexy babes, busty amateurs, horny teens and nude models.")
    assert not detect_adult("Hi", body_text)["promoted"]
    assert detect_adult("Hi", body_text, links=links)["promoted"]


def test_hidden_text_promotes_nothing():
    sources = [TextSource("body.visible_text", "Hello"),
               TextSource("body.hidden_text[0].text", "XXX porn, click here", False, "tiny")]
    result = detect_adult("Hi", sources)
    assert not result["promoted"]


@pytest.mark.parametrize("text", ["We use spam filtering on the list server.",
                                  "Better spam filters for your mail."])
def test_spam_filtering_is_not_a_protective_context(text):
    assert detect_adult("Hi", visible(text))["protective_context"] is False


def test_a_porn_filter_still_is_a_protective_context():
    assert detect_adult("Hi", visible("Install our porn filter today."))["protective_context"]


def test_promoted_field_end_to_end():
    msg = message("Live sex cams and xxx videos. Click here to join now!", subject="Hi")
    assert msg.get("adult.promoted") is True
    assert_evidence(msg, msg.get("adult.indicators"))


def test_a_subject_about_breasts_is_for_review_not_an_explicit_subject():
    from checker.message import Message
    raw = (b"From: a@example.com\nTo: b@example.org\nSubject: Huge natural tits\n"
           b"Content-Type: text/html\n\n<a href='http://x.example/'><img src='http://x.example/1.jpg'></a>")
    msg = Message(raw)
    assert msg.get("adult.subject_explicit") is False
    assert any(i["field"] == "subject" and i["strength"] == "strong" for i in msg.get("adult.indicators"))
    raw2 = raw.replace(b"Huge natural tits", b"Mothers you want to fuck")
    assert Message(raw2).get("adult.subject_explicit") is True


@pytest.mark.parametrize(
    "subject",
    ["Sexually-Explicit: Pictures from our trip", "Re: SEXUALLY-EXPLICIT: Pictures from our trip",
     "SEXUALLY EXPLICIT: Pictures from our trip"],
)
def test_a_malformed_mark_is_not_sexual_content(subject):
    result = detect_adult(subject, [])
    assert result["label"] == "malformed"
    assert result["indicators"] == [] and not result["subject_explicit"] and not result["likely"]


def test_the_mark_repeated_in_the_body_is_not_sexual_content():
    # 16 C.F.R. § 316.4(a)(2): what the recipient first sees repeats the mark
    body = [TextSource("body.visible_text", "SEXUALLY-EXPLICIT: To view this message, click here.")]
    result = detect_adult(LABEL + "Members update", body)
    assert result["indicators"] == [] and not result["promoted"]


@pytest.mark.parametrize(
    "text",
    ["Visit hardcore-fitness.com for gym plans, click here.",
     "Write to nude.beach@resorts.example to book, click here.",
     "See http://www.sexy-shoes.example/sale now.",
     "Our partner www.xxx-autoparts.net ships today, click here."],
)
def test_a_domain_name_is_not_sexual_content(text):
    result = detect_adult("Your order", [TextSource("body.visible_text", text)])
    assert result["indicators"] == [] and not result["promoted"]


def test_a_link_whose_domain_only_is_adult_is_not_promotion():
    body_text = visible("Your invoice is attached.")
    links = [{"url": "http://hardcore-fitness.example/invoice", "text": "hardcore-fitness.example",
              "visible": True, "mailto": False}]
    assert not detect_adult("Invoice", body_text, links=links)["promoted"]
    real_words = "Hardcore porn, horny sluts: click here to join now."
    still = detect_adult("Hi", visible(real_words))
    assert still["likely"] and still["promoted"]  # the words themselves still count
