"""Commercial primary purpose (15 U.S.C. § 7702(2), (17); 16 C.F.R. § 316.3)."""

from __future__ import annotations

import pytest

from checker.detectors.commercial import boilerplate_ranges, classify
from tests.detector_support import assert_evidence, message

SHOP = {"url": "http://shop.example/cart/add?sku=1", "host": "shop.example", "text": "Buy",
        "visible": True, "mailto": False, "hidden_reason": None}


def categories(result) -> set[str]:
    return {r["category"] for r in result["reasons"]}


def test_price_and_call_to_action_establish_commercial():
    body = ("Save up to 70% on Life Insurance! Policies from only $9.95 per month.\n"
            "Request a FREE quote today. Call now: 1-800-555-1212.\n")
    result = classify("Life Insurance - Why Pay More?", body)
    assert result["status"] == "commercial"
    assert {"price", "cta", "discount"} <= categories(result)
    assert result["score"] >= 7


def test_shop_link_with_discount_establishes_commercial():
    body = "Summer clearance: 40% off every pair of shoes. Free shipping. Order now!"
    result = classify("Summer sale", body, [SHOP])
    assert result["status"] == "commercial"
    shop = [r for r in result["reasons"] if r["category"] == "shop_link"]
    assert shop and shop[0]["field"] == "links[0].url"


def test_self_labelled_advertisement_in_the_subject_is_clear():
    result = classify("ADV: Low Cost Life Insurance", "Compare rates. Only $15 a month, call now.")
    assert result["status"] == "commercial"
    assert "ad_label" in categories(result)


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("lunch?", "Hey Bob, want to grab lunch tomorrow? The new place costs like $10."),
        ("Re: photos", "Here are the pictures from Saturday. Say hi to Anna for me!\n-- \nMaria"),
        ("Re: [SAtalk] bug 123", "I think the patch should go in. $1 and $2 are the arguments."),
        ("Grüße aus Köln", "Liebe Oma, vielen Dank für das Paket! Wir vermissen dich. Eure Lena"),
        ("家族の写真", "お母さんへ、写真を送ります。元気ですか。"),
    ],
)
def test_personal_mail_is_non_commercial(subject, body):
    assert classify(subject, body)["status"] == "non_commercial"


def test_order_confirmation_is_transactional():
    body = ("Thank you for your order. Your order #A-1001 has shipped.\n"
            "Tracking number: 1Z999AA10123456784. Order total: $45.00.\n")
    result = classify("Your order has shipped", body)
    assert result["status"] == "transactional"
    assert result["transactional_at_beginning"] is True


def test_receipt_with_a_promotion_is_mixed_and_uncertain():
    body = ("Thank you for your order. Your order #A-1001 has shipped. Tracking number 1Z999.\n"
            + "x\n" * 50
            + "SPECIAL OFFER: 50% off your next purchase! Only $19.99. Order now at our store.\n")
    result = classify("Your order has shipped", body, [SHOP])
    assert result["status"] == "commercial_uncertain"
    assert "transactional" in categories(result)


def test_promotion_before_a_late_transactional_claim_is_not_transactional_first():
    body = ("HUGE SALE! 60% off everything, only $5. Buy now!\n" + "More deals here.\n" * 80
            + "Your order #123 has shipped.")
    result = classify("Big sale", body)
    assert result["transactional_at_beginning"] is False


def test_weak_commercial_wording_is_uncertain_not_established():
    body = "Our company offers great prices on toner cartridges. Please visit http://toner.example"
    result = classify("Toner", body)
    assert result["status"] == "commercial_uncertain"


def test_advance_fee_proposal_is_uncertain():
    body = ("DEAR SIR, I am a bank manager. We need a foreign partner for the transfer of the "
            "sum of US$25,600,000 (TWENTY FIVE MILLION UNITED STATES DOLLARS). You keep 20% for "
            "you. This business proposal is in strictest confidence.")
    assert classify("URGENT BUSINESS PROPOSAL", body)["status"] == "commercial_uncertain"


def test_picture_advertisement_with_no_text_is_uncertain():
    images = [{"src": "http://img.example/ad.gif", "kind": "remote", "host": "img.example",
               "alt": "", "visible": True}]
    links = [{**SHOP, "text": ""}]
    result = classify("Important", "", links, images)
    assert result["status"] == "commercial_uncertain"
    assert "image_ad" in categories(result)


def test_korean_advertisement():
    body = "(광고) 최저 가격 할인 행사! 지금 신청하세요. 무료 상담 1588-0000"
    result = classify("(광고) 대출 상품 안내", body)
    assert result["status"] in ("commercial", "commercial_uncertain")


def test_quoted_advert_in_a_reply_is_not_the_reply_s_purpose():
    body = ("I got this junk again, can we block it?\n\n"
            "> SAVE 70%! Only $9.95! Order now! Call toll-free 1-800-555-1212!\n"
            "> Free shipping, limited time only. Click here to order.\n")
    assert classify("Re: spam again", body)["status"] == "non_commercial"


def test_mailing_list_sponsor_block_does_not_make_the_post_commercial():
    body = (
        "If it's limestone, it'll weather pretty fast.\n\n"
        "------------------------ Yahoo! Groups Sponsor ---------------------~-->\n"
        "4 DVDs Free +s&p Join Now\nhttp://us.click.yahoo.com/pt6YBB/NXiEAA\n"
        "---------------------------------------------------------------------~->\n\n"
        "To unsubscribe from this group, send an email to:\nforteana-unsubscribe@egroups.com\n"
    )
    assert boilerplate_ranges(body)
    assert classify("Re: stone walls", body)["status"] == "non_commercial"


def test_reasons_are_evidence_in_the_message():
    msg = message("Save 50% today only! Only $19.95. Order now: http://shop.example/order",
                  subject="Sale: 50% off")
    assert msg.get("commercial.status") == "commercial"
    reasons = msg.get("commercial.reasons")
    assert reasons and all({"reason", "category", "weight"} <= r.keys() for r in reasons)
    assert_evidence(msg, reasons)
    assert msg.get("commercial.score") >= 7


def test_personal_message_end_to_end():
    msg = message("Hi Anna,\n\nthanks for dinner yesterday. See you on Sunday!\n\nTom",
                  subject="thanks")
    assert msg.get("commercial.status") == "non_commercial"
    assert msg.get("commercial.reasons") == []
