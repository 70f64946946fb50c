"""Header integrity (15 U.S.C. § 7704(a)(1)): trust boundary, A-R trust, indicators."""

from __future__ import annotations

from checker.case import CaseSettings
from checker.detectors.header_integrity import (
    HeaderInputs,
    detect_header_indicators,
    handoff_hop,
    looks_dynamic,
    split_received,
    trusted_auth_results,
)
from tests.detector_support import assert_evidence, message


def hop(index, by, helo=None, rdns=None, ip=None, raw=None, date=None):
    raw = raw or f"from {helo or '?'} ({rdns or 'unknown'} [{ip or '?'}]) by {by}"
    return {"index": index, "from_name": helo, "from_rdns": rdns, "ip": ip, "by": by,
            "with": "ESMTP", "id": None, "for": None, "date": date, "raw": raw}


CHAIN = [
    hop(0, "mx.trap.example", helo="mail.hotmail.com", rdns="dsl-81-2-3-4.pool.isp.example",
        ip="81.2.3.4"),
    hop(1, "mail.hotmail.com", helo="localhost", ip="127.0.0.1"),
]


def kinds(inp: HeaderInputs) -> dict[str, dict]:
    return {i["indicator"]: i for i in detect_header_indicators(inp)}


def test_trust_boundary_defaults_to_the_top_hop():
    trusted, untrusted = split_received(CHAIN, 1)
    assert [h["index"] for h in trusted] == [0] and [h["index"] for h in untrusted] == [1]
    assert handoff_hop(CHAIN, 1)["ip"] == "81.2.3.4"
    assert handoff_hop(CHAIN, 0) is None
    assert handoff_hop(CHAIN, 5)["index"] == 1  # more trusted hops than lines: all trusted


def test_forged_hotmail_path_from_a_dsl_line():
    found = kinds(HeaderInputs(received=CHAIN, from_address="joe@hotmail.com",
                               from_domain="hotmail.com"))
    assert {"helo_claims_provider", "dynamic_handoff", "claimed_provider_hop"} <= found.keys()
    helo = found["helo_claims_provider"]
    assert helo["field"] == "received[0].raw" and helo["quote"] == "mail.hotmail.com"
    assert "81.2.3.4" in helo["detail"]


def test_consistent_provider_path_is_not_flagged():
    chain = [hop(0, "mx.trap.example", helo="bay4-f12.bay4.hotmail.com",
                 rdns="bay4-f12.bay4.hotmail.com", ip="65.54.171.12")]
    found = kinds(HeaderInputs(received=chain, from_address="joe@hotmail.com",
                               from_domain="hotmail.com"))
    assert not found.keys() & {"helo_claims_provider", "dynamic_handoff",
                               "webmail_from_not_via_provider"}


def test_local_handoff_is_not_judged():
    chain = [hop(0, "phobos.example", helo="localhost", rdns="localhost", ip="127.0.0.1")]
    assert detect_header_indicators(HeaderInputs(received=chain)) == []


def test_webmail_from_that_never_touched_the_provider():
    chain = [hop(0, "mx.trap.example", helo="smtp.spam.example", rdns="smtp.spam.example",
                 ip="198.51.100.7")]
    found = kinds(HeaderInputs(received=chain, from_address="x123@yahoo.com",
                               from_domain="yahoo.com"))
    assert found["webmail_from_not_via_provider"]["quote"] == "yahoo.com"


def test_authentication_results_trusted_only_from_the_operator():
    results = [
        {"authserv_id": "mx.trap.example", "method": "dmarc", "result": "fail",
         "header_from": "paypal.com", "raw": "mx.trap.example; dmarc=fail header.from=paypal.com"},
        {"authserv_id": "forged.example", "method": "spf", "result": "fail",
         "smtp_mailfrom": "x", "raw": "forged.example; spf=fail"},
    ]
    assert trusted_auth_results(results, CHAIN, 1) == [results[0]]  # by-host default
    assert trusted_auth_results(results, CHAIN, 1, ["forged.example"]) == [results[1]]
    assert trusted_auth_results(results, CHAIN, 0) == []  # nothing trusted, nothing believed
    found = kinds(HeaderInputs(received=CHAIN, authentication_results=results))
    assert found["dmarc_fail"]["quote"] == "dmarc=fail"
    assert "spf_fail" not in found


