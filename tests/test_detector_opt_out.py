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


# ------------------------------------------------------------------- burdens (16 C.F.R. § 316.5)


def burden_kinds(text: str, links: list[dict] | None = None) -> list[str]:
    return [b["kind"] for b in detect_opt_out([visible(text)], links or [])["burdens"]]


HERE = [link("http://x.example/remove", "here")]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("To be removed, send $5 to Box 12, Dallas, TX 75201.", "fee"),
        ("To unsubscribe, log in to your account and untick the newsletter box.", "login"),
        ("To opt out, reply with your name, address and phone number.", "personal_information"),
        ("Unsubscribing requires your password.", "login"),
        ("If you wish to unsubscribe from this list, please click here and enter your name "
         "into the remove box.", "personal_information"),
        # hard-wrapped mid-sentence, as 2002 mail is
        ("To be removed from our mailing list, send your full name and\npostal address to "
         "remove@x.example.", "personal_information"),
        # the next sentence of the same paragraph finishes the instruction
        ("To be removed from our list, reply to this message. Include your full name and "
         "postal address.", "personal_information"),
        ("Reply with REMOVE in the subject and include your phone number.",
         "personal_information"),
        # the offer's own request sits in another paragraph; the opt-out's burden still counts
        ("Call now for a free quote!\n\nTo be removed, send a $5 processing fee to "
         "remove@x.example.", "fee"),
    ],
)
def test_a_condition_stated_in_the_opt_out_instruction_is_a_burden(text, kind):
    assert kind in burden_kinds(text, HERE)


@pytest.mark.parametrize(
    "text",
    [
        # the offer's call to action above the removal line (2002 spam layouts)
        "For a FREE consultation, simply reply\nwith your name and telephone number.\n\n"
        "To be removed from this list, reply with REMOVE in the subject.",
        "Click here and send your name and mailing address for a free copy\n\n\n"
        "To unsubscribe click here",
        "Free quotes!\nPlease include your phone number,\nand we will be happy to call you!\n\n"
        "If you received this letter by mistake please click Unsubscribe",
        "To take a 60 minute trial of this product, send your phone number to:\n\n"
        "trial@x.example\n\nTo remove yourself from this mailing list, click on:\n\n"
        "http://x.example/out",
        "E-mail us at sales@x.example with your Name and telephone number and we will have "
        "one of our team members contact you.\n\nIf you would like to be removed please send "
        "'remove' to sales@x.example",
        "Obtain complete details Include your phone number- we'll\ncall you back.\n\n"
        "To be removed: click here",
        # the product's price is not a removal fee
        "Removal instructions below\n\nWe submit your website to 350 search engines for a "
        "one time charge of only\n$39.95.\n\nTo be removed reply REMOVE.",
        # an offer and the opt-out in one sentence: the request belongs to the offer
        "Reply with your phone number for a free quote, or reply REMOVE to be removed from "
        "our list.",
        # an optional second way next to a one-page opt-out
        "To unsubscribe, visit http://x.example/unsub. You may also log in to your account "
        "and edit your preferences.",
    ],
)
def test_the_offers_own_request_is_not_an_opt_out_burden(text):
    assert burden_kinds(text, HERE) == []


def test_removing_someone_else_from_a_chain_letter_is_not_opt_out_wording():
    text = ("1. After you have ordered all 5 reports, take this advertisement and REMOVE the "
            "name and address of the person in REPORT # 5. This person has made it through "
            "the cycle.\n2. Move the name and address in REPORT #4 down to REPORT #5.\n\n"
            "To be removed from our list reply with REMOVE in the subject.")
    result = detect_opt_out([visible(text)], [])
    assert result["status"] == "visible"  # the real notice is still found
    assert result["burdens"] == []


def test_asking_to_remove_your_name_and_address_is_not_a_burden():
    text = "To remove your name and address from our list, reply with REMOVE in the subject."
    assert burden_kinds(text) == []


def test_a_burden_in_a_later_notice_is_found_when_an_earlier_notice_has_none():
    text = ("UNSUBSCRIBE\nWhen you registered, you asked for our updates. If you do not want "
            "to receive future e-mails, please visit our update section, log in with your "
            "username and password, and uncheck the box.")
    assert "login" in burden_kinds(text, [link("http://x.example/u", "UNSUBSCRIBE")])


def test_burden_detail_names_the_opt_out_wording_and_the_demand():
    burden = detect_opt_out(
        [visible("To be removed, send $5 to Box 12, Dallas, TX 75201.")], [])["burdens"][0]
    assert '"removed"' in burden["detail"] and '"send $5"' in burden["detail"]
    assert "'" not in burden["detail"]  # quoted as people quote, not Python's repr
    assert burden["quote"] == "send $5"


