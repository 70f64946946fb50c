"""`spamlaw audit` through Typer's runner: every exit code, the output formats, options.

A small ruleset is written into a temporary folder (tests/audit_support.py), and each
test message's Subject chooses the outcome: "free" -> violation of TEST-FREE, "urgent" ->
needs_review of TEST-URGENT, anything else -> compliant.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from audit_support import SMALL_RULES, write_ruleset
from typer.testing import CliRunner

from checker.cli import app

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "audit-json.schema.json").read_text())
PROBLEM_LINE = re.compile(r"^\S+:\d+:\d+: error: .+ \[[a-z-]+\]$")


def message(subject: str, body: str = "Hello.") -> bytes:
    return (f"From: Deals <deals@shop.example>\nTo: trap@example.org\nSubject: {subject}\n"
            f"Date: Tue, 03 Sep 2002 10:00:00 -0400\nMessage-ID: <{abs(hash(subject))}@shop.example>"
            f"\n\n{body}\n").encode()


@pytest.fixture
def rules(tmp_path) -> Path:
    return write_ruleset(tmp_path)


@pytest.fixture
def mail(tmp_path):
    """Write a message file; returns its path as a string."""

    def write(name: str, subject: str | None = None, raw: bytes | None = None) -> str:
        path = tmp_path / name
        path.write_bytes(raw if raw is not None else message(subject or name))
        return str(path)

    return write


def audit(*args: str, input: bytes | None = None):
    return CliRunner().invoke(app, ["audit", *args], input=input)


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# --- exit codes ----------------------------------------------------------------------


def test_exit_0_when_nothing_reaches_fail_on(rules, mail):
    result = audit("--rules", str(rules), mail("lunch.eml", "Lunch on Friday"))
    assert result.exit_code == 0, result.output
    assert "nothing to report: 3 compliant" in result.stdout


def test_exit_1_on_a_violation(rules, mail):
    result = audit("--rules", str(rules), mail("free.eml", "Totally free cruise"))
    assert result.exit_code == 1, result.output
    assert "VIOLATION" in result.stdout and "TEST-FREE" in result.stdout
    assert "15 U.S.C. § 7704(a)(3)" in result.stdout
    assert 'Subject: "free"' in result.stdout


def test_fail_on_sets_the_threshold(rules, mail):
    urgent = mail("urgent.eml", "Urgent: reply now")
    assert audit("--rules", str(rules), urgent).exit_code == 0
    assert audit("--rules", str(rules), urgent, "--fail-on", "needs_review").exit_code == 1
    free = mail("free.eml", "free")
    assert audit("--rules", str(rules), free, "--fail-on", "never").exit_code == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--format", "xml"], "--format must be one of text, json, jsonl"),
        (["--fail-on", "high"], "--fail-on must be one of"),
        (["--rule", "NO-SUCH-RULE"], "no such rule in the ruleset: NO-SUCH-RULE"),
        (["--jurisdiction", "TX"], "no rule for TX"),
        (["--jobs", "zero"], "--jobs must be a positive number or auto"),
        (["--color", "sometimes"], "--color must be one of"),
    ],
)
def test_exit_2_on_bad_options_with_one_line(rules, mail, args, expected):
    result = audit("--rules", str(rules), mail("a.eml", "free"), *args)
    assert result.exit_code == 2
    assert expected in one_line_error(result)
    assert result.stdout == ""


def test_a_missing_input_is_listed_and_the_rest_audited(rules, mail, tmp_path):
    good = mail("a.eml", "free")
    missing = audit("--rules", str(rules), good, str(tmp_path / "nope.eml"), "--fail-on", "never")
    assert missing.exit_code == 0, missing.output  # as the README says: exit 2 only with --strict
    assert "TEST-FREE" in missing.stdout  # the good file was audited
    assert "nope.eml" in missing.stdout and "no such file or directory" in missing.stdout
    assert "spamlaw audit: 1 of 2 message(s) could not be audited" in one_line_error(missing)
    strict = audit("--rules", str(rules), good, str(tmp_path / "nope.eml"), "--strict")
    assert strict.exit_code == 2
    alone = audit("--rules", str(rules), str(tmp_path / "nope.eml"))
    assert alone.exit_code == 2  # nothing at all could be audited


def test_exit_2_on_a_missing_rules_folder(rules, mail, tmp_path):
    no_rules = audit("--rules", str(tmp_path / "no-rules"), mail("b.eml", "free"))
    assert no_rules.exit_code == 2
    assert "--rules" in one_line_error(no_rules)


def test_exit_2_when_no_input_could_be_audited(rules, mail):
    result = audit("--rules", str(rules), mail("junk.txt", raw=b"just some text\n"))
    assert result.exit_code == 2
    assert "ERROR" in result.stdout and "not an email message" in result.stdout
    assert "1 of 1 message(s) could not be audited" in result.stderr


def test_unreadable_input_among_good_ones_is_reported_not_fatal(rules, mail):
    args = ["--rules", str(rules), mail("junk.txt", raw=b"just some text\n"),
            mail("lunch.eml", "Lunch")]
    result = audit(*args)
    assert result.exit_code == 0
    assert "2 messages: 1 audited, 1 could not be audited" in result.stdout
    assert audit(*args, "--strict").exit_code == 2


def test_exit_3_on_a_broken_rule_with_every_problem_located(tmp_path, mail):
    broken = SMALL_RULES.replace("citations: [cal-17529-5-a-2]", "citations: [no-such-key]")
    broken = broken.replace("severity: medium", "severity: dire")
    rules = write_ruleset(tmp_path, broken)
    result = audit("--rules", str(rules), mail("a.eml", "free"))
    assert result.exit_code == 3
    assert result.stdout == ""
    problems = [line for line in result.stderr.splitlines() if PROBLEM_LINE.match(line)]
    assert len(problems) == 2, result.stderr
    assert all("test.yaml:" in line for line in problems)
    assert "Traceback" not in result.output


def test_help_documents_the_exit_codes():
    result = CliRunner().invoke(app, ["audit", "--help"])
    text = " ".join(result.stdout.split())
    for code in ("0 nothing at or above --fail-on", "1 findings at or above --fail-on",
                 "2 usage or input error", "3 rule errors"):
        assert code in text


# --- output --------------------------------------------------------------------------


def test_json_output_follows_the_schema_and_lists_messages_in_order(rules, mail):
    paths = [mail("1.eml", "free gift"), mail("2.eml", "urgent"), mail("3.eml", "hello")]
    result = audit("--rules", str(rules), "--format", "json", *paths)
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert [m["source"] for m in document["messages"]] == paths
    statuses = [[f["status"] for f in m["findings"]] for m in document["messages"]]
    assert statuses == [["violation"], ["needs_review"], []]
    assert document["ruleset"]["rules"] == 3
    assert document["summary"]["findings"]["compliant"] == 7


def test_all_lists_compliant_findings_too(rules, mail):
    result = audit("--rules", str(rules), "--format", "json", "--all", mail("3.eml", "hello"))
    findings = json.loads(result.stdout)["messages"][0]["findings"]
    assert [(f["rule"], f["status"]) for f in findings] == [
        ("CA-TEST", "compliant"), ("TEST-FREE", "compliant"), ("TEST-URGENT", "compliant")]


def test_rule_and_jurisdiction_select_what_runs(rules, mail):
    path = mail("1.eml", "free calif")
    only = audit("--rules", str(rules), "--format", "json", "--rule", "CA-TEST", path)
    assert [f["rule"] for f in json.loads(only.stdout)["messages"][0]["findings"]] == ["CA-TEST"]
    state = audit("--rules", str(rules), "--format", "json", "--jurisdiction", "ca", path)
    assert json.loads(state.stdout)["ruleset"]["rules"] == 1


def test_json_runs_diff_clean_and_jobs_do_not_change_it(rules, mail):
    paths = [mail(f"{i}.eml", "free" if i % 2 else "hello") for i in range(40)]
    args = ["--rules", str(rules), "--format", "json", "--all", *paths]
    first, second = audit(*args), audit(*args)
    pooled = audit(*args, "--jobs", "2")
    assert first.stdout == second.stdout == pooled.stdout
    assert first.exit_code == pooled.exit_code == 1


def test_jsonl_streams_one_message_per_line_and_output_file(rules, mail, tmp_path):
    paths = [mail("1.eml", "free"), mail("junk.txt", raw=b"nonsense\n")]
    report = tmp_path / "report.jsonl"
    result = audit("--rules", str(rules), "--format", "jsonl", "--output", str(report), *paths)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert [line["source"] for line in lines] == paths
    assert lines[1]["errors"] and lines[1]["findings"] == [] and lines[1]["sha256"] is None


def test_standard_input_and_mbox(rules):
    mbox = b"".join(b"From x@example.com Tue Sep  3 10:00:00 2002\n" + message(s) + b"\n"
                    for s in ("free one", "plain two", "free three"))
    result = audit("--rules", str(rules), "--format", "jsonl", "-", input=mbox)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == ["-#1", "-#2", "-#3"]
    assert [bool(line["findings"]) for line in lines] == [True, False, True]
    assert result.exit_code == 1


def test_text_report_escapes_hostile_subjects(rules, mail):
    path = mail("evil.eml", raw=message("free \x1b]0;owned\x07 stuff"))
    result = audit("--rules", str(rules), path)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b]0;owned\\x07" in result.stdout


def test_quiet_leaves_out_messages_with_nothing_to_report(rules, mail):
    inputs = [mail("a.eml", "free"), mail("b.eml", "hello"), mail("c.eml", "hi there")]
    full = audit("--rules", str(rules), *inputs, "--fail-on", "never")
    assert "b.eml" in full.stdout and "nothing to report" in full.stdout
    for flag in (["--quiet"], ["-q"], ["--only", "findings"]):
        quiet = audit("--rules", str(rules), *inputs, "--fail-on", "never", *flag)
        assert quiet.exit_code == 0
        assert "a.eml" in quiet.stdout and "b.eml" not in quiet.stdout and "c.eml" not in quiet.stdout
        assert "3 messages: 3 audited" in quiet.stdout  # the summary still counts them all
    bad = audit("--rules", str(rules), *inputs, "--only", "everything")
    assert bad.exit_code == 2
    assert "spamlaw audit: error: --only must be one of messages, findings" in one_line_error(bad)


def test_the_summary_says_why_rules_were_not_applicable(mail):
    # the shipped rules on mail dated 2002: most rules were not yet in force
    inputs = [mail("a.eml", "free"), mail("b.eml", "hello")]
    result = audit(*inputs, "--fail-on", "never")
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("not applicable: ")]
    total = int(re.match(r"not applicable: ([\d,]+) finding", line).group(1).replace(",", ""))
    parts = line.split(": ", 2)[2].split("; ")
    assert len(parts) >= 2 and sum(int(p.split()[0].replace(",", "")) for p in parts) == total
    single = audit(inputs[0], "--fail-on", "never")  # one message: no such line
    assert "not applicable: " not in single.stdout


def test_not_applicable_reasons_are_grouped():
    from types import SimpleNamespace

    from checker.commands.audit import NotApplicableTally

    def finding(text, reasons=()):
        return SimpleNamespace(status="not_applicable", finding=text, reasons=reasons)

    tally = NotApplicableTally()
    tally.add(SimpleNamespace(findings=[
        finding("Not applicable: the message is dated 2002-08-23, before the rule took effect on 2004-01-01."),
        finding("Not applicable: the message is dated 2002-08-23, before the rule took effect on 2010-07-01."),
        finding("Not applicable: no Washington nexus: recipient state unknown"),
        SimpleNamespace(status="violation", finding="x", reasons=()),
    ]))
    assert tally.line() == ("not applicable: 3 finding(s): 2 the message is dated outside the rule's "
                            "time in force; 1 no nexus with the state")
