"""`spamlaw fields`: readable text, full JSON, one field, the registry, clean errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from checker import exitcodes
from checker.cli import app

LONG_TEXT = "word " * 300  # 1,500 characters
MESSAGE = (
    "From: Shop <deals@shop.example>\n"
    "To: trap@trap.example\n"
    "Subject: =?utf-8?Q?Caf=C3=A9_deals?=\n"
    "Date: Thu, 22 Aug 2002 13:17:22 +0100\n"
    "\n"
    f"First line\n{LONG_TEXT}\nvisit http://shop.example/now\n"
).encode()


@pytest.fixture()
def eml(tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    return path


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(app, ["fields", *args], input=input)


def test_text_form_is_one_readable_line_per_simple_field(eml):
    result = run(str(eml))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert 'subject: "Café deals"' in lines
    assert 'from.address: "deals@shop.example"' in lines
    assert "from.valid: true" in lines
    assert "date: 2002-08-22T13:17:22+01:00" in lines
    assert "cc: (none)" in lines
    assert "links: 1 item" in lines
    assert '  [0] url: "http://shop.example/now"' in lines


def test_long_texts_are_previewed_in_the_all_fields_view(eml):
    output = run(str(eml)).output
    assert "body.text: 1,542 characters" in output
    assert "  | First line" in output
    assert "… (1,042 more characters)" in output


def test_single_field_is_shown_in_full(eml):
    result = run(str(eml), "--field", "body.text")
    assert result.exit_code == 0
    assert result.output.startswith("body.text: 1,542 characters\n  | First line\n")
    assert "more characters" not in result.output
    assert "visit http://shop.example/now" in result.output
    assert "subject" not in result.output


def test_json_form_has_full_values_and_iso_dates(eml):
    result = run(str(eml), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["subject"] == "Café deals"
    assert data["date"] == "2002-08-22T13:17:22+01:00"
    assert data["body.text"].endswith("visit http://shop.example/now\n")
    assert data["to"][0] == {"address": "trap@trap.example", "display_name": None,
                             "domain": "trap.example", "valid": True}


def test_repeated_field_option_and_stdin(eml):
    result = run("-", "--field", "subject", "--field", "size", input=MESSAGE)
    assert result.exit_code == 0
    assert result.output == f'subject: "Café deals"\nsize: {len(MESSAGE)}\n'


def test_unknown_field_is_a_one_line_usage_error(eml):
    result = run(str(eml), "--field", "subjekt")
    assert result.exit_code == exitcodes.USAGE
    assert result.output.strip() == (
        "spamlaw fields: error: unknown field 'subjekt' (spamlaw fields --list shows them all)")


def test_missing_or_unreadable_message_is_a_one_line_usage_error(tmp_path):
    result = run(str(tmp_path / "nope.eml"))
    assert result.exit_code == exitcodes.USAGE
    assert result.output.startswith("spamlaw fields: error: ") and "nope.eml: no such file" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    directory = run(str(tmp_path))
    assert directory.exit_code == exitcodes.USAGE
    assert run().exit_code == exitcodes.USAGE


def test_bad_format_is_a_usage_error(eml):
    result = run(str(eml), "--format", "xml")
    assert result.exit_code == exitcodes.USAGE
    assert "unknown format 'xml'" in result.output


def test_list_prints_every_field_with_type_and_doc():
    result = run("--list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    subject = next(line for line in lines if line.startswith("subject "))
    assert "text" in subject and "decoded" in subject
    assert any(line.strip().startswith(".from_name (text):") for line in lines)
    assert any(line.startswith("received ") and "list[record]" in line for line in lines)


def test_headers_are_compact_and_show_raw_only_when_it_differs(eml):
    output = run(str(eml), "--field", "headers").output.splitlines()
    assert output[0] == "headers: 4 items"
    assert '  [2] Subject: "Café deals"' in output
    assert '      raw: "=?utf-8?Q?Caf=C3=A9_deals?="' in output
    assert '  [1] To: "trap@trap.example"' in output
    assert output[output.index('  [1] To: "trap@trap.example"') + 1].startswith("  [2]")


def test_an_mbox_shows_the_first_of_n_or_the_index(tmp_path):
    mbox = tmp_path / "two.mbox"
    second = MESSAGE.replace(b"=?utf-8?Q?Caf=C3=A9_deals?=", b"Second one")
    mbox.write_bytes(b"From a@b Mon Jun  2 10:00:00 2025\n" + MESSAGE + b"\n"
                     b"From a@b Mon Jun  2 10:00:00 2025\n" + second + b"\n")
    first = run(str(mbox), "--field", "subject")
    assert first.exit_code == 0
    assert first.stdout == 'subject: "Café deals"\n'
    assert (f"spamlaw fields: {mbox} holds 2 messages; showing the first ({mbox}#1); "
            "use --index N for another") in first.stderr
    picked = run(str(mbox), "--field", "subject", "--index", "2")
    assert picked.stdout == 'subject: "Second one"\n' and "holds" not in picked.stderr
    beyond = run(str(mbox), "--index", "3")
    assert beyond.exit_code == exitcodes.USAGE
    assert beyond.stderr.strip() == f"spamlaw fields: error: --index 3: {mbox} holds 2 message(s)"
