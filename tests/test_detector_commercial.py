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


def test_large_sums_are_not_prices_so_a_scam_letter_is_never_clearly_commercial():
    body = ("My late master deposited the sum of $14,500,000 in a security company. You will keep "
            "$3,625,000 for your help. For more information reply with your telephone number.")
    result = classify("Strictly Private", body)
    assert "price" not in categories(result)
    assert result["status"] != "commercial"


def test_an_amount_and_a_call_to_action_without_a_product_are_not_clear():
    body = "Send $25 today. Order now. Reply for details. Only $25, call now."
    assert classify("hello", body)["status"] != "commercial"


def test_a_reply_in_a_thread_is_at_most_uncertain():
    body = ("Save 50% today only! Only $19.95. Order now at our store, free shipping on every "
            "order. Buy now while stocks last!")
    assert classify("Sale", body, [SHOP])["status"] == "commercial"
    assert classify("Sale", body, [SHOP], is_reply=True)["status"] == "commercial_uncertain"


def test_scattered_selling_words_in_a_long_newsletter_are_not_clear():
    offer = "Save 50% today only! Only $19.95. Order now at our store, free shipping. "
    body = offer + ("The kernel list discussed scheduling and memory at length this week. " * 120)
    assert len(body) > 4000
    assert classify("Weekly news", body, [SHOP])["status"] == "commercial_uncertain"


def test_a_short_link_advertisement_is_uncertain():
    link = {"url": "http://pranks.example/", "host": "pranks.example", "text": "http://pranks.example/",
            "visible": True, "mailto": False, "hidden_reason": None}
    result = classify("Play a prank", "Wind up your mates today! Please visit http://pranks.example/", [link])
    assert result["status"] == "commercial_uncertain"
    assert "link_ad" in categories(result)


def test_a_receipt_with_a_light_promotion_is_transactional():
    body = ("Thank you for your order. Your payment of $89.00 was received. Order number: A1002.\n"
            "We will email you the tracking number.\n\nP.S. Members save 10% on stoves this month.")
    assert classify("Receipt for order A1002", body)["status"] == "transactional"


def test_spanish_price_and_call_to_action():
    result = classify("Ofertas", "Zapatillas desde 29,95 €. ¡Compre ahora!")
    assert {"price", "cta"} <= categories(result)


def test_advance_fee_letter_without_the_words_business_proposal_is_uncertain():
    body = ("Dear Friend, I am the widow of the late President of our country. I am seeking your "
            "assistance in a very confidential matter: my late husband deposited the sum with a "
            "security company abroad and we need your bank account to receive it.")
    result = classify("A CRY FOR HELP", body)
    assert result["status"] == "commercial_uncertain"  # never established: a fraud pattern first
    proposal = [r for r in result["reasons"] if r["category"] == "proposal"]
    assert proposal and all("for counsel" in r["reason"] for r in proposal)


def test_proposal_with_a_large_sum_is_uncertain_not_commercial():
    body = ("We have an immediate business proposal that involves US$34,700,000 which we will "
            "like to invest under your custody. Reply now.")
    assert classify("asap", body)["status"] == "commercial_uncertain"


def test_news_about_millions_is_not_a_proposal():
    body = ("The company said revenue rose to $2.3 million while 18 million users signed up. "
            "Analysts expect another 50 million next year, the late president of the firm said.")
    assert classify("Quarterly results", body)["status"] == "non_commercial"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        # "Start a business and get rich ... sign up for free ... this advertisement ..."
        ("想要致富", "這是專業廣告公司代發。創業致富,只要2萬元! 可免費報名網路特訓 http://example.tw"),
        # "Lighting factory ... our products ... welcome to browse our website"
        ("照明器材", "公司简介：产品种类有吊灯。特价优惠，欢迎您浏览我们的网站（http://example.cn）"),
        # "Free membership sign-up, 30% discount, click"
        ("(광고) 회원가입", "무료 회원가입 이벤트! 30% 할인, 지금 클릭하세요."),
        # "Free shipping, buy now at 1,980 yen"
        ("セール", "送料無料！今すぐ購入 1,980円"),
    ],
)
def test_chinese_japanese_korean_advertisements(subject, body):
    assert classify(subject, body)["status"] in ("commercial", "commercial_uncertain")


