"""Opt-out notice and mechanism (15 U.S.C. § 7704(a)(3), (a)(5)(A)(ii))."""

from __future__ import annotations

import pytest

from checker.detectors._text import TextSource
from checker.detectors.opt_out import detect_opt_out
from tests.detector_support import assert_evidence, message


def visible(text: str) -> TextSource:
    return TextSource("body.visible_text", text)


def link(url: str, text: str, visible: bool = True, reason: str | None = None) -> dict:
    return {"url": url, "host": None, "text": text, "visible": visible,
            "mailto": url.startswith("mailto:"), "hidden_reason": reason}


@pytest.mark.parametrize(
    ("text", "mechanism"),
    [
        # 2002-style reply instructions
        ("To be removed from our list reply with REMOVE in the subject.", "reply"),
        ('If you wish to be removed from our mailing list, please reply to\nthis email with '
         'the subject "Remove"', "reply"),
        ("To unsubscribe send a blank message to remove-me@lists.example.net", "mailto"),
        ("If you no longer wish to receive our offers visit http://example.com/out", "link"),
        ("To opt-out: http://www282.example.com/optout.html", "link"),
        ("Pour vous désinscrire, répondez à ce message.", "reply"),
        ("수신거부: reply with 거부", "reply"),
        ("We will take you off our list: unsub@example.org", "mailto"),
        ("Manage your email preferences at www.example.com/prefs", "link"),
    ],
)
def test_visible_wording_with_a_mechanism(text, mechanism):
    result = detect_opt_out([visible(text)], [])
    assert result["status"] == "visible"
    assert result["notices"][0]["mechanism"] == mechanism
    notice = result["notices"][0]
    assert text[notice["start"] : notice["end"]] == notice["quote"]


def test_click_here_tied_to_the_link_the_reader_sees():
    links = [link("http://spam.example/offer", "Order now"),
             link("http://spam.example/r.cgi?id=9", "here")]
    result = detect_opt_out([visible("Great offer! Order now\n\nClick here to be removed")], links)
    assert result["status"] == "visible"
    notice = result["notices"][0]
    assert notice["mechanism"] == "link" and notice["url"] == "http://spam.example/r.cgi?id=9"
    assert notice["tie"] == "anchor"


def test_a_link_whose_anchor_is_the_notice():
    result = detect_opt_out([visible("Best prices.")], [link("http://x.example/u", "Unsubscribe")])
    assert result["status"] == "visible"
    assert result["notices"][0]["field"] == "links[0].text"


def test_a_visible_link_to_an_unsubscribe_url_counts_generously():
    result = detect_opt_out([visible("Deals!")], [link("http://x.example/unsubscribe?u=1", "x")])
    assert result["status"] == "visible"
    assert result["notices"][0]["tie"] == "url_keyword"
    assert result["notices"][0]["field"] == "links[0].url"


def test_wording_without_any_mechanism_is_notice_only():
    result = detect_opt_out([visible("You may unsubscribe at any time.")], [])
    assert result["status"] == "notice_only"
    assert result["notices"][0]["mechanism"] is None


def test_notice_only_in_hidden_text_is_hidden_only():
    sources = [visible("Buy now!"),
               TextSource("body.hidden_text[0].text", "To unsubscribe reply STOP", False,
                          "display:none")]
    result = detect_opt_out(sources, [])
    assert result["status"] == "hidden_only"
    notice = result["notices"][0]
    assert notice["visible"] is False and notice["hidden_reason"] == "display:none"


def test_hidden_unsubscribe_link_is_hidden_only():
    links = [link("http://x.example/unsubscribe", "unsubscribe", False, "font-size:1px")]
    result = detect_opt_out([visible("Buy now!")], links)
    assert result["status"] == "hidden_only"


def test_visible_wording_does_not_borrow_a_hidden_link():
    links = [link("http://x.example/r", "here", visible=False, reason="display:none")]
    result = detect_opt_out([visible("To be removed click here")], links)
    assert result["status"] == "notice_only"


def test_list_unsubscribe_header_alone_is_header_only():
    result = detect_opt_out([visible("Buy now!")], [],
                            [{"url": "mailto:u@x.example", "kind": "mailto"}])
    assert result["status"] == "header_only"
    assert result["notices"][0]["field"] == "list_unsubscribe[0].url"


@pytest.mark.parametrize(
    "text",
    [
        "Remove wrinkles fast! Order now at http://x.example",
        "After you have removed your 20% the rest is ours.",
        "Hi Bob, lunch tomorrow? I like it when we stop by the cafe.",
        "",
    ],
)
def test_no_opt_out(text):
    assert detect_opt_out([visible(text)], [])["status"] == "none"


def test_one_notice_per_mechanism_even_when_repeated():
    text = "To unsubscribe reply UNSUB.\n" * 20
    result = detect_opt_out([visible(text)], [])
    assert len(result["notices"]) == 1


def test_html_message_with_hidden_opt_out_end_to_end():
    html = (
        "<html><body><p>Cheap meds! Order now: <a href='http://shop.example/buy'>shop</a></p>"
        "<p style='display:none'>To unsubscribe reply with REMOVE</p>"
        "<p><a href='http://x.example/unsubscribe' style='font-size:1px'>unsubscribe</a></p>"
        "</body></html>"
    )
    msg = message(html, html=True)
    assert msg.get("opt_out.status") == "hidden_only"
    notices = msg.get("opt_out.notices")
    assert notices and not any(n["visible"] for n in notices)
    assert_evidence(msg, notices)


def test_plain_text_message_end_to_end():
    msg = message("Great rates!\n\nTo be removed from our list reply with REMOVE in the subject.")
    assert msg.get("opt_out.status") == "visible"
    assert_evidence(msg, msg.get("opt_out.notices"))


def test_burdens_near_opt_out_wording_are_reported_with_spans():
    msg = message("Great rates! To be removed, send your full name and postal address and a $5 "
                "processing fee to remove@loans.example.\n")
    burdens = msg.get("opt_out.burdens")
    assert {b["kind"] for b in burdens} == {"fee", "personal_information"}
    assert_evidence(msg, burdens)


def test_asking_to_remove_your_name_is_not_a_burden():
    msg = message("To remove your name from our list, reply with REMOVE in the subject.\n")
    assert msg.get("opt_out.burdens") == []


def test_what_was_searched_is_stated():
    msg = message("Cheap watches, only $20!\n")
    assert msg.get("opt_out.status") == "none"
    assert "visible text" in msg.get("opt_out.searched")
    assert "no List-Unsubscribe header" in msg.get("opt_out.searched")


@pytest.mark.parametrize("text", [
    "To Be ExCerted - mailto:abo9@eudoramail.example",
    "Do not reply to this message - To be off from future mailings: mailto:nomore@mail.example",
])
def test_unusual_opt_out_wording_from_real_spam(text):
    assert message(text + "\n").get("opt_out.status") == "visible"
