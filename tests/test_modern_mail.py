"""Modern (2015-2026) mail: offers in several languages, self-labelled ads, notices of mail
systems, phishing in a brand's name, world footers, mislabelled charsets and boundaries."""

from __future__ import annotations

import pytest

from checker.detectors._text import TextSource
from checker.detectors.ad_label import detect_ad_label
from checker.detectors.commercial import classify
from checker.detectors.header_integrity import HeaderInputs, detect_header_indicators
from checker.detectors.postal_address import detect_postal_addresses
from checker.message import Message
from tests.detector_support import assert_evidence, message


def categories(result) -> set[str]:
    return {r["category"] for r in result["reasons"]}


# ------------------------------------------------------------------ commercial purpose

AUTO_WARRANTY = (
    "Our records indicate that your car's manufacturer coverage has expired.\n\n"
    "Renew your coverage today for $0 down and lock in a low monthly rate.\n\n"
    "Extend now: https://renewals.example/r/1\n"
)


def test_a_service_offer_with_terms_and_a_way_to_act_is_commercial():
    result = classify("Final notice: your vehicle coverage", AUTO_WARRANTY)
    assert result["status"] == "commercial"
    quotes = {r["quote"] for r in result["reasons"]}
    assert {"Renew your coverage today", "$0 down", "Extend now"} <= quotes


def test_a_spanish_payday_loan_offer_is_commercial():
    body = ("¿Necesitas dinero hoy? Consigue hasta 1.000 € en tu cuenta en 10 minutos.\n"
            "Primer préstamo sin intereses, sin papeleo y sin aval.\n"
            "Solicita tu préstamo ahora: https://prestamos.example/solicitar\n")
    result = classify("Dinero en tu cuenta hoy", body)
    assert result["status"] == "commercial"
    assert {"cta", "price", "pitch"} <= categories(result)


@pytest.mark.parametrize("label", ["Advertisement", "Publicidad", "Werbung", "Reclame",
                                   "ADVERTISEMENT - 18+ ONLY"])
def test_a_self_labelled_ad_that_promotes_something_is_established(label):
    body = (f"{label}\n\nSmart home kit, now $179.99 (was $299.99).\n"
            "See the kit: https://kit.example/8\n")
    assert classify("Spring sale", body)["status"] == "commercial"
    # Without the label the same short text is only uncertain: the label decides.
    assert classify("Spring sale", body.split("\n", 2)[2])["status"] != "commercial"


def test_unsubscribe_mechanism_with_a_priced_offer_is_established():
    body = ("Trail Runner GTX: was $165.00, now $119.00. Shop now: https://shop.example/gtx\n"
            "Members earn double points this week.\n")
    assert classify("New arrivals", body, unsubscribe_header=True)["status"] == "commercial"
    assert classify("New arrivals", body)["status"] != "commercial"


def test_a_reply_mentioning_a_price_on_a_list_is_not_established():
    body = "Vendors buy crap cables to save $0.02 each, but some drives have DMA issues.\n"
    result = classify("Re: DMA", body, is_reply=True, unsubscribe_header=True)
    assert result["status"] != "commercial"


def test_a_genuine_security_alert_is_transactional_with_no_commercial_reasons():
    body = ("We noticed a new sign-in to your Northwind Bank account.\n"
            "If you don't recognize this activity, call us at 1-800-555-0199 or review your\n"
            "account at https://bank.example/security.\n"
            "Even if you opted out of marketing email, we send account and security notices.\n")
    result = classify("New sign-in to your account", body)
    assert result["status"] == "transactional"
    assert categories(result) == {"transactional"}
    assert result["score"] == 0


def test_your_account_alone_is_not_an_advance_fee_sign():
    result = classify("Statement", "Your statement for the account ending in 4821 is ready.")
    assert "proposal" not in categories(result)


def test_bulk_mail_dressed_as_an_account_notice_stays_for_review():
    body = ("YOUR ACCOUNT HAS BEEN CLOSED. You have been removed from our list.\n"
            "This is a one time mailing. Rejoin at http://picks.example/\n")
    assert classify("YOUR ACCOUNT HAS BEEN CLOSED!", body)["status"] == "commercial_uncertain"


# ------------------------------------------------------------- notices of mail systems