def test_brand_display_name_over_an_unrelated_domain():
    found = kinds(HeaderInputs(from_address="service@secure-paypa1.example",
                               from_display_name="PayPal Security",
                               from_domain="secure-paypa1.example"))
    assert found["brand_display_name"]["quote"] == "PayPal"
    real = kinds(HeaderInputs(from_address="service@paypal.com", from_display_name="PayPal",
                              from_domain="paypal.com"))
    assert "brand_display_name" not in real


def test_address_in_display_name_and_punycode_and_self_addressed():
    found = kinds(HeaderInputs(from_address="x@xn--pypal-4ve.example",
                               from_display_name="support@paypal.com",
                               from_domain="xn--pypal-4ve.example",
                               to=[{"address": "x@xn--pypal-4ve.example"}]))
    assert {"address_in_display_name", "punycode_domain", "from_equals_recipient"} <= found.keys()


def test_message_id_and_reply_to_domains():
    inp = HeaderInputs(received=CHAIN, from_address="a@shop.example", from_domain="shop.example",
                       message_id="<123@bulkmailer.biz>",
                       message_id_domain="bulkmailer.biz",
                       reply_to=[{"address": "orders@elsewhere.example",
                                  "domain": "elsewhere.example"}])
    found = kinds(inp)
    assert found["message_id_domain_unrelated"]["quote"] == "bulkmailer.biz"
    assert found["reply_to_unrelated"]["field"] == "reply_to[0].address"


def test_machine_message_ids_and_list_reply_to_are_not_flagged():
    inp = HeaderInputs(from_address="a@shop.example", from_domain="shop.example",
                       message_id="<1.2@localhost.localdomain>",
                       message_id_domain="localhost.localdomain",
                       to=[{"address": "list@lists.example"}],
                       reply_to=[{"address": "list@lists.example", "domain": "lists.example"}])
    assert detect_header_indicators(inp) == []


def test_looks_dynamic():
    assert looks_dynamic("adsl-216-103-211-240.dsl.snfc21.pacbell.net", "216.103.211.240")
    assert looks_dynamic("h66-59-172-106.gtconnect.net", "66.59.172.106")
    assert not looks_dynamic("mail.example.com", "192.0.2.1")
    assert not looks_dynamic(None, "192.0.2.1")


RAW = (
    "Received: from mail.hotmail.com (dsl-81-2-3-4.pool.isp.example [81.2.3.4])\n"
    "\tby mx.trap.example (Postfix) with ESMTP id 1; Mon, 2 Jun 2025 10:00:05 +0000\n"
    "Received: from relay.example (relay.example [192.0.2.1])\n"
    "\tby mx2.trap.example (Postfix) with ESMTP id 2; Mon, 2 Jun 2025 10:00:03 +0000\n"
    "Received: from localhost (localhost [127.0.0.1])\n"
    "\tby mail.hotmail.com with SMTP; Mon, 2 Jun 2025 10:00:00 +0000\n"
)


def test_fields_end_to_end_with_default_trust():
    msg = message("Hi", received=RAW, from_="Joe <joe@hotmail.com>",
                  headers="Authentication-Results: mx.trap.example; spf=fail "
                          "smtp.mailfrom=joe@hotmail.com\n")
    assert [h["index"] for h in msg.get("received.trusted")] == [0]
    assert len(msg.get("received.untrusted")) == 2
    assert msg.get("received.handoff_ip") == "81.2.3.4"
    assert msg.get("received.handoff_helo") == "mail.hotmail.com"
    assert [r["method"] for r in msg.get("authentication_results.trusted")] == ["spf"]
    found = msg.get("header_integrity.indicators")
    assert {"helo_claims_provider", "dynamic_handoff", "spf_fail"} <= {i["indicator"] for i in found}
    assert_evidence(msg, found)


def test_fields_follow_the_case_settings():
    settings = CaseSettings(trusted_hops=2, trusted_authserv_ids=("auth.trap.example",))
    msg = message("Hi", received=RAW, metadata={"case": settings},
                  headers="Authentication-Results: mx.trap.example; spf=fail "
                          "smtp.mailfrom=joe@hotmail.com\n")
    assert msg.get("received.handoff_ip") == "192.0.2.1"
    assert msg.get("authentication_results.trusted") == []  # not the configured authserv-id
    as_dict = message("Hi", received=RAW, metadata={"case": {"trusted_hops": 2}})
    assert as_dict.get("received.handoff_ip") == "192.0.2.1"