def test_cjk_amount_inside_a_sentence_is_a_price():
    result = classify("报名", "学费15000元，报名费100元。")
    assert "price" in categories(result)


def test_french_opt_out_and_click_here_are_bulk_advertising():
    body = ("Si vous ne souhaitez plus recevoir ce courrier, cliquez ici. Un mois de maintenance "
            "informatique offert pour votre entreprise.")
    assert {"bulk", "cta"} <= categories(classify("Maintenance", body))


# ---------------------------------------------------------------- reviewed corpus misses

LINK = {"url": "http://www.example.com/page", "host": "www.example.com", "text": "Click", "visible": True,
        "mailto": False, "hidden_reason": None}


@pytest.mark.parametrize(
    ("body", "quote"),
    [
        ("Talk to locals tonight. Only 99 cents / min, 24 hours a day.", "99 cents / min"),
        ("Wer hat sich in dich verliebt? Ruf an: 0190 87 43 54 (1,86 Eu/Min)", "1,86 Eu/Min"),
        ("Adobe Photoshop 79.99! Office 2000 69.99!", "79.99"),
    ],
)
def test_per_minute_charges_and_shop_prices_without_a_sign_are_prices(body, quote):
    prices = [r["quote"] for r in classify("hi", body)["reasons"] if r["category"] == "price"]
    assert quote in prices


def test_percentages_and_idioms_are_not_prices_or_discounts():
    body = ("Keep the system 99.99 percent clean. What's the big deal? They signed an exclusive "
            "deal with the studio.")
    assert {"price", "discount"}.isdisjoint(categories(classify("uptime", body)))


def test_order_form_instructions_do_not_make_an_advert_transactional():
    body = ("Snore Stopper: only $29.95! Order now, free shipping.\n"
            "SAME DAY SERVICE if your order is received before 3pm. We will send you a "
            "confirmation that your order has been shipped. Purchase order number required "
            "for schools.\n")
    result = classify("Stop snoring tonight", body, [SHOP])
    assert result["status"] == "commercial"
    assert not [r for r in result["reasons"] if r["category"] == "transactional"]


def test_a_fake_reply_subject_does_not_hide_a_link_advertisement():
    body = "Our methods are guaranteed to increase your size. Come in here and see how"
    assert classify("Re: your love life", body, [LINK])["status"] == "commercial_uncertain"
    quoted = body + "\n\nJohn wrote:\n> are you coming on Friday?"
    assert classify("Re: your love life", quoted, [LINK])["status"] == "non_commercial"


@pytest.mark.parametrize(
    "body",
    [
        "Fortunes are being made on eBay! Earn a staggering income from the comfort of your own home.",
        "We provide working capital to $150,000 on an unsecured basis to businesses. Call us.",
        "You have been specially selected for our Premium Vacation Package and PC Giveaway. "
        "Register to win!",
        "From the privacy of your home: all your perscription needs, diet aids. "
        "Doctor office visits not required.",
        "Promote your products and services on 10,000 classified sites. "
        "Simply the best way to promote your business!",
    ],
)
def test_everyday_pitches_with_a_link_are_at_least_uncertain(body):
    assert classify("information", body, [LINK])["status"] in {"commercial", "commercial_uncertain"}


def test_russian_advertisement():
    body = "Скидка 30% на все товары! Закажите сейчас, доставка бесплатно. Цена от 500 рублей."
    assert classify("Распродажа", body, [SHOP])["status"] in {"commercial", "commercial_uncertain"}


def test_a_reply_in_a_conversation_with_a_few_selling_words_is_not_commercial():
    body = ("I tried the new capacitors: at $2 per unit it is worth it if you take advantage of "
            "the bulk discount.")
    assert classify("capacitors", body)["status"] == "commercial_uncertain"
    assert classify("Re: capacitors", body, is_reply=True)["status"] == "non_commercial"