MODERATION = (
    "As list administrator, your authorization is requested for the following mailing list\n"
    "posting:\n\n"
    "    List:    deals@lists.example\n"
    "    From:    bulk@sender.example\n"
    "    Subject: Buy cheap watches now, save 70%, only $49.95, free shipping!\n"
    "    Reason:  Post by non-member to a members-only list\n\n"
    "At your convenience, visit https://lists.example/admin/deals to approve or deny it.\n"
)


def test_a_list_moderation_request_is_not_commercial():
    msg = message(MODERATION, subject="Deals list post from bulk@sender.example requires approval",
                  from_="deals-admin@lists.example", headers="List-Id: <deals.lists.example>\n")
    assert msg.get("commercial.status") == "non_commercial"
    reasons = msg.get("commercial.reasons")
    assert [r["category"] for r in reasons] == ["notice"]
    assert_evidence(msg, reasons)


def test_notice_wording_from_an_ordinary_sender_is_judged_as_usual():
    """The exemption rests on who sent it (a list or mail system), not on the words."""
    msg = message(MODERATION, subject="Deals", from_="Deals <deals@shop.example>")
    assert msg.get("commercial.status") != "non_commercial"


def test_an_ad_dressed_as_a_bounce_is_still_an_ad():
    body = ("Your message could not be delivered to one or more recipients.\n\n"
            "SPECIAL OFFER: Rolex replicas only $129.99, 80% off! Order now:\n"
            "https://replicas.example/shop\nFree shipping worldwide.\n")
    msg = message(body, from_="MAILER-DAEMON@relay.example", subject="Undelivered Mail")
    assert msg.get("commercial.status") == "commercial"


# ----------------------------------------------------------------- (a)(1) phishing

def test_a_forged_hop_claiming_the_brands_server_is_an_indicator():
    received = [
        {"by": "mx.trap.example", "from_name": "bank.example", "from_rdns": None,
         "ip": "203.0.113.40", "raw": "from bank.example (unknown [203.0.113.40]) by mx.trap.example"},
        {"by": "smtp.bank.example", "from_name": "mail.bank.example", "from_rdns": None,
         "ip": "192.168.1.23", "raw": "from [192.168.1.23] (helo=mail.bank.example) by smtp.bank.example"},
    ]
    def dmarc(result):
        return [{"authserv_id": "mx.trap.example", "method": "dmarc", "result": result,
                 "header_from": "bank.example", "raw": f"mx.trap.example; dmarc={result}"}]
    inputs = HeaderInputs(received=received, from_address="alerts@bank.example",
                          from_domain="bank.example", authentication_results=dmarc("fail"))
    found = [i for i in detect_header_indicators(inputs) if i["indicator"] == "claimed_provider_hop"]
    assert found and "192.168.1.23" in found[0]["detail"]
    assert "no reverse DNS name" in found[0]["detail"]  # the HELO claim is not repeated as fact
    # Without a DMARC failure the same path is an organisation's ordinary internal hop.
    for results in (dmarc("pass"), []):
        inputs.authentication_results = results
        assert not [i for i in detect_header_indicators(inputs) if i["indicator"] == "claimed_provider_hop"]


def test_softfail_counts_only_beside_a_dmarc_failure():
    def results(*pairs):
        return [{"authserv_id": "mx.trap.example", "method": m, "result": r, "smtp_mailfrom": "x.example",
                 "header_from": "bank.example", "raw": f"mx.trap.example; {m}={r}"} for m, r in pairs]
    received = [{"by": "mx.trap.example", "from_rdns": "host.x.example", "ip": "198.51.100.9", "raw": ""}]
    alone = HeaderInputs(received=received, authentication_results=results(("spf", "softfail")))
    assert not [i for i in detect_header_indicators(alone) if i["indicator"] == "spf_fail"]
    both = HeaderInputs(received=received,
                        authentication_results=results(("spf", "softfail"), ("dmarc", "fail")))
    assert [i for i in detect_header_indicators(both) if i["indicator"] == "spf_fail"]


@pytest.mark.parametrize("body", [
    "Your mailbox has reached 99% of its storage quota. Release held messages: https://x.example/",
    "Your package could not be delivered. Schedule redelivery: https://x.example/track",
    "Access to your account has been temporarily limited. Verify your identity: https://x.example/",
])
def test_what_phishing_imitates_reads_as_transactional(body):
    assert classify("Action required", body)["status"] == "transactional"


# ------------------------------------------------------------------ footers of the world

