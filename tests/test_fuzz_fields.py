"""Property tests: no field ever fails, whatever the bytes."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.fields import all_fields
from checker.message import Message

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spamassassin"

# Hand-made seeds (so the mutation test runs without the corpus) plus a few corpus traps.
BUILTIN_SEEDS = [
    b"From: =?utf-8?Q?A?= <a@example.com>\nSubject: =?default?B?SGk=?=\n"
    b"Date: Mon, 19 Aug 0102 10:18:49 -0400\nMessage-Id: <>\n"
    b"Received: from x (y [192.0.2.1]) by z with SMTP id 1; Thu, 22 Aug 2002 13:17:22 +0100\n"
    b"Authentication-Results: mx; spf=pass smtp.mailfrom=a@b.example\n"
    b"List-Unsubscribe: <mailto:u@x.example>, <https://x.example/u>\n"
    b"Content-Type: multipart/alternative; boundary=B\n\n--B\n"
    b"Content-Type: text/plain; charset=unknown-8bit\n\nCaf\xe9 remove@x.example\n--B\n"
    b"Content-Type: text/html\nContent-Transfer-Encoding: base64\n\n"
    b"PHAgc3R5bGU9ImRpc3BsYXk6bm9uZSI+aGlkZGVuPC9wPjxhIGhyZWY9Imh0dHA6Ly94Ij5jbGljazwvYT4=\n"
    b"--B--\n",
    b"Content-Type: multipart/mixed; boundary=\"=X 1\"\r\n\r\n--= X 1\r\nContent-Type: text/html"
    b"\r\n\r\n<font color=white>white</font>\r\n",
    b"Content-Type: TEXT/PLAIN charset=US-ASCII\nSubject: \xff\xfe 8-bit\r\rbare CR\r",
]
CORPUS_SEEDS = [("spam_2", "00357"), ("spam", "00467"), ("spam_2", "00204"), ("hard_ham", "00001")]


def seeds() -> list[bytes]:
    found = list(BUILTIN_SEEDS)
    for set_name, number in CORPUS_SEEDS:
        found += [p.read_bytes()[:20000] for p in sorted((CORPUS / set_name).glob(f"{number}.*"))]
    return found


SEEDS = seeds()


def assert_every_field_is_safe(raw: bytes) -> None:
    msg = Message(raw)
    values = {name: msg.get(name) for name in all_fields()}
    assert msg.errors == []
    # Text must be printable and serialisable: no lone surrogates anywhere.
    json.dumps(values, default=str, ensure_ascii=False).encode("utf-8")
    assert msg.get("size") == len(raw)


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        if action == "flip":
            data[pos] = draw(st.integers(0, 255))
        elif action == "truncate":
            del data[pos:]
        elif action == "insert":
            data[pos:pos] = draw(st.sampled_from(
                [b"\r", b"\n", b"\x00", b"=?", b"?=", b"--", b"<", b">", b";", b"(", b"\xff",
                 b"\nContent-Type: multipart/mixed; boundary=B\n", b"charset=default",
                 b"=?utf-8?B?", b"display:none", b"\n--B\n"]))
        else:
            del data[pos : pos + draw(st.integers(1, 50))]
    return bytes(data)


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_fail_a_field(raw):
    assert_every_field_is_safe(raw)


@FUZZ
@given(st.lists(st.sampled_from(
    [b"Subject: ", b"From: ", b"Content-Type: ", b"multipart/mixed; boundary=b", b"\n", b"\r\n",
     b"--b", b"=?utf-8?Q?x?=", b"text/html", b"<a href='x'>", b"\xe9", b" ", b"Received: from"]),
    max_size=60).map(b"".join))
def test_header_shaped_bytes_never_fail_a_field(raw):
    assert_every_field_is_safe(raw)


@FUZZ
@given(mutated())
def test_mutated_real_messages_never_fail_a_field(raw):
    assert_every_field_is_safe(raw)


def test_seeds_themselves_are_safe():
    for raw in SEEDS:
        assert_every_field_is_safe(raw)
