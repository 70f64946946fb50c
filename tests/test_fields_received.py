"""Received chain and Authentication-Results parsing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from checker.extract.authres import parse_authentication_results
from checker.extract.received import parse_received
from checker.message import Message

HOPS = [
    # (header, from_name, from_rdns, ip, by, with, id, for)
    ("from mail.example.com (mx1.example.com [192.0.2.7]) by mx.trap.example (Postfix) "
     "with ESMTP id D03E543C36 for <trap@trap.example>; Thu, 22 Aug 2002 13:17:22 +0100 (IST)",
     "mail.example.com", "mx1.example.com", "192.0.2.7", "mx.trap.example", "ESMTP",
     "D03E543C36", "trap@trap.example"),
    ("from lugh (root@lugh.example.ie [194.125.145.45]) by dogma.example.org "
     "(8.11.6/8.11.6) with ESMTP id g6QM73r28670; Fri, 26 Jul 2002 23:07:03 +0100",
     "lugh", "lugh.example.ie", "194.125.145.45", "dogma.example.org", "ESMTP",
     "g6QM73r28670", None),
    ("from h-66-134.example.net ([66.134.120.173] helo=stealth.example) by "
     "list1.example.net with smtp (Exim 3.31-VA-mm2 #1 (Debian)) id 17f5Rv-0005qy-00 "
     "for <users@lists.example.net>; Wed, 14 Aug 2002 14:13:03 -0700",
     "stealth.example", "h-66-134.example.net", "66.134.120.173", "list1.example.net", "smtp",
     "17f5Rv-0005qy-00", "users@lists.example.net"),
    ("from edc18.example.com (HELO mbox.example.com) (207.49.16.144) by mi-1.example.de "
     "with SMTP; 25 Jul 2002 19:39:06 -0000",
     "mbox.example.com", "edc18.example.com", "207.49.16.144", "mi-1.example.de", "SMTP",
     None, None),
    ("from unknown (HELO spammer) ([203.0.113.9]) by mx.example with SMTP; "
     "25 Jul 2002 19:39:06 -0000",
     "spammer", None, "203.0.113.9", "mx.example", "SMTP", None, None),
    ("from usa.example (unknown [61.157.85.117]) by smtp.example.com (Postfix) with SMTP "
     "id 3606A2FDDF for <zzzz@example.org>; Sun, 25 Aug 2002 11:28:39 -0400 (EDT)",
     "usa.example", None, "61.157.85.117", "smtp.example.com", "SMTP", "3606A2FDDF",
     "zzzz@example.org"),
    ("from jalapeno [127.0.0.1] by localhost with IMAP (fetchmail-5.9.0) for jm@localhost "
     "(single-drop); Mon, 09 Sep 2002 18:04:29 +0100 (IST)",
     "jalapeno", None, "127.0.0.1", "localhost", "IMAP", None, "jm@localhost"),
    ("from [IPv6:2001:db8::1] (helo=v6.example) by mx.example with esmtps id 1a-2b; "
     "Wed, 14 Aug 2002 14:13:03 -0700",
     "v6.example", None, "2001:db8::1", "mx.example", "esmtps", "1a-2b", None),
]


@pytest.mark.parametrize("header, helo, rdns, ip, by, with_, id_, for_", HOPS)
def test_common_received_forms(header, helo, rdns, ip, by, with_, id_, for_):
    hop = parse_received(header)
    assert (hop["from_name"], hop["from_rdns"], hop["ip"]) == (helo, rdns, ip)
    assert (hop["by"], hop["with"], hop["id"], hop["for"]) == (by, with_, id_, for_)
    assert hop["date"] is not None and hop["date"].tzinfo is not None


def test_keywords_inside_comments_are_not_clauses():
    hop = parse_received("(qmail 31218 invoked from network); 22 Sep 2002 22:32:33 -0000")
    assert hop["from_name"] is None and hop["by"] is None
    assert hop["date"].utcoffset() == timedelta(0)
    local = parse_received("(from mail@localhost) by int-mx1.example (8.11.6) id g6OL; "
                           "Wed, 24 Jul 2002 17:46:13 -0400")
    assert local["from_name"] is None and local["by"] == "int-mx1.example"


@pytest.mark.parametrize("junk", ["", ";", "from", "from (", "by by by ;;; (((", "[999.1.1.1]",
                                  "from x [300.1.2.3] by y; not a date"])
def test_garbage_received_gives_a_record_of_nones(junk):
    hop = parse_received(junk, 3)
    assert hop["index"] == 3 and hop["raw"] == junk
    assert hop["ip"] is None


def test_received_field_indexes_topmost_first_and_keeps_raw():
    msg = Message(b"Received: from a.example (a.example [192.0.2.1])\n\tby b.example; "
                  b"Thu, 22 Aug 2002 13:17:22 +0100\n"
                  b"Received: from c.example by a.example; Thu, 22 Aug 2002 13:17:20 +0100\n"
                  b"\nbody\n")
    hops = msg.get("received")
    assert [(h["index"], h["by"]) for h in hops] == [(0, "b.example"), (1, "a.example")]
    assert hops[0]["raw"] == ("from a.example (a.example [192.0.2.1])\n\tby b.example; "
                              "Thu, 22 Aug 2002 13:17:22 +0100")


def test_authentication_results_rfc8601():
    value = ("mx.trap.example (comment; with semicolon);\n spf=pass (sender ok) "
             "smtp.mailfrom=bounce@a.example;\n dkim=pass (1024-bit key) header.d=a.example "
             "header.i=@a.example; dmarc=FAIL reason=\"policy; quoted\" header.from=b.example")
    records = parse_authentication_results(" ".join(value.split()))
    assert [(r["method"], r["result"]) for r in records] == [
        ("spf", "pass"), ("dkim", "pass"), ("dmarc", "fail")]
    assert {r["authserv_id"] for r in records} == {"mx.trap.example"}
    assert records[0]["smtp_mailfrom"] == "bounce@a.example"
    assert records[1]["header_d"] == "a.example"
    assert records[1]["properties"] == "header.d=a.example header.i=@a.example"
    assert records[2]["header_from"] == "b.example"
    assert records[2]["properties"] == "reason=policy; quoted header.from=b.example"


def test_authentication_results_none_and_garbage():
    assert parse_authentication_results("mx.example 1; none") == []
    assert parse_authentication_results("") == []
    assert parse_authentication_results(";;;=\"") == []


def test_authentication_results_field_keeps_raw_and_order():
    msg = Message(b"Authentication-Results: mx.example; spf=fail smtp.mailfrom=x@y.example\n"
                  b"Authentication-Results: other.example; dkim=none\n\nbody\n")
    records = msg.get("authentication_results")
    assert [(r["authserv_id"], r["method"]) for r in records] == [
        ("mx.example", "spf"), ("other.example", "dkim")]
    assert records[0]["raw"] == "mx.example; spf=fail smtp.mailfrom=x@y.example"