@pytest.mark.parametrize("footer", [
    "MueblesCasa S.L., Calle de Alcalá, 123, 28009 Madrid, España",
    "Tienda Sol, C/ Mayor 5, 28013 Madrid",
    "Gran Vía, 28, 28013 Madrid, Spain",
    "ShieldLife Direct LLC, 1201 N Orange St, Suite 600 #4417, Wilmington, DE 19801",
    "Acme, 548 Market St, PMB 72391, San Francisco, CA 94104",
    "Acme, 8 The Green, Ste A, Dover, DE 19901",
    "FietsPunt B.V., Keizersgracht 123, 1015 CJ Amsterdam",
])
def test_world_footers_are_complete_addresses(footer):
    result = detect_postal_addresses([TextSource("body.visible_text", f"Footer\n{footer}\n")])
    assert result["status"] == "visible", result


@pytest.mark.parametrize("label", ["Publicidad", "Publicidade", "Pubblicità", "Reclame", "Werbung",
                                   "Anzeige", "Publicité", "ADVERTISEMENT - 18+ ONLY",
                                   "Advertisement | Adults only", "広告", "광고"])
def test_label_lines_in_every_language(label):
    source = TextSource("body.visible_text", f"{label}\n\nNew arrivals at 20% off.\n")
    assert detect_ad_label("Sale", [source])["found"]


def test_opt_out_wording_of_spanish_portuguese_and_italian_footers():
    for line in ("Puedes darte de baja aquí: https://x.example/baja",
                 "Se não quiser receber mais emails, cancele a subscrição aqui: https://x.example/d",
                 "Per cancellarti clicca qui: https://x.example/c"):
        msg = message(f"Oferta: 20 % de descuento.\n\n{line}\n")
        assert msg.get("opt_out.status") == "visible", line


# ------------------------------------------------------------ charsets and boundaries

def test_a_gb2312_label_over_utf8_bytes_is_read_as_utf8():
    text = "本公司长期代开各地正规增值税发票，可验证后付款。\n"
    msg = Message(b"Subject: x\nContent-Type: text/plain; charset=gb2312\n\n" + text.encode("utf-8"))
    assert msg.get("body.text") == text
    assert any("valid UTF-8" in d for d in msg.get("mime.defects"))


def test_a_correct_gb2312_label_is_kept():
    text = "本公司长期代开各地正规增值税发票。\n"
    msg = Message(b"Subject: x\nContent-Type: text/plain; charset=gb2312\n\n" + text.encode("gb2312"))
    assert msg.get("body.text") == text
    assert msg.get("mime.defects") == []


def test_parts_are_recovered_at_the_boundary_the_body_uses():
    raw = (b"Subject: x\nMIME-Version: 1.0\n"
           b'Content-Type: multipart/alternative; boundary="declared-0011"\n\n'
           b"This is a multi-part message in MIME format.\n\n"
           b"--used-0012\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
           b"Q2FsZWZhY3RvciBhIDM5LDk1IOKCrA==\n\n"
           b"--used-0012\nContent-Type: text/html; charset=utf-8\n\n<p>Calefactor EcoHeat</p>\n"
           b"--used-0012--\n")
    msg = Message(raw)
    assert msg.get("body.visible_text").strip() == "Calefactor EcoHeat"  # the HTML alternative
    assert "Calefactor a 39,95 €" in msg.get("body.text")  # the plain one, base64 decoded
    assert any('("used-0012")' in d for d in msg.get("mime.defects"))


def test_a_multipart_without_any_part_headers_stays_plain_text():
    raw = (b"Subject: x\nMIME-Version: 1.0\n"
           b'Content-Type: multipart/mixed; boundary="declared"\n\n'
           b"--not a boundary line, just dashes\nHello there.\n")
    msg = Message(raw)
    assert "Hello there." in msg.get("body.visible_text")
    assert any("has no parts" in d for d in msg.get("mime.defects"))


def test_a_dmarc_failure_names_the_domains_published_policy():
    raw = "mx.trap.example; dmarc=fail (p=REJECT sp=REJECT dis=REJECT) header.from=bank.example"
    inputs = HeaderInputs(
        received=[{"by": "mx.trap.example", "from_rdns": "h.x.example", "ip": "198.51.100.9", "raw": ""}],
        authentication_results=[{"authserv_id": "mx.trap.example", "method": "dmarc", "result": "fail",
                                 "header_from": "bank.example", "raw": raw}])
    found = [i for i in detect_header_indicators(inputs) if i["indicator"] == "dmarc_fail"]
    assert "bank.example, whose published policy is p=reject" in found[0]["detail"]
