"""The audit output formats, driven with hand-built results (no engine needed)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from checker.findings import AuditResult, Evidence, Finding, Status
from checker.formatters import FORMATTERS, RulesetInfo, Summary
from checker.formatters.base import ALL_STATUSES, DEFAULT_STATUSES
from checker.formatters.json import SCHEMA

SCHEMA_FILE = Path(__file__).parents[1] / "docs" / "audit-json.schema.json"
RULESET = RulesetInfo(sha256="e" * 64, rules=4)


def finding(rule, status, **extra):
    values = {
        "title": f"title of {rule}",
        "jurisdiction": "US",
        "citations": ("15 U.S.C. § 7704(a)(3)",),
        "finding": f"finding sentence of {rule}.",
        "severity": "high",
    }
    values.update(extra)
    return Finding(rule=rule, status=status, **values)


POSTAL = finding(
    "CANSPAM-POSTAL", Status.VIOLATION,
    citations=("15 U.S.C. § 7704(a)(5)(A)(iii)", "16 C.F.R. § 316.2(p)"),
    finding="No physical postal address appears in what the recipient sees.",
    evidence=(Evidence("body.visible_text", searched=("postal_addresses",)),),
    penalty={"per": "message", "amount": 53088},
)
OPTOUT = finding(
    "CANSPAM-OPTOUT", Status.NEEDS_REVIEW,
    evidence=(Evidence("body.visible_text", 40, 51, "unsubscribe"),),
)
HEADER = finding("CANSPAM-HEADER", Status.COMPLIANT)
CALIF = finding("CA-17529.5", Status.NOT_APPLICABLE, jurisdiction="US-CA")
BROKEN = finding("ZZ-BROKEN", Status.ERROR, error="regex timed out")

SPAM = AuditResult(
    source="trap/0001.eml", sha256="a" * 64, size=1234, message_id="<1@spam.example>",
    sender="Deals <deals@spam.example>", subject="50% off", date="Tue, 03 Sep 2002 10:00:00 -0400",
    findings=(OPTOUT, HEADER, POSTAL, CALIF),
)
CLEAN = AuditResult(source="trap/0002.eml", sha256="b" * 64, size=99, findings=(HEADER, CALIF))
UNREADABLE = AuditResult(source="trap/0003.eml", sha256="", size=0, errors=("empty file",))
HOSTILE = AuditResult(
    source="trap/0004.eml", sha256="c" * 64, size=5,
    subject="Win \x1b[2J\x1b]0;pwned\x07 now \udc80",
    findings=(finding("CANSPAM-OPTOUT", Status.VIOLATION,
                      evidence=(Evidence("subject", 0, 9, "Win \x1b[2J\u202e"),)), BROKEN),
)
RESULTS = [SPAM, CLEAN, UNREADABLE, HOSTILE]


def render(name, results=RESULTS, statuses=DEFAULT_STATUSES, color=False) -> str:
    stream = io.StringIO()
    formatter = FORMATTERS[name](stream, RULESET, statuses=statuses, color=color)
    summary = Summary()
    formatter.start()
    for result in results:
        summary.add(result)
        formatter.handle(result)
    formatter.stop(summary)
    return stream.getvalue()


# --- summary --------------------------------------------------------------------------


def test_summary_counts_messages_findings_and_unaudited():
    summary = Summary()
    for result in RESULTS:
        summary.add(result)
    assert (summary.messages, summary.audited, summary.not_audited) == (4, 3, 1)
    assert summary.findings[Status.VIOLATION] == 2
    assert summary.messages_with[Status.VIOLATION] == 2
    assert summary.rules["CANSPAM-OPTOUT"][Status.NEEDS_REVIEW] == 1


@pytest.mark.parametrize(
    ("results", "threshold", "expected"),
    [
        ([SPAM], Status.VIOLATION, True),
        ([CLEAN], Status.VIOLATION, False),
        ([AuditResult("x", "", 0, findings=(OPTOUT,))], Status.VIOLATION, False),
        ([AuditResult("x", "", 0, findings=(OPTOUT,))], Status.NEEDS_REVIEW, True),
        ([AuditResult("x", "", 0, findings=(BROKEN,))], Status.NEEDS_REVIEW, True),
        ([AuditResult("x", "", 0, findings=(BROKEN,))], Status.VIOLATION, False),
    ],
)
def test_summary_reached_follows_status_rank(results, threshold, expected):
    summary = Summary()
    for result in results:
        summary.add(result)
    assert summary.reached(threshold) is expected


# --- text -----------------------------------------------------------------------------


def block(text: str, source: str) -> str:
    """The part of a text report about one message."""
    start = text.index(source + "\n")
    return text[start:text.index("\n\n\n", start) if "\n\n\n" in text[start:] else None]


def test_text_header_names_source_from_subject_date():
    part = block(render("text"), "trap/0001.eml")
    assert "From:    Deals <deals@spam.example>" in part
    assert "Subject: 50% off" in part
    assert "Date:    Tue, 03 Sep 2002 10:00:00 -0400" in part
    assert "SHA-256: " + "a" * 64 in part


def test_text_lists_violation_first_with_citations_and_evidence():
    part = block(render("text"), "trap/0001.eml")
    lines = part.splitlines()
    violation = next(i for i, line in enumerate(lines) if "VIOLATION" in line)
    review = next(i for i, line in enumerate(lines) if "NEEDS REVIEW" in line)
    assert violation < review
    assert lines[violation].split()[1] == "CANSPAM-POSTAL"
    assert "15 U.S.C. § 7704(a)(5)(A)(iii); 16 C.F.R. § 316.2(p)" in lines[violation]
    assert "No physical postal address appears" in part
    assert "searched the visible text: postal_addresses" in part
    assert 'visible text: "unsubscribe"' in part


def test_text_evidence_reads_as_words_not_field_paths_or_escapes():
    """Evidence is labelled in words and quoted on one line with ⏎ for line breaks: no
    field path, no offsets, no \\x0a escape, no engine note such as "captured"."""
    multi = finding("CANSPAM-POSTAL", Status.NEEDS_REVIEW, evidence=(
        Evidence("body.visible_text", 0, 21, "Dear Friend,\n\nI am Mr"),
        Evidence("postal_address.status", 0, 4, "none"),
        Evidence("received[1].raw", 5, 9, "from"),
        Evidence("postal_address.searched", 0, 16, "the visible text", note="captured"),
    ))
    text = render("text", [AuditResult("trap/9.eml", "d" * 64, 9, findings=(multi,))])
    assert 'visible text: "Dear Friend,⏎⏎I am Mr"' in text
    assert "postal-address assessment: none found" in text  # the conclusion in words, not quoted as text
    assert 'Received header 2: "from"' in text
    assert "\\x0a" not in text and "[0:4]" not in text and "captured" not in text
    assert "postal_address" not in text


def test_text_hides_compliant_and_not_applicable_unless_all():
    default = render("text")
    assert "CANSPAM-HEADER" not in block(default, "trap/0001.eml")
    assert "nothing to report: 1 compliant, 1 not applicable" in block(default, "trap/0002.eml")
    everything = render("text", statuses=ALL_STATUSES)
    assert "COMPLIANT" in block(everything, "trap/0001.eml")
    assert "N/A" in block(everything, "trap/0001.eml")


def test_text_reports_unreadable_input_as_error():
    assert "ERROR         empty file" in block(render("text"), "trap/0003.eml")


def test_text_escapes_terminal_controls_from_the_message():
    text = render("text")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "Win \\x1b[2J\\x1b]0;pwned\\x07 now \\udc80" in text
    text.encode("utf-8")  # no lone surrogate reaches the stream


def test_text_caps_long_evidence_lists():
    many = tuple(Evidence("body.visible_text", i, i + 1, "x") for i in range(30))
    result = AuditResult("m.eml", "d" * 64, 1, findings=(finding("R", Status.VIOLATION,
                                                                 evidence=many),))
    text = render("text", results=[result])
    assert text.count('visible text: "x"') == 12
    assert "and 18 more evidence item(s)" in text


def test_text_colour_only_when_asked():
    assert "\x1b[" not in render("text")
    assert "\x1b[1;31mVIOLATION" in render("text", color=True)


def test_text_summary_counts_statuses_and_rules():
    text = render("text")
    summary = text[text.index("4 messages:"):]
    assert "3 audited, 1 could not be audited" in summary
    assert "VIOLATION" in summary and "2 finding(s) in 2 message(s)" in summary
    assert "CANSPAM-OPTOUT  1 violation, 1 needs review" in summary


# --- json and jsonl -------------------------------------------------------------------


def test_json_matches_the_published_schema():
    document = json.loads(render("json"))
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text()))
    assert document["schema"] == SCHEMA == "spamlaw.audit/1"
    assert document["ruleset"] == {"sha256": "e" * 64, "rules": 4}


def test_json_lists_every_message_in_order_with_identity():
    document = json.loads(render("json"))
    assert [m["source"] for m in document["messages"]] == [r.source for r in RESULTS]
    first = document["messages"][0]
    assert first["from"] == "Deals <deals@spam.example>"
    assert first["message_id"] == "<1@spam.example>"
    assert document["messages"][2]["errors"] == ["empty file"]
    assert document["messages"][2]["findings"] == []
    assert document["summary"]["not_audited"] == 1


def test_json_findings_sorted_by_rule_and_filtered_by_status():
    document = json.loads(render("json"))
    rules = [f["rule"] for f in document["messages"][0]["findings"]]
    assert rules == ["CANSPAM-OPTOUT", "CANSPAM-POSTAL"]
    assert document["statuses"] == ["violation", "error", "needs_review"]
    everything = json.loads(render("json", statuses=ALL_STATUSES))
    rules = [f["rule"] for f in everything["messages"][0]["findings"]]
    assert rules == ["CA-17529.5", "CANSPAM-HEADER", "CANSPAM-OPTOUT", "CANSPAM-POSTAL"]


def test_json_finding_carries_citations_evidence_and_penalty():
    postal = json.loads(render("json"))["messages"][0]["findings"][1]
    assert postal["citations"] == ["15 U.S.C. § 7704(a)(5)(A)(iii)", "16 C.F.R. § 316.2(p)"]
    assert postal["evidence"] == [{"field": "body.visible_text", "searched": ["postal_addresses"]}]
    assert postal["penalty"] == {"per": "message", "amount": 53088}
    optout = json.loads(render("json"))["messages"][0]["findings"][0]
    assert optout["evidence"] == [
        {"field": "body.visible_text", "start": 40, "end": 51, "quote": "unsubscribe"}
    ]


def test_json_is_deterministic_ascii_and_strict():
    first, second = render("json"), render("json")
    assert first == second
    first.encode("ascii")
    hostile = json.loads(first)["messages"][3]
    assert hostile["subject"].endswith("now \ufffd")  # lone surrogate -> U+FFFD, same length
    assert len(hostile["subject"]) == len(HOSTILE.subject)


def test_json_with_no_messages_is_valid():
    document = json.loads(render("json", results=[]))
    assert document["messages"] == []
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text()))


def test_jsonl_lines_are_the_json_messages():
    lines = render("jsonl").splitlines()
    assert len(lines) == len(RESULTS)
    schema = json.loads(SCHEMA_FILE.read_text())
    message_schema = {**schema["$defs"]["message"], "$defs": schema["$defs"]}
    for line in lines:
        jsonschema.validate(json.loads(line), message_schema)
    assert [json.loads(line) for line in lines] == json.loads(render("json"))["messages"]


def test_text_says_a_search_that_found_nothing_plainly_and_records_in_words():
    absent = finding("R", Status.NEEDS_REVIEW, evidence=(
        Evidence("in_reply_to", searched=("a value",), note="absent"),
        Evidence("pictures.blocking", searched=("any item",), note="the list is empty"),
        Evidence("ad_label.matches", searched=("items meeting the rule's conditions",), note="the list is empty"),
        Evidence("received.trusted[0]", quote="index: 0; from_name: unknown; ip: 192.0.2.1", note="captured"),
    ))
    text = render("text", [AuditResult("trap/a.eml", "d" * 64, 9, findings=(absent,))])
    assert "In-Reply-To header: absent" in text
    assert "pictures that could hold the missing opt-out notice or postal address: none" in text
    assert "advertisement labels: none meeting the rule's conditions" in text  # not "none" outright
    assert "introduced itself as: unknown; IP address: 192.0.2.1" in text
    assert "from_name" not in text and "index: 0" not in text and "any item" not in text