def test_a_long_article_with_a_few_prices_is_not_commercial():
    article = ("The committee met again on Tuesday to discuss the budget and the new rail line. " * 80
               + "Tickets will cost $15, and a season pass is $1,000; take advantage of it, says the mayor.")
    assert len(article) > 4000
    assert classify("Council news", article)["status"] == "non_commercial"


def test_a_newsletter_sponsor_block_is_not_its_purpose():
    body = ("Media digest for Monday.\n\nThe papers lead on the election and the storm.\n\n"
            "Sponsor\n\nSPECIAL OFFER! Save 24% on a subscription. Order now, only $29.95.\n\n"
            "Back to the news: the storm moved east overnight.\n")
    assert classify("Daily digest", body)["status"] == "non_commercial"


def test_a_short_ad_pitching_a_product_several_ways_is_established():
    body = ("As seen on TV! Reverse aging and lose weight without dieting. Risk-free, 100% guaranteed "
            "results. Order now and get a free bottle. This offer ends soon.")
    assert classify("Look 20 years younger", body, [LINK])["status"] == "commercial"


def test_the_same_pitches_scattered_in_a_long_article_are_not_established():
    article = ("Venture investors met in Palo Alto; the mood was grim. " * 40
               + "One investor said you can still make money, but take advantage of the dip: "
               "risk-free deals are gone and only a guaranteed return sells. " + "Prices fell again. " * 100)
    assert len(article) > 4000
    assert classify("VC gloom", article, [LINK])["status"] != "commercial"


def test_the_amounts_of_a_receipt_are_not_offers():
    """§ 316.3(a)(2): a shipping notice with a light promotion under it is transactional;
    its item and total lines are the transaction's amounts, not prices on offer."""
    body = ("Hi Sam,\n\nGood news: your order #100234 has shipped. Tracking number: 1Z999AA10123456784.\n\n"
            "Items: 1 x Dome Tent (4-person)  $139.99\nOrder total: $151.19\n\n"
            "You might also like our camp chairs, 20% off this week: https://www.example.com/shop/chairs\n")
    shop = {"url": "https://www.example.com/shop/chairs", "host": "www.example.com",
            "text": "https://www.example.com/shop/chairs", "visible": True, "mailto": False,
            "hidden_reason": None}
    result = classify("Your order #100234 has shipped", body, [shop])
    assert result["status"] == "transactional"
    assert not [r for r in result["reasons"] if r["category"] == "price"]


@pytest.mark.parametrize(
    "body",
    [
        "Friend, our deadline is midnight. Will you chip in $25 right now to help Jane win? "
        "Donate $25 now. Paid for by Friends of Jane Doe.",
        "This winter, $50 provides a week of meals. Please give today: https://shelter.example/give "
        "Hope Shelter is a 501(c)(3) nonprofit organization.",
    ],
)
def test_political_and_charitable_appeals_are_not_commercial(body):
    result = classify("The deadline is midnight", body, [LINK])
    assert result["status"] == "non_commercial"
    assert "donation" in categories(result)


def test_pension_contributions_do_not_make_an_advert_a_charity_appeal():
    body = ("$40,000 $30,000 $11,000 Defined Benefit Profit Sharing SEP 401(K). Contributions Are 100% "
            "Tax Deductible. For a personalized proposal, call 1-800-235-7949. Fill out the form today.")
    assert classify("Pension plans", body, [LINK])["status"] != "non_commercial"


def test_the_picture_advertisement_reason_states_what_was_counted():
    """Not "almost no text, remote images inside links" of a message with 277 characters
    of text whose picture is not inside a link: the counts, as facts."""
    from pathlib import Path

    from checker.message import Message

    raw = (Path(__file__).parents[1] / "samples" / "modern" / "img-remote-footer-picture.eml").read_bytes()
    reasons = [r for r in Message(raw).get("commercial.reasons") if r.get("category") == "image_ad"]
    assert reasons, "the sample is a picture advertisement"
    text = reasons[0]["reason"]
    assert "almost no text" not in text and "inside links" not in text
    assert "picture(s) loaded from the web" in text and "characters of text" in text
