"""Header fields on small hand-built messages, including the corpus traps."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses

from checker.extract.addresses import _SIMPLE_ADDRESS, split_addresses
from checker.message import Message


def msg_with(headers: bytes, body: bytes = b"body\n") -> Message:
    return Message(headers + b"\n" + body)


# ---------------------------------------------------------------- subject and decoding

def test_subject_rfc2047_q_and_b_words_are_decoded():
    msg = msg_with(b"Subject: =?utf-8?Q?Caf=C3=A9_offer?= for =?ISO-8859-1?B?WW91?=\n")
    assert msg.get("subject") == "Café offer for You"
    assert msg.get("subject.raw") == "=?utf-8?Q?Caf=C3=A9_offer?= for =?ISO-8859-1?B?WW91?="


def test_adjacent_encoded_words_join_and_split_multibyte_characters_survive():
    # "é" (C3 A9) split across two words; the space between words is dropped.
    msg = msg_with(b"Subject: =?utf-8?B?Y2Fmw6k=?= =?utf-8?Q?_au_lait?=\n")
    assert msg.get("subject") == "café au lait"
    split = msg_with(b"Subject: =?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?=\n")
    assert split.get("subject") == "café"


def test_encoded_words_without_spaces_and_inside_quotes_are_decoded():
    msg = msg_with(b'From: "=?iso-8859-1?Q?Andr=E9?=" <andre@example.com>\n'
                   b"Subject: Save=?us-ascii?Q?_50=25?=now\n")
    assert msg.get("from.display_name") == "André"
    assert msg.get("subject") == "Save 50%now"


def test_unknown_charset_in_encoded_word_falls_back_and_is_a_defect():
    msg = msg_with(b"Subject: =?default?Q?Gr=FC=DFe?=\n")
    assert msg.get("subject") == "Grüße"  # not UTF-8, so windows-1252
    assert ('the Subject header declares the character set "default", which is unknown; '
            "read as windows-1252") in msg.get("mime.defects")


def test_broken_encoded_word_is_kept_as_written():
    msg = msg_with(b"Subject: =?utf-8?B?####?= rest\n")
    assert "rest" in msg.get("subject")


def test_8bit_header_bytes_utf8_then_message_charset_then_windows_1252():
    utf8 = msg_with("Subject: Grüße\n".encode())
    assert utf8.get("subject") == "Grüße"
    assert not [d for d in utf8.get("mime.defects") if "Subject" in d]
    latin = msg_with("Subject: Grüße\n".encode("latin-1"))
    assert latin.get("subject") == "Grüße"
    assert ("the Subject header holds unencoded bytes outside ASCII; read as windows-1252"
            in latin.get("mime.defects"))
    big5 = msg_with("Subject: 免費\nContent-Type: text/plain; charset=big5\n".encode("big5"))
    assert big5.get("subject") == "免費"


def test_folded_header_is_unfolded_to_single_spaces():
    msg = msg_with(b"Subject: one\n\ttwo\n   three\n")
    assert msg.get("subject") == "one two three"
    assert msg.get("subject.raw") == "one\n\ttwo\n   three"


def test_headers_keep_order_repeats_raw_and_decoded():
    msg = msg_with(b"Received: from a by b; Thu, 22 Aug 2002 13:17:22 +0100\n"
                   b"Received: from c by d; Thu, 22 Aug 2002 13:17:20 +0100\n"
                   b"Subject: =?utf-8?Q?Hi?=\n")
    headers = msg.get("headers")
    assert [(h["index"], h["name"]) for h in headers] == [
        (0, "Received"), (1, "Received"), (2, "Subject")]
    assert headers[2]["value"] == "Hi" and headers[2]["raw"] == "=?utf-8?Q?Hi?="


def test_mbox_envelope_line_is_not_a_header():
    msg = Message(b"From someone@example.com  Thu Aug 22 13:17:22 2002\nSubject: x\n\nbody\n")
    assert [h["name"] for h in msg.get("headers")] == ["Subject"]


# ---------------------------------------------------------------- addresses

def test_from_address_name_domain_and_validity():
    msg = msg_with(b"From: =?utf-8?Q?Jos=C3=A9_Shop?= <Deals@Shop.EXAMPLE.com>\n")
    assert msg.get("from.address") == "Deals@Shop.EXAMPLE.com"
    assert msg.get("from.display_name") == "José Shop"
    assert msg.get("from.domain") == "shop.example.com"
    assert msg.get("from.valid") is True
    assert msg.get("from.raw") == "=?utf-8?Q?Jos=C3=A9_Shop?= <Deals@Shop.EXAMPLE.com>"


def test_invalid_and_missing_from():
    assert msg_with(b"From: not an address\n").get("from.valid") is False
    assert msg_with(b"From: a..b@example.com\n").get("from.valid") is False
    missing = msg_with(b"Subject: no from\n")
    assert missing.get("from.address") is None and missing.get("from.valid") is None


def test_encoded_display_name_with_comma_does_not_split_the_address():
    msg = msg_with(b"To: =?utf-8?Q?Smith=2C_John?= <john@example.com>, jane@example.org\n")
    to = msg.get("to")
    assert [(r["display_name"], r["address"]) for r in to] == [
        ("Smith, John", "john@example.com"), (None, "jane@example.org")]
    assert [r["domain"] for r in to] == ["example.com", "example.org"]
    assert all(r["valid"] for r in to)


def test_reply_to_cc_sender_return_path():
    msg = msg_with(b"Reply-To: Remove <remove@list.example>\nCc: a@x.example, b@y.example\n"
                   b"Sender: bounce@mailer.example\nReturn-Path: <>\n")
    assert msg.get("reply_to")[0]["address"] == "remove@list.example"
    assert [r["address"] for r in msg.get("cc")] == ["a@x.example", "b@y.example"]
    assert msg.get("sender.address") == "bounce@mailer.example"
    assert msg.get("sender.domain") == "mailer.example"
    assert msg.get("return_path.address") is None  # the null reverse path
    assert msg_with(b"Return-Path: <bounce@Mailer.example>\n").get(
        "return_path.domain") == "mailer.example"


def test_undisclosed_recipients_group_gives_no_addresses():
    assert msg_with(b"To: undisclosed-recipients:;\n").get("to") == []


ATOM_PIECES = ["a", "B", "0", "x.y", ".", "+", "-", "_", "'", "!", "=", "?", "{", "%"]
TRAP_PIECES = ["@", "<", ">", '"', " ", "  ", "\\", "(", ")", ",", ":", ";", "\xe9", "[",
               "]", "\t", "=?utf-8?q?x?=", "@@"]


def generated_address(rng: random.Random) -> str:
    """An address in one of the everyday forms, now and then with a character that
    takes it out of them (where the stdlib parser has the last word)."""
    def atom() -> str:
        pieces = [rng.choice(ATOM_PIECES) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.05:
            pieces.insert(rng.randint(0, len(pieces)), rng.choice(TRAP_PIECES))
        return "".join(pieces)

    spec = atom() + "@" + atom()
    phrase = " ".join(atom() for _ in range(rng.randint(1, 3)))
    return rng.choice([spec, f"<{spec}>", f"{phrase} <{spec}>", f"{phrase}<{spec}>",
                       f'"{phrase}" <{spec}>', f'"{atom()}"<{spec}>'])


def test_the_common_address_forms_split_as_the_stdlib_splits_them():
    rng = random.Random(3)
    common = 0
    for _ in range(30000):
        value = generated_address(rng)
        common += _SIMPLE_ADDRESS.fullmatch(value) is not None
        assert split_addresses(value) == getaddresses([value]), value
    assert common > 10000  # the comparison covers the fast path


# ---------------------------------------------------------------- date

def test_date_keeps_its_offset_and_converts_to_utc():
    msg = msg_with(b"Date: Thu, 22 Aug 2002 13:17:22 +0100 (IST)\n")
    date = msg.get("date")
    assert date == datetime(2002, 8, 22, 13, 17, 22, tzinfo=timezone(timedelta(hours=1)))
    assert date.utcoffset() == timedelta(hours=1)
    assert msg.get("date.utc") == datetime(2002, 8, 22, 12, 17, 22, tzinfo=UTC)
    assert msg.get("date.raw") == "Thu, 22 Aug 2002 13:17:22 +0100 (IST)"
    assert msg.get("date.error") is None


def test_year_0102_is_kept_but_flagged_implausible():
    msg = msg_with(b"Date: Mon, 19 Aug 0102 10:18:49 -0400\n")
    assert msg.get("date").year == 102
    assert msg.get("date.error") == "the Date header gives the year 102, which cannot be right"


def test_unparsable_date_is_none_with_an_error():
    msg = msg_with(b"Date: 2002/09/14 Sat 02:29:32 CDT\n")
    assert msg.get("date") is None and msg.get("date.utc") is None
    assert msg.get("date.error") == 'the Date header "2002/09/14 Sat 02:29:32 CDT" cannot be read as a date'
    assert msg.get("date.raw") == "2002/09/14 Sat 02:29:32 CDT"


def test_impossible_day_and_odd_zones():
    assert "names a date that does not exist" in msg_with(b"Date: Thu, 31 Feb 2002 10:00:00 +0000\n").get(
        "date.error")
    odd = msg_with(b"Date: Thu, 22 Aug 2002 10:00:00 -1900\n")
    assert odd.get("date").utcoffset() == -timedelta(hours=19)
    no_zone = msg_with(b"Date: Thu, 22 Aug 2002 10:00:00\n")
    assert no_zone.get("date").utcoffset() == timedelta(0)
    assert no_zone.get("date.error") == "the Date header gives no time zone, so its time was read as UTC"


# ---------------------------------------------------------------- identifiers

def test_empty_message_id_does_not_raise():
    # `Message-Id: <>` raises IndexError inside the stdlib's policy.default on 3.11.
    msg = msg_with(b"Message-Id: <>\n")
    assert msg.get("message_id") == "<>"
    assert msg.get("message_id.domain") is None
    assert msg.errors == []


def test_message_id_domain_in_reply_to_references():
    msg = msg_with(b"Message-ID: <abc.123@Mail.Example.COM>\nIn-Reply-To: <x@y>\n"
                   b"References: <a@b>\n <c@d> <e@f>\n")
    assert msg.get("message_id") == "<abc.123@Mail.Example.COM>"
    assert msg.get("message_id.domain") == "mail.example.com"
    assert msg.get("in_reply_to") == "<x@y>"
    assert msg.get("references") == ["<a@b>", "<c@d>", "<e@f>"]


# ---------------------------------------------------------------- List-Unsubscribe

def test_list_unsubscribe_entries_and_kinds():
    msg = msg_with(b"List-Unsubscribe: <mailto:leave@list.example?subject=unsubscribe>,\n"
                   b"  <https://list.example/u?id=1>, <ftp://odd.example/>\n")
    assert msg.get("list_unsubscribe") == [
        {"url": "mailto:leave@list.example?subject=unsubscribe", "kind": "mailto"},
        {"url": "https://list.example/u?id=1", "kind": "http"},
        {"url": "ftp://odd.example/", "kind": "other"},
    ]
    assert msg.get("list_unsubscribe.one_click") is False


def test_one_click_needs_the_post_header_and_an_https_url():
    post = b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"
    https = msg_with(b"List-Unsubscribe: <https://x.example/u>\n" + post)
    assert https.get("list_unsubscribe.one_click") is True
    http_only = msg_with(b"List-Unsubscribe: <http://x.example/u>\n" + post)
    assert http_only.get("list_unsubscribe.one_click") is False
    no_post = msg_with(b"List-Unsubscribe: <https://x.example/u>\n")
    assert no_post.get("list_unsubscribe.one_click") is False
    assert msg_with(b"Subject: x\n").get("list_unsubscribe") == []
