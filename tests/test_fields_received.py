"""Received chain and Authentication-Results parsing."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

import pytest

from checker.extract.authres import parse_authentication_results
from checker.extract.received import _any_form, _common_form, parse_received
from checker.message import Message

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spamassassin"

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


# ---------------------------------------------------------------- the common-form fast path

GOOD_WORDS = ["x.example", "localhost", "unknown", "[192.0.2.1]", "192.0.2.1", "[IPv6:::1]",
              "<a@b.example>", "a@b.example", "ESMTP", "SMTP", "helo=x", "user@host", "byx",
              "idx", "8.11.6/8.11.6", "HELO", "EHLO=y", "1.2.3.400"]
TRAP_WORDS = ["BY", "By", "With", "ID", "FOR", "via", "from", "From", "\u0130d", "a;b", "x;",
              ";", "(", ")", "((", "\u0192or"]


def generated_hop(rng: random.Random) -> str:
    """A Received value close to the common form, with the traps that would make a
    one-regex reading wrong: keywords in other cases or inside comments, deep comments,
    ';' and parentheses in words, extra or missing clauses, odd spacing."""
    def word() -> str:
        return rng.choice(TRAP_WORDS if rng.random() < 0.1 else GOOD_WORDS)

    def comment(depth: int = 0) -> str:
        inner = [rng.choice(GOOD_WORDS + TRAP_WORDS + ["from network", "Postfix"])
                 for _ in range(rng.randint(0, 3))]
        if depth < 3 and rng.random() < 0.3:
            inner.append(comment(depth + 1))
        return "(" + " ".join(inner) + ")"

    keywords = ["from", "by"] + [k for k in ("with", "id", "for") if rng.random() < 0.7]
    if rng.random() < 0.1:
        keywords.insert(rng.randint(0, len(keywords)), rng.choice(["via", "FROM", "by"]))
    clauses = [" ".join([keyword, word()] + [comment() if rng.random() < 0.5 else word()
                                             for _ in range(rng.randint(0, 3))])
               for keyword in keywords]
    value = " ".join(clauses) + rng.choice(["; Sat, 1 Jan 2000 00:00:00 +0000", "", "; x"])
    if rng.random() < 0.1:
        value = value.replace(" ", rng.choice(["  ", "\n\t"]))
    return value


def hop_body(value: str) -> str:
    """What `parse_received` reads the clauses from: the text before the last ';'."""
    text = " ".join(value.split())
    head, sep, _tail = text.rpartition(";")
    return head if sep else text


def test_the_common_form_is_read_as_the_general_reading_reads_it():
    rng = random.Random(7)
    common = 0
    for _ in range(20000):
        body = hop_body(generated_hop(rng))
        fast = _common_form(body)
        if fast is not None:
            common += 1
            assert fast == _any_form(body), body
    assert common > 3000  # the comparison covers the fast path


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real-mail corpus not found at {CORPUS}")
def test_the_common_form_reading_agrees_on_every_corpus_hop():
    common = 0
    for path in sorted(CORPUS.glob("*/*.eml")):
        for hop in Message(path.read_bytes()).get("received"):
            body = hop_body(hop["raw"])
            fast = _common_form(body)
            if fast is not None:
                common += 1
                assert fast == _any_form(body), body
    assert common > 10000


def test_hostile_received_headers_are_read_in_bounded_time():
    values = ["from " + "x " * 100_000 + "by y; date",
              "from x " + "(" * 30_000 + ")" * 30_000 + " by y with z; d",
              "from x " + "(a (b) c) " * 30_000 + "by y with z id q for r; d",
              "from x by y " + "z " * 100_000 + "; d"]
    for value in values:
        started = time.perf_counter()
        parse_received(value)
        assert time.perf_counter() - started < 2.0
