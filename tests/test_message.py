"""The lazy message view: compute on first use, cache, never raise."""

from __future__ import annotations

import pytest

from checker import fields as registry
from checker.fields import all_fields
from checker.message import Message, empty_value

SIMPLE = (
    b"From: Alice <alice@example.com>\r\n"
    b"To: bob@example.org\r\n"
    b"Subject: Hello there\r\n"
    b"Date: Thu, 22 Aug 2002 13:17:22 +0100\r\n"
    b"Content-Type: multipart/alternative; boundary=XX\r\n"
    b"\r\n"
    b"--XX\r\nContent-Type: text/plain\r\n\r\nPlain body\r\n"
    b"--XX\r\nContent-Type: text/html\r\n\r\n<p>HTML <b>body</b></p>\r\n"
    b"--XX--\r\n"
)


def test_reading_the_subject_decodes_no_body():
    msg = Message(SIMPLE)
    assert msg.get("subject") == "Hello there"
    assert msg.computed_fields() == ["subject"]
    steps = {step[0] if isinstance(step, tuple) else step for step in msg.computed_steps()}
    assert not steps & {"mime_parts", "body_leaves", "part_bytes", "part_text", "html_analysis"}


def test_body_field_computes_only_what_it_needs():
    msg = Message(SIMPLE)
    assert "Plain body" in msg.get("body.text")
    steps = msg.computed_steps()
    assert ("html_analysis", "1.2") not in steps  # the plain view never looks at the HTML


def test_values_are_cached_and_the_same_object_is_returned():
    msg = Message(SIMPLE)
    first = msg.get("links")
    assert msg.get("links") is first
    assert msg["links"] is first


def test_raw_bytes_are_kept_and_hashed():
    msg = Message(bytearray(SIMPLE), source_id="x.eml")
    assert msg.raw == SIMPLE and isinstance(msg.raw, bytes)
    assert msg.size == len(SIMPLE) == msg.get("size")
    assert len(msg.sha256) == 64
    assert repr(msg) == f"<Message x.eml {len(SIMPLE)} bytes>"


def test_unknown_field_name_is_a_programming_error():
    with pytest.raises(KeyError):
        Message(SIMPLE).get("no.such.field")


def test_a_failing_extractor_gives_the_empty_value_and_records_the_error(monkeypatch):
    all_fields()

    def boom(msg):
        raise RuntimeError("extractor bug")

    for name in ("subject", "links"):
        spec = registry.FIELDS[name]
        monkeypatch.setitem(registry.FIELDS, name, registry.Field(
            spec.name, spec.type, spec.doc, boom, spec.item_fields))
    msg = Message(SIMPLE)
    assert msg.get("subject") is None
    assert msg.get("links") == []
    assert msg.errors == [
        "field subject: RuntimeError: extractor bug",
        "field links: RuntimeError: extractor bug",
    ]


def test_empty_values_per_type():
    assert empty_value("list[record]") == [] and empty_value("list[text]") == []
    assert empty_value("text") is None and empty_value("bool") is None


def test_an_empty_message_reads_as_absent_everywhere():
    msg = Message(b"")
    for name in all_fields():
        msg.get(name)
    assert msg.errors == []
    assert msg.get("headers") == [] and msg.get("subject") is None
    assert msg.get("from.address") is None and msg.get("from.valid") is None
    assert msg.get("date") is None and msg.get("date.error") == "no Date header"
    assert msg.get("body.text") == "" and msg.get("body.visible_text") == ""
    assert msg.get("body.html") is None and msg.get("links") == []
    assert [p["path"] for p in msg.get("mime.parts")] == ["1"]
    assert msg.get("size") == 0


def test_registry_declares_the_contract_fields():
    names = set(all_fields())
    contract = {
        "headers", "subject", "subject.raw", "from.address", "from.display_name",
        "from.domain", "from.valid", "from.raw", "sender.address", "sender.domain",
        "return_path.address", "return_path.domain", "reply_to", "to", "cc", "date",
        "date.raw", "date.utc", "date.error", "message_id", "message_id.domain",
        "in_reply_to", "references", "list_unsubscribe", "list_unsubscribe.one_click",
        "received", "authentication_results", "body.text", "body.html", "body.visible_text",
        "body.hidden_text", "links", "images", "attachments", "mime.parts", "mime.defects",
        "size",
    }
    assert contract <= names
    record_keys = {
        "received": {"index", "from_name", "from_rdns", "ip", "by", "with", "id", "for",
                     "date", "raw"},
        "links": {"url", "host", "text", "visible", "mailto", "hidden_reason"},
        "images": {"src", "kind", "host", "alt", "visible"},
        "attachments": {"name", "content_type", "size", "sha256"},
        "authentication_results": {"authserv_id", "method", "result", "smtp_mailfrom",
                                   "header_d", "header_from", "properties", "raw"},
    }
    for name, keys in record_keys.items():
        assert set(all_fields()[name].item_fields) == keys, name


def test_a_parse_the_stdlib_cannot_finish_still_gives_headers_and_text():
    raw = b"Subject: deep\n"
    for n in range(3000):  # the stdlib parser recurses per level and runs out of stack
        raw += b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (n, n)
    msg = Message(raw + b"Content-Type: text/plain\n\ndeep text\n")
    assert msg.get("subject") == "deep"
    assert "deep text" in msg.get("body.text")
    assert msg.get("mime.defects")[0] == "MIME parse failed (RecursionError); body kept unsplit"
    assert msg.errors == ["MIME parse failed (RecursionError); body kept unsplit"]
