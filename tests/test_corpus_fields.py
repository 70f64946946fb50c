"""Every field of every real corpus message: no field may fail on real-world mail."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from checker.fields import all_fields
from checker.message import Message

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MESSAGES = CORPUS / "spamassassin"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not MESSAGES.is_dir(),
        reason=f"real-mail corpus not found at {MESSAGES} (../shared/corpus from the project)",
    ),
]


UNKNOWN_CHARSET = re.compile(rb"charset=[\"']?(default|unknown-8bit)", re.IGNORECASE)


def corpus_file(set_name: str, number: str) -> Path:
    matches = sorted((MESSAGES / set_name).glob(f"{number}.*.eml"))
    assert matches, f"corpus file {set_name}/{number} missing"
    return matches[0]


def read(path: Path) -> Message:
    return Message(path.read_bytes(), source_id=str(path))


@pytest.mark.slow
def test_every_field_of_every_corpus_message():
    files = sorted(MESSAGES.glob("*/*.eml"))
    assert len(files) == 6046
    names = list(all_fields())
    failures = []
    for path in files:
        msg = read(path)
        values = {name: msg.get(name) for name in names}
        try:
            json.dumps(values, default=str, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:  # e.g. a lone surrogate in a text field
            failures.append(f"{path.name}: not serialisable: {exc}")
        failures.extend(f"{path.parent.name}/{path.name}: {error}" for error in msg.errors)
        failures.extend(f"{path.parent.name}/{path.name}: field {name}: {detail}"  # the technical detail
                        for name, detail in msg.field_errors.items())
    assert failures == [], f"{len(failures)} failures, first: {failures[:10]}"


def test_message_id_empty_brackets():
    msg = read(corpus_file("spam_2", "00357"))
    assert msg.get("message_id") == "<>"
    assert msg.get("message_id.domain") is None
    assert msg.errors == []


def test_invalid_content_type_still_gives_the_body():
    msg = read(corpus_file("spam_2", "00204"))
    assert "NEVER BOTHER YOU AGAIN" in msg.get("body.visible_text")
    assert any("malformed Content-Type" in d for d in msg.get("mime.defects"))


@pytest.mark.parametrize("set_name, number", [("spam", "00467"), ("spam_2", "01214")])
def test_no_start_boundary_keeps_the_text(set_name, number):
    msg = read(corpus_file(set_name, number))
    assert len(msg.get("body.visible_text")) > 1000
    assert any("StartBoundaryNotFoundDefect" in d for d in msg.get("mime.defects"))


def test_unknown_charsets_are_decoded_and_recorded():
    files = sorted(MESSAGES.glob("spam*/*.eml"))
    recorded = 0
    for path in files:
        if not UNKNOWN_CHARSET.search(path.read_bytes()):
            continue
        msg = read(path)
        defects = msg.get("mime.defects")
        recorded += any("which is unknown" in d for d in defects)
        assert "\ufffd" not in msg.get("body.text"), path.name
    assert recorded >= 20  # README: default 14, default_charset 9, unknown-8bit 1


def test_bogus_dates():
    flagged = 0
    for path in sorted(MESSAGES.glob("spam*/*.eml")):
        if not re.search(rb"\nDate:[^\n]* 0102 ", path.read_bytes()):
            continue
        msg = read(path)
        assert msg.get("date").year == 102, path.name
        assert msg.get("date.error") == "the Date header gives the year 102, which cannot be right"
        flagged += 1
    assert flagged == 62  # README: 62 spam messages say year 0102


def test_crlf_and_bare_cr_messages_decode_with_newlines_only():
    checked = 0
    for path in sorted((MESSAGES / "spam_2").glob("*.eml")):
        raw = path.read_bytes()
        if b"\r" not in raw:
            continue
        msg = read(path)
        for name in ("body.text", "body.visible_text", "subject"):
            assert "\r" not in (msg.get(name) or ""), (path.name, name)
        checked += 1
    assert checked >= 8  # README: 1 file with CRLF line ends, 8 with bare CR
