"""The lazy message view: compute on first use, cache, never raise."""

from __future__ import annotations

import email
import random
import time
from pathlib import Path

import pytest

from checker import fields as registry
from checker.extract.compat32 import parse_compat32
from checker.fields import all_fields
from checker.message import Message, empty_value

stdlib_parse = email.message_from_bytes  # the reference, whatever a test patches
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spamassassin"

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
    assert msg.errors == [  # in words for people; the technical detail stays with the field
        "Could not read the Subject of this message; the rules that need it could not be evaluated.",
        "Could not read the links of this message; the rules that need it could not be evaluated.",
    ]
    assert msg.field_errors == {"subject": "RuntimeError: extractor bug", "links": "RuntimeError: extractor bug"}


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
    assert msg.get("date") is None and msg.get("date.error") == "the message has no Date header"
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


# ---------------------------------------------------------------- the fast compat32 parse

def stdlib_tree(node) -> dict:
    """Everything compat32 keeps of a parse: headers, payloads (recursively), preamble,
    epilogue, envelope line, default type and defects."""
    state = {key: value for key, value in vars(node).items() if key != "policy"}
    state["defects"] = [(type(d).__name__, d.args, getattr(d, "line", None))
                        for d in node.defects]
    if isinstance(node._payload, list):
        state["_payload"] = [stdlib_tree(part) for part in node._payload]
    return state


def generated_message(rng: random.Random) -> bytes:
    """A message of random MIME structure with the traps the stdlib treats specially:
    CR, LF and CRLF line ends, folded and odd headers, missing blank lines, envelope
    lines, boundary-like lines, nested multiparts sharing boundaries, no closing
    boundary, preamble and epilogue, message/rfc822 and multipart/digest parts."""
    def eol() -> str:
        return rng.choice(["\n", "\n", "\r\n", "\r\n", "\r"])

    def blank_line() -> str:
        return "" if rng.random() < 0.1 else eol()

    def sometimes(choices: list[str], usual: str) -> str:
        return rng.choice(choices) if rng.random() < 0.2 else usual

    def headers(content_type: str | None) -> str:
        plain = ["From: a@b.example", "Subject: hi", "X-A:", "Received: from a\n\tby b"]
        odd = ["From x", ": no name", " continued"]
        lines = [rng.choice(odd if rng.random() < 0.1 else plain)
                 for _ in range(rng.randint(0, 2))]
        if content_type:
            lines.insert(rng.randint(0, len(lines)), content_type)
        if rng.random() < 0.15:
            lines.append("Content-Transfer-Encoding: " + rng.choice(["base64", "7bit"]))
        return "".join(line + eol() for line in lines)

    def entity(depth: int) -> str:
        boundary = sometimes(["a b", "", "bb", "b--", "-"], rng.choice(["b", "==X==", "b2"]))
        if depth < 3 and rng.random() < 0.45:
            subtype = sometimes(["digest", "MIXED"], rng.choice(["mixed", "alternative"]))
            quoted = f'"{boundary}"' if rng.random() < 0.5 else boundary
            head = headers(f"Content-Type: multipart/{subtype}; boundary={quoted}")
            return head + blank_line() + multipart_body(boundary, depth)
        content_type = rng.choice(["Content-Type: text/plain", "Content-Type: text/html",
                                   None, sometimes(["Content-Type: message/rfc822"], None)])
        lines = [sometimes(["", "--b", "--b--", "--bx", "Header: like", "--"], "body")
                 for _ in range(rng.randint(0, 3))]
        return headers(content_type) + blank_line() + "".join(line + eol() for line in lines)

    def multipart_body(boundary: str, depth: int) -> str:
        out = [sometimes(["", "--" + boundary + "x"], "preamble") + eol()
               for _ in range(rng.randint(0, 2))]
        for _ in range(rng.randint(0, 3)):
            out.append("--" + boundary + sometimes([" ", "\t", "--"], "") + eol())
            out.append(entity(depth + 1))
        if rng.random() < 0.75:
            out.append("--" + boundary + "--" + rng.choice(["", " ", "x"]) + rng.choice(
                [eol(), ""]))
        out += [rng.choice(["epilogue", "", "--" + boundary]) + eol()
                for _ in range(rng.randint(0, 2))]
        return "".join(out)

    text = entity(0)
    if rng.random() < 0.1:
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            chars.insert(rng.randint(0, len(chars)), rng.choice("\n\r- \t:b\xff"))
        text = "".join(chars)
    return text.encode("latin-1")


def test_fast_parse_builds_exactly_the_stdlib_tree_on_generated_messages(monkeypatch):
    left_to_stdlib = set()

    def counting_parse(raw):
        left_to_stdlib.add(raw)
        return stdlib_parse(raw)

    monkeypatch.setattr(email, "message_from_bytes", counting_parse)
    rng = random.Random(2024)
    fast = fast_multipart = 0
    for _ in range(4000):
        raw = generated_message(rng)
        tree = parse_compat32(raw)
        assert stdlib_tree(tree) == stdlib_tree(stdlib_parse(raw)), raw
        if raw not in left_to_stdlib:
            fast += 1
            fast_multipart += isinstance(tree._payload, list)
    # the comparison covers trees the fast path built, multipart ones included
    assert fast > 1300 and fast_multipart > 150


def test_fast_parse_of_hostile_structure_is_bounded():
    cases = [
        b"Content-Type: multipart/mixed; boundary=-\n\n" + b"-" * 1_000_000 + b"\n",
        b"Content-Type: multipart/mixed; boundary=b\n\n" + b"--b\n\nx\n" * 20_000,
        b"A: b\n" + b" c\n" * 100_000 + b"\nbody",
    ]
    for raw in cases:
        started = time.perf_counter()
        tree = parse_compat32(raw)
        assert time.perf_counter() - started < 2.0
        assert stdlib_tree(tree) == stdlib_tree(stdlib_parse(raw))


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real-mail corpus not found at {CORPUS}")
def test_fast_parse_builds_exactly_the_stdlib_tree_on_the_corpus():
    for path in sorted(CORPUS.glob("*/*.eml")):
        raw = path.read_bytes()
        assert stdlib_tree(parse_compat32(raw)) == stdlib_tree(stdlib_parse(raw)), path
