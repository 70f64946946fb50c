"""Header integrity (15 U.S.C. § 7704(a)(1)): trust boundary, A-R trust, indicators."""

from __future__ import annotations

from checker.case import CaseSettings
from checker.detectors.header_integrity import (
    HeaderInputs,
    detect_header_indicators,
    handoff_hop,
    inputs_from_message,
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


# ------------------------------------------------------------------- review defects D1-D6


def test_server_names_are_not_residential():
    # "user2", "home", "client1" name ordinary servers when they are the host's own label
    assert not looks_dynamic("user2.pro-isp.example", "208.200.182.45")
    assert not looks_dynamic("femail18.sdc1.sfba.home.example", "24.0.95.145")
    # ... but a "client2" pool label below the host name is a customer address
    assert looks_dynamic("vns.ne.client2.cable-isp.example", "12.1.2.3")
    assert looks_dynamic("user-1121pr6.dialup.isp.example", None)


def test_ip_digits_with_a_named_server_helo_of_the_same_organisation():
    rdns, ip = "205-158-62-55.webfarm.example", "205.158.62.55"
    assert not looks_dynamic(rdns, ip, helo="ws1-3.us4.webfarm.example")
    assert looks_dynamic(rdns, ip)  # no HELO: the digits decide
    assert looks_dynamic(rdns, ip, helo=rdns)  # naming itself by its pool name proves nothing
    assert looks_dynamic(rdns, ip, helo="ws1.other-org.example")
    assert looks_dynamic("adsl-1-2-3-4.dsl.isp.example", "1.2.3.4", helo="mail.isp.example")


INTERNAL_CHAIN = [
    hop(0, "hq.operator.example", helo="user2.operator.example", rdns="user2.operator.example",
        ip="208.200.182.45"),
    hop(1, "user2.operator.example", helo="mail6.esp.example", rdns="mail6.esp.example",
        ip="207.106.239.78"),
    hop(2, "mail6.esp.example", helo="localhost", ip="127.0.0.1"),
]


def test_the_operators_internal_hop_moves_the_trust_boundary():
    trusted, untrusted = split_received(INTERNAL_CHAIN, 1)
    assert [h["index"] for h in trusted] == [0, 1]
    assert handoff_hop(INTERNAL_CHAIN, 1)["from_rdns"] == "mail6.esp.example"
    assert detect_header_indicators(HeaderInputs(received=INTERNAL_CHAIN)) == []


def test_a_dial_up_customer_of_the_operators_isp_is_not_internal():
    chain = [hop(0, "mx.bigisp.example", helo="pc1", rdns="dialup-9-8-7-6.pool.bigisp.example",
                 ip="9.8.7.6"),
             hop(1, "dialup-9-8-7-6.pool.bigisp.example", helo="x", ip="1.1.1.1")]
    assert len(split_received(chain, 1)[0]) == 1
    assert "dynamic_handoff" in kinds(HeaderInputs(received=chain))


def test_an_internal_looking_hop_needs_the_line_below_written_by_it():
    chain = [INTERNAL_CHAIN[0], hop(1, "elsewhere.example", helo="a", ip="192.0.2.1")]
    assert len(split_received(chain, 1)[0]) == 1


def test_forged_provider_helo_below_the_first_line_does_not_vouch_for_a_webmail_from():
    chain = [hop(0, "mx.trap.example", helo="relay.victim.example", rdns="relay.victim.example",
                 ip="198.51.100.9"),
             hop(1, "relay.victim.example", helo="mx1.mail.yahoo.com", ip="172.191.119.34")]
    found = kinds(HeaderInputs(received=chain, from_address="x1@yahoo.com",
                               from_domain="yahoo.com"))
    assert "webmail_from_not_via_provider" in found
    assert "claimed_provider_hop" not in found  # no reverse DNS recorded: proves nothing


def test_a_provider_server_as_receiving_host_vouches_for_a_webmail_from():
    chain = [hop(0, "mx.trap.example", helo="n21.grp.scd.yahoo.com",
                 rdns="n21.grp.scd.yahoo.com", ip="66.218.66.77"),
             hop(1, "mta1.grp.scd.yahoo.com", helo="hotmail.com", ip="64.4.16.121"),
             hop(2, "hotmail.com", helo="mail", ip=None)]
    found = kinds(HeaderInputs(received=chain, from_address="m@hotmail.com",
                               from_domain="hotmail.com"))
    assert "webmail_from_not_via_provider" not in found


def test_provider_helo_from_another_networks_address_in_an_untrusted_line():
    chain = [hop(0, "mx.trap.example", helo="relay.victim.example", rdns="relay.victim.example",
                 ip="198.51.100.9"),
             hop(1, "relay.victim.example", helo="mx1.mail.yahoo.com",
                 rdns="kf-1-0160.dial.cable.example", ip="62.45.140.161")]
    found = kinds(HeaderInputs(received=chain))
    assert found["claimed_provider_hop"]["quote"] == "mx1.mail.yahoo.com"
    assert "kf-1-0160.dial.cable.example" in found["claimed_provider_hop"]["detail"]


def _self_addressed(**extra):
    base = {"received": [hop(0, "mx.trap.example", helo="a.example", rdns="a.example",
                             ip="192.0.2.5", raw="from a.example by mx.trap.example")],
            "from_address": "admin@list.example", "from_domain": "list.example",
            "to": [{"address": "admin@list.example"}]}
    base["received"][0]["for"] = "trap@trap.example"
    return kinds(HeaderInputs(**{**base, **extra}))


def test_from_equals_to_on_list_mail_is_not_an_indicator():
    found = _self_addressed()
    assert found["from_equals_recipient"]["detail"] == (
        "From is the same address as the To header (admin@list.example); the operator's "
        "server received it for <trap@trap.example>.")
    assert "from_equals_recipient" not in _self_addressed(list_mail=True)
    assert "from_equals_recipient" not in _self_addressed(sender_address="owner@list.example")


def test_from_equals_the_lists_own_address_still_counts():
    found = _self_addressed(list_mail=True, list_addresses=("admin@list.example",))
    assert "mailing list's own address" in found["from_equals_recipient"]["detail"]


def test_reply_to_a_providers_list_domain_or_a_bcc_list_is_related():
    inp = dict(from_address="a@isp.example", from_domain="isp.example",
               return_path_domain="returns.groups.yahoo.com",
               reply_to=[{"address": "group@yahoogroups.com", "domain": "yahoogroups.com"}])
    assert "reply_to_unrelated" not in kinds(HeaderInputs(**inp))  # one provider's domains
    bcc = dict(from_address="a@isp.example", from_domain="isp.example",
               reply_to=[{"address": "list@lists.example", "domain": "lists.example"}])
    assert "reply_to_unrelated" in kinds(HeaderInputs(**bcc))
    assert "reply_to_unrelated" not in kinds(HeaderInputs(**bcc,
                                                          list_addresses=("list@lists.example",)))
    assert "reply_to_unrelated" not in kinds(HeaderInputs(**bcc,
                                                          sender_address="list@lists.example"))


def test_reply_to_detail_names_each_domain_once():
    found = kinds(HeaderInputs(from_address="a@x1.mailer.example", from_domain="x1.mailer.example",
                               sender_domain="mailer.example", return_path_domain="Mailer.example",
                               reply_to=[{"address": "b@other.example",
                                          "domain": "other.example"}]))
    assert "(x1.mailer.example, mailer.example)" in found["reply_to_unrelated"]["detail"]


def test_client_made_message_ids_name_the_senders_network():
    base = dict(from_address="bob@shop.example", from_domain="shop.example")
    outlook = "<00c401c25039$7b055460$976fa8c0@cfl.isp-one.net>"
    assert "message_id_domain_unrelated" not in kinds(HeaderInputs(
        **base, message_id=outlook, message_id_domain="cfl.isp-one.net"))
    imitation = "<00005b76656e$000000d1$00004d2e@mq01.mail.isp-one.net>"
    assert "message_id_domain_unrelated" in kinds(HeaderInputs(
        **base, message_id=imitation, message_id_domain="mq01.mail.isp-one.net"))
    at_provider = "<00c401c25039$7b055460$976fa8c0@mx06.hotmail.com>"
    assert "message_id_domain_unrelated" in kinds(HeaderInputs(
        **base, message_id=at_provider, message_id_domain="mx06.hotmail.com"))


def test_list_headers_end_to_end():
    headers = ("Sender: list-admin@lists.example\n"
               "List-Id: A list <a.lists.example>\n"
               "List-Post: <mailto:a@lists.example>\n"
               "Reply-To: a@lists.example\n")
    msg = message("Hi all", from_="Bob <bob@isp.example>", headers=headers)
    inp = inputs_from_message(msg)
    assert inp.list_mail and "a@lists.example" in inp.list_addresses
    assert "reply_to_unrelated" not in {i["indicator"] for i in
                                        msg.get("header_integrity.indicators")}
    plain = message("Hi", from_="Bob <bob@isp.example>", headers="Reply-To: a@lists.example\n")
    assert "reply_to_unrelated" in {i["indicator"] for i in
                                    plain.get("header_integrity.indicators")}


def test_a_generic_static_name_is_not_called_dynamic():
    """A hosting name built from the IP ("static.88-198-44-10...") is a generic name, not a
    dynamic or residential one: the sentence says what the name shows."""
    from checker.detectors.header_integrity import _what_the_name_shows

    hosting = _what_the_name_shows("static.88-198-44-10.clients.hosting-de.example")
    assert "dynamic" not in hosting and "generic name built from its IP address" in hosting
    dsl = _what_the_name_shows("adsl-203-0-113-200.dsl.isp.example")
    assert "dynamic or residential" in dsl and '"adsl"' in dsl


def test_a_message_id_holding_a_file_path_names_no_domain():
    """A bulk mailer left "c:\\documents and settings\\...\\domains2.txt" in the Message-ID:
    that is not a domain, so no sentence says "the Message-ID names" it."""
    found = detect_header_indicators(HeaderInputs(
        from_address="someone@hotmail.com", from_domain="hotmail.com",
        message_id="<abc@c:\\documents and settings\\administrator\\desktop\\send\\domains2.txt>",
        message_id_domain="c:\\documents and settings\\administrator\\desktop\\send\\domains2.txt"))
    assert not [i for i in found if i["indicator"] == "message_id_domain_unrelated"]


def test_a_name_written_twice_is_highlighted_where_it_plays_the_part_named():
    """The HELO equals the reverse DNS name, and the untrusted line's receiving host also
    appears as its sender: the dynamic-handoff evidence must point at the name the
    operator's server looked up (inside the parentheses), and the claimed-provider evidence
    at the `by` host, not at the first place either string occurs."""
    name = "dsl-81-2-3-4.pool.isp.example"
    top = f"from {name} ({name} [81.2.3.4]) by mx.trap.example with ESMTP"
    claimed = "from mail.hotmail.com (unknown [10.0.0.9]) by mail.hotmail.com with SMTP"
    chain = [hop(0, "mx.trap.example", helo=name, rdns=name, ip="81.2.3.4", raw=top),
             hop(1, "mail.hotmail.com", helo="mail.hotmail.com", ip="10.0.0.9", raw=claimed)]
    found = kinds(HeaderInputs(received=chain))
    dynamic, provider = found["dynamic_handoff"], found["claimed_provider_hop"]
    assert dynamic["quote"] == name and dynamic["start"] == top.index("(") + 1
    assert provider["field"] == "received[1].raw"
    assert provider["quote"] == "mail.hotmail.com"
    assert provider["start"] == claimed.index("by mail.hotmail.com") + len("by ")