# ------------------------------------------------- reviewed corpus misses (false "none")

@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("不想再收到此信請按 -> (拒收廣告)", [link("http://ad.example.tw/no.asp", "拒收廣告")]),
        ("To be eliminated from future marketing: http://www.example.com/takemeoff.html", []),
        ("To stop future messages: [Click Here to Stop Further Messages]",
         [link("mailto:stop0607@example.com?subject=STOP_0607", "Click Here to Stop Further Messages")]),
        ('For no further notice and to be disolved from all of our databases, simply "r e p l y" '
         'to this message with the word "Discontinue" in the subject line.', []),
        ("listemizden çıkmak için ÇIKAR tuşuna basınız http://www.example.com.tr/iptal1.asp", []),
        ("To come off just Open here", [link("http://www.example.com/off.html", "Open here")]),
        ("Refinance today at 5.9%!\n\nremove http://www.example.com/mortgage/remove.html", []),
        ("Lower your payments! CLICK HERE!\n\ncomplete name removing system at website.",
         [link("http://www.example.com/mortgage/index34.html", "CLICK HERE!")]),
        ("Click here to be taken out of this database.",
         [link("mailto:list@example.cn", "Click here")]),
        ("Further transmissions to you by the sender of this email may be stopped at no cost to you "
         'by sending a reply to this email address "stop@example.ca" with the word "your email '
         'address" in the subject line.', []),
    ],
)
def test_opt_outs_in_less_common_wording_are_found(text, links):
    assert detect_opt_out([visible(text)], links)["status"] == "visible"


def test_loose_signs_of_an_opt_out_make_the_status_unclear_not_none():
    text = "Great offer on toner! Order today.\n\nIf you prefer no more emails from us, write to the sales team."
    result = detect_opt_out([visible(text)], [])
    assert result["status"] == "unclear"
    assert result["possible"][0]["quote"] == "no more emails"
    by_link = detect_opt_out([visible("Great offer on toner!")], [link("http://www.example.com/leave.asp?id=9", "")])
    assert by_link["status"] == "unclear"
    assert by_link["possible"][0]["reason"] == "a link whose address names a removal"


def test_an_html_form_may_be_the_opt_out():
    html = '<p>Great toner prices</p><form action="http://www.example.com/x.asp"><input type=submit></form>'
    result = detect_opt_out([visible("Great toner prices")], [], html=html)
    assert result["status"] == "unclear"
    assert result["possible"][0]["quote"].startswith("<form")


def test_nothing_like_an_opt_out_stays_none():
    text = "Great offer on toner! Order today at http://www.example.com/shop. Stop overpaying!"
    result = detect_opt_out([visible(text)], [link("http://www.example.com/shop", "shop")])
    assert result["status"] == "none" and result["possible"] == []


def test_the_removal_link_is_cited_not_a_closer_sales_link_with_the_same_anchor():
    text = "Enlarge today! Click Here\n\nTo be removed from our list Click Here"
    links = [link("http://shop.example/pills", "Click Here"),
             link("http://shop.example/removal/boca/", "Click Here")]
    notice = detect_opt_out([visible(text)], links)["notices"][0]
    assert notice["url"] == "http://shop.example/removal/boca/"


@pytest.mark.parametrize("anchor", ["Descadastrar", "Cancelar inscrição", "Annulla iscrizione", "Afmelden",
                                    "Uitschrijven", "Wypisz się", "Avregistrera", "Отписаться",
                                    "구독 취소", "登録解除", "Abonnement kündigen", "Desuscribirse"])
def test_unsubscribe_links_in_other_languages_are_opt_outs(anchor):
    result = detect_opt_out([visible(f"Ofertas de la semana. {anchor}")],
                            [link("https://shop.example/p?id=1", anchor)])
    assert result["status"] == "visible"


@pytest.mark.parametrize("anchor", ["Email preferences", "Subscription settings", "Leave this list",
                                    "Stop emails", "Unsub", "Email settings"])
def test_settings_links_and_short_forms_are_opt_outs(anchor):
    result = detect_opt_out([visible(f"Great deals this week. {anchor}")],
                            [link("https://shop.example/p?id=1", anchor)])
    assert result["status"] == "visible"


def test_not_interested_with_a_link_is_for_a_person():
    result = detect_opt_out([visible("Great deals this week. Not interested? Click here")],
                            [link("https://shop.example/p?id=1", "Click here")])
    assert result["status"] == "unclear"
