"""The engine on in-memory messages: outcomes, weak truth, evidence, laziness, errors."""

from __future__ import annotations

import json

import pytest
from rules_support import (
    Boom,
    message,
    register_fake_fields,
    rule_file,
    unregister,
    when,
    write_ruleset,
)

from checker.engine import Result, _all, _any, _at_least, audit, explain
from checker.findings import Status
from checker.ruleset import load_ruleset


@pytest.fixture(autouse=True)
def fake_fields():
    names = register_fake_fields()
    yield
    unregister(names)


def rule(rule_id="T-R", *, applies=None, violation=None, review=None, reason=None, finding="Found.",
         extra="", citations="[act-2]"):
    lines = [f"- id: {rule_id}", f"  title: Rule {rule_id}", f"  citations: {citations}", "  severity: high"]
    if applies:
        lines.append(f"  applies_when: {applies}")
    if violation:
        lines.append(f"  violation_when: {violation}")
    if review:
        lines.append(f"  review_when: {review}")
        lines.append(f"  review_reason: {reason or 'a person must decide'}")
    lines.append(f"  finding: {finding}")
    return "\n".join(lines) + "\n" + extra


def load(tmp_path, *rules, predicates=None, lists=None):
    return load_ruleset(write_ruleset(tmp_path / "rules", rule_file("".join(rules)), predicates=predicates, lists=lists))


def finding_of(ruleset, msg, rule_id="T-R"):
    return next(f for f in audit(ruleset, msg).findings if f.rule == rule_id)


# ------------------------------------------------------------------ outcomes


def test_the_five_outcomes(tmp_path):
    ruleset = load(
        tmp_path,
        rule(
            applies="{field: t.status, equals: commercial}",
            violation="{field: t.text, contains: spam}",
            review="{field: t.text, contains: maybe}",
        ),
    )
    cases = [
        ({"t.status": "personal", "t.text": "spam"}, Status.NOT_APPLICABLE),
        ({"t.status": "commercial", "t.text": "spam spam"}, Status.VIOLATION),
        ({"t.status": "commercial", "t.text": "maybe"}, Status.NEEDS_REVIEW),
        ({"t.status": "commercial", "t.text": "clean"}, Status.COMPLIANT),
        ({"t.status": "commercial", "t.text": Boom("decoder exploded")}, Status.ERROR),
    ]
    for metadata, expected in cases:
        assert finding_of(ruleset, message(**metadata)).status == expected, metadata


def test_a_failing_rule_does_not_stop_the_others(tmp_path):
    ruleset = load(
        tmp_path,
        rule("T-BAD", violation="{field: t.text, contains: x}"),
        rule("T-GOOD", violation="{field: t.other, contains: x}"),
    )
    result = audit(ruleset, message(**{"t.text": Boom("bad bytes"), "t.other": "x"}))
    bad, good = (next(f for f in result.findings if f.rule == r) for r in ("T-BAD", "T-GOOD"))
    assert bad.status == Status.ERROR and "t.text" in bad.error and "bad bytes" in bad.error
    assert "could not be evaluated" in bad.finding
    # the other rule still runs; its violation becomes review, as the message is damaged
    assert good.status == Status.NEEDS_REVIEW and good.reasons == ("field_unreadable",)
    assert "part of the message could not be read" in good.finding and "t.text" not in good.finding
    # the warning says in words what could not be read; the technical detail is the rule's error
    assert any("Could not read the t text" in e for e in result.errors)
    assert not any("Boom" in e or "field t.text" in e for e in result.errors)


def test_a_pattern_that_times_out_is_an_error_with_the_reason(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, matches: '(a|aa)+$'}"))
    found = finding_of(ruleset, message(**{"t.text": "a" * 60 + "b"}))
    assert found.status == Status.ERROR and "ran longer than" in found.error


def test_result_identifies_the_message(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: subject, contains: sale}"))
    msg = message("Big sale")
    result = audit(ruleset, msg)
    assert (result.source, result.sha256, result.size) == ("test-message", msg.sha256, msg.size)
    assert (result.sender, result.subject) == ("sender@example.com", "Big sale")
    assert result.message_id == "<m1@example.com>"
    assert result.date == "Mon, 02 Jun 2025 10:00:00 +0000"
    assert [f.citations for f in result.findings] == [("Act § 2",)]
    assert result.findings[0].penalty["remedies"][0]["who"] == "Regulator"


# ------------------------------------------------------------------ weak truth


def test_weak_precondition_turns_violation_into_review_with_the_reason(tmp_path):
    predicates = """\
    predicates:
      commercial:
        description: sorted by a detector
        when:
          any:
            - {field: t.status, equals: commercial}
            - weakly: {field: t.status, equals: uncertain}
              reason: the commercial purpose is uncertain
    """
    ruleset = load(tmp_path, rule(applies="{use: commercial}", violation="{field: t.text, contains: spam}"),
                   predicates=predicates)
    strong = finding_of(ruleset, message(**{"t.status": "commercial", "t.text": "spam"}))
    weak = finding_of(ruleset, message(**{"t.status": "uncertain", "t.text": "spam"}))
    assert strong.status == Status.VIOLATION and strong.finding == "Found."
    assert weak.status == Status.NEEDS_REVIEW
    assert weak.finding == "Found. Needs review: the commercial purpose is uncertain."


def test_review_finding_says_why(tmp_path):
    ruleset = load(tmp_path, rule(review="{field: t.text, contains: maybe}", reason="counsel must weigh it"))
    found = finding_of(ruleset, message(**{"t.text": "maybe"}))
    assert found.finding == "Found. Needs review: counsel must weigh it."
    custom = load(tmp_path / "b", rule(review="{field: t.text, contains: maybe}", reason="weigh it",
                                       finding="'Review: {{ review_reason }}.'"))
    assert finding_of(custom, message(**{"t.text": "maybe"})).finding == "Review: weigh it."


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([(True, False), (True, True)], (True, True)),  # all: weak if any part is weak
        ([(True, False), (True, False)], (True, False)),
        ([(False, True), (True, False)], (False, True)),  # all: false only weakly
        ([(False, False), (False, True)], (False, False)),
    ],
)
def test_all_strength(parts, expected):
    result = _all([Result(v, w) for v, w in parts])
    assert (result.value, result.weak) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([(True, True), (True, False)], (True, False)),  # any: strong if a strong part is true
        ([(True, True), (False, False)], (True, True)),
        ([(False, True), (False, False)], (False, True)),
    ],
)
def test_any_strength(parts, expected):
    result = _any([Result(v, w) for v, w in parts])
    assert (result.value, result.weak) == expected


def test_at_least_strength():
    assert _at_least(2, [Result(True), Result(True, True), Result(True)]).weak is False
    assert _at_least(2, [Result(True), Result(True, True), Result(False)]).weak is True
    assert _at_least(2, [Result(True), Result(False, True), Result(False)]).value is False


# ------------------------------------------------------------------ effective dates


def received(when: str) -> dict[str, str]:
    """A trusted (topmost) Received line stamped `when` by the trap's own server."""
    return {"Received": f"from mail.sender.example ([203.0.113.9]) by mx.trap.example with ESMTP id Q1; {when}"}


def test_effective_dates_without_a_trusted_received_line_use_the_date_header(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: spam}",
                                  extra="  effective: {from: 2004-01-01, until: 2030-12-31}\n"))
    early = finding_of(ruleset, message(date="Thu, 20 Nov 2003 15:12:00 -0500", **{"t.text": "spam"}))
    assert early.status == Status.NOT_APPLICABLE
    assert early.finding == ("Not applicable: the message is dated 2003-11-20 by its Date header (the "
                             "sender's claim; no trusted Received line gives the time the trap received "
                             "it), before the rule took effect on 2004-01-01.")
    late = finding_of(ruleset, message(date="Mon, 01 Jan 2035 00:00:00 +0000", **{"t.text": "spam"}))
    assert late.status == Status.NOT_APPLICABLE and "ceased" in late.finding
    dated = finding_of(ruleset, message(**{"t.text": "spam"}))
    assert dated.status == Status.VIOLATION
    assert "Date header, which the sender writes" in dated.finding  # the finding says so
    undated = finding_of(ruleset, message(date=None, **{"t.text": "spam"}))
    assert undated.status == Status.NEEDS_REVIEW and "no usable Date" in undated.finding
    bogus = finding_of(ruleset, message(date="Tue, 02 Jun 0102 10:00:00 +0000", **{"t.text": "spam"}))
    assert bogus.status == Status.NEEDS_REVIEW and "implausible Date" in bogus.finding


def test_the_trusted_receipt_time_decides_whether_a_rule_is_in_force(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: spam}",
                                  extra="  effective: {from: 2004-01-01}\n"))
    trap_2025 = received("Mon, 02 Jun 2025 10:00:05 +0000")
    backdated = finding_of(ruleset, message(date="Tue, 02 Jun 1998 10:00:00 +0000", headers=trap_2025,
                                            **{"t.text": "spam"}))
    assert backdated.status == Status.VIOLATION
    assert "Date header" not in backdated.finding
    # a Date of year 0102 (a real mailer bug) on a message the trap received in 2002
    trap_2002 = received("Thu, 22 Aug 2002 05:07:40 +0100")
    old = finding_of(ruleset, message(date="Thu, 22 Aug 0102 12:07:35 +0800", headers=trap_2002,
                                      **{"t.text": "spam"}))
    assert old.status == Status.NOT_APPLICABLE
    assert old.finding == ("Not applicable: the message was received on 2002-08-22, before the rule "
                           "took effect on 2004-01-01.")
    unparsable = finding_of(ruleset, message(date="yesterday", headers=trap_2025, **{"t.text": "spam"}))
    assert unparsable.status == Status.VIOLATION  # no "no usable Date" review


def test_no_trusted_hop_configured_means_the_date_header_decides(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: spam}",
                                  extra="  effective: {from: 2004-01-01}\n"))
    msg = message(date="Tue, 02 Jun 1998 10:00:00 +0000", headers=received("Mon, 02 Jun 2025 10:00:05 +0000"),
                  case={"trusted_hops": 0}, **{"t.text": "spam"})
    assert finding_of(ruleset, msg).status == Status.NOT_APPLICABLE
    result = audit(ruleset, msg)
    assert result.received is None and result.date_source == "date_header"


# ------------------------------------------------------------------ evidence


def test_span_evidence_has_field_offsets_and_quote(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains_any: [buy now, free]}"))
    text = "Free pills! Buy now."
    evidence = finding_of(ruleset, message(**{"t.text": text})).evidence
    spans = [(e.field, e.start, e.end, e.quote) for e in evidence]
    assert spans == [("t.text", 0, 4, "Free"), ("t.text", 12, 19, "Buy now")]
    assert all(text[s:e] == q for _f, s, e, q in spans)


def test_absence_records_what_was_searched(tmp_path):
    lists = {"optout": "description: opt-out words\nitems: [unsubscribe, opt out]\n"}
    ruleset = load(
        tmp_path,
        rule(
            violation="{not: {any: [{field: t.text, contains_any: {list: optout}}, {any_of: t.links, where: {field: url, contains: unsub}}]}}",
            finding="'Searched {{ searched | join(\"; \") }}.'",
        ),
        lists=lists,
    )
    links = [{"url": "http://a.example/x", "text": "x", "visible": True}, {"url": "http://b.example", "text": "y", "visible": True}]
    found = finding_of(ruleset, message(**{"t.text": "Buy pills", "t.links": links}))
    assert found.status == Status.VIOLATION
    searched = {e.field: e for e in found.evidence if e.searched}
    assert searched["t.text"].searched == ("containing one of list optout (2 entries)",)
    assert searched["t.links[*].url"].searched == ('containing "unsub"',)
    assert searched["t.links[*].url"].note == "2 item(s) searched"
    assert found.finding == (
        # fields named in words, as counsel reads them (the JSON evidence keeps the paths)
        'Searched the t text for containing one of list optout (2 entries); the t links url for containing "unsub".'
    )


def test_empty_list_absence(tmp_path):
    ruleset = load(tmp_path, rule(violation="{none_of: t.words}"))
    (evidence,) = finding_of(ruleset, message()).evidence
    assert (evidence.field, evidence.note) == ("t.words", "the list is empty")


def test_detector_span_records_point_into_the_text(tmp_path):
    ruleset = load(tmp_path, rule(violation="{any_of: t.spans, where: {field: kind, equals: po_box}}"))
    records = [
        {"field": "body.visible_text", "start": 7, "end": 20, "quote": "10 Main St", "kind": "street"},
        {"field": "body.visible_text", "start": 40, "end": 53, "quote": "P.O. Box 12", "kind": "po_box"},
    ]
    (evidence,) = finding_of(ruleset, message(**{"t.spans": records})).evidence
    assert (evidence.field, evidence.start, evidence.end, evidence.quote) == ("body.visible_text", 40, 53, "P.O. Box 12")
    assert evidence.note is None  # never a field path ("t.spans[1]") in what people read
    assert evidence.source == "t.spans[1]"  # machines keep where it came from
    records[1]["reason"] = "a box, not a street address"
    (evidence,) = finding_of(ruleset, message(**{"t.spans": records})).evidence
    assert evidence.note == "a box, not a street address"


def test_evidence_key_captures_fields(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: x}", extra="  evidence: [subject, t.words]\n"))
    evidence = finding_of(ruleset, message("Hi there", **{"t.text": "x", "t.words": ["a", "b"]})).evidence
    captured = [(e.field, e.quote) for e in evidence if e.note == "captured"]
    assert captured == [("subject", "Hi there"), ("t.words[0]", "a"), ("t.words[1]", "b")]


def test_template_field_accessor_and_absent_values(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: x}",
                                  finding="'{{ field(\"t.other\") }} / {{ subject }} / {{ from }}'"))
    assert finding_of(ruleset, message(None, **{"t.text": "x"})).finding == "(absent) / (absent) / sender@example.com"


# ------------------------------------------------------------------ laziness and short circuits


def test_only_referenced_fields_are_computed(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: x}"))
    msg = message(**{"t.text": "x"})
    audit(ruleset, msg)
    computed = set(msg.computed_fields())
    assert "t.text" in computed
    assert not computed & {"t.other", "t.links", "body.visible_text", "links", "images"}


def test_any_stops_at_a_strong_true_but_keeps_its_evidence(tmp_path):
    ruleset = load(tmp_path, rule(violation="{any: [{field: t.text, contains: x}, {field: t.other, contains: y}]}"))
    msg = message(**{"t.text": "x", "t.other": "y"})
    found = finding_of(ruleset, msg)
    assert "t.other" not in msg.computed_fields()
    assert [(e.field, e.quote) for e in found.evidence] == [("t.text", "x")]


def test_any_keeps_looking_past_a_weak_true(tmp_path):
    ruleset = load(tmp_path, rule(violation="{any: [{weakly: {field: t.text, contains: x}}, {field: t.other, contains: y}]}"))
    msg = message(**{"t.text": "x", "t.other": "y"})
    assert finding_of(ruleset, msg).status == Status.VIOLATION  # the strong part decides
    assert "t.other" in msg.computed_fields()


# ------------------------------------------------------------------ rules on rules


def test_rule_conditions_run_dependencies_first(tmp_path):
    state = rule("T-STATE", review="{rule: T-FED, status_in: [violation]}", reason="state law question")
    federal = rule("T-FED", violation="{field: t.text, contains: spam}")
    ruleset = load(tmp_path, state, federal)  # written before its dependency
    assert [r.id for r in ruleset.rules] == ["T-FED", "T-STATE"]
    found = finding_of(ruleset, message(**{"t.text": "spam"}), "T-STATE")
    assert found.status == Status.NEEDS_REVIEW
    assert [(e.field, e.quote) for e in found.evidence] == [("t.text", "spam")]  # the federal rule's evidence
    assert finding_of(ruleset, message(**{"t.text": "fine"}), "T-STATE").status == Status.COMPLIANT
    failed = finding_of(ruleset, message(**{"t.text": Boom("x")}), "T-STATE")
    assert failed.status == Status.ERROR and "T-FED" in failed.error


def test_select_evaluates_dependencies_but_reports_only_the_selection(tmp_path):
    ruleset = load(
        tmp_path,
        rule("T-FED", violation="{field: t.text, contains: spam}"),
        rule("T-STATE", review="{rule: T-FED, status_in: [violation]}"),
        rule("T-OTHER", violation="{field: t.other, contains: x}", citations="[note-1]"),
    )
    picked = ruleset.select(["T-STATE"])
    assert [r.id for r in picked.rules] == ["T-FED", "T-STATE"] and picked.reported == {"T-STATE"}
    assert [f.rule for f in audit(picked, message(**{"t.text": "spam"})).findings] == ["T-STATE"]
    assert picked.referenced_fields == {"t.text"}
    assert ruleset.select(jurisdictions=["us"]).reported == {"T-FED", "T-STATE", "T-OTHER"}
    with pytest.raises(ValueError, match="T-NOPE"):
        ruleset.select(["T-NOPE"])


def test_a_parse_failure_turns_a_violation_into_review(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: spam}"))
    msg = message(**{"t.text": "spam"})
    msg.parse_error = "MIME parse failed (RecursionError); body kept unsplit"
    found = finding_of(ruleset, msg)
    assert found.status == Status.NEEDS_REVIEW and found.reasons == ("mime_broken",)
    assert "nested too deeply to read" in found.finding and "RecursionError" not in found.finding


# ------------------------------------------------------------------ explain


def test_explain_shows_every_condition_and_the_values_seen(tmp_path):
    ruleset = load(
        tmp_path,
        rule(
            applies="{field: t.status, equals: commercial}",
            violation="{all: [{field: t.text, contains: spam}, {none_of: t.words}]}",
        ),
    )
    tree = explain(ruleset, "T-R", message(**{"t.status": "commercial", "t.text": "spam!", "t.words": []}))
    assert tree.label == "T-R: violation"
    labels = [(c.label, c.value) for c in tree.children]
    assert labels == [("applies_when", True), ("violation_when", True)]
    condition = tree.children[1].children[0]
    assert [(c.label, c.value, c.seen) for c in condition.children] == [
        ('t.text contains "spam"', True, "'spam!'"),
        ("none_of t.words", True, None),
    ]
    text = tree.render_text()
    assert 't.text contains "spam": TRUE' in text and "seen: 'spam!'" in text
    json.dumps(tree.to_dict())  # serializable


def test_explain_does_not_short_circuit(tmp_path):
    ruleset = load(tmp_path, rule(violation="{any: [{field: t.text, contains: x}, {field: t.other, contains: y}]}"))
    tree = explain(ruleset, "T-R", message(**{"t.text": "x", "t.other": "no"}))
    any_node = tree.children[0].children[0]
    assert [(c.label, c.value) for c in any_node.children] == [
        ('t.text contains "x"', True),
        ('t.other contains "y"', False),
    ]


def test_unknown_rule_in_explain(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.text, contains: x}"))
    with pytest.raises(ValueError):
        explain(ruleset, "T-NOPE", message())


def test_dates_in_conditions(tmp_path):
    ruleset = load(tmp_path, rule(violation="{field: t.when, before: 2008-07-07}"))
    assert finding_of(ruleset, message(**{"t.when": when(2006, 3, 14)})).status == Status.VIOLATION
    assert finding_of(ruleset, message(**{"t.when": when(2009, 1, 1)})).status == Status.COMPLIANT
    assert finding_of(ruleset, message()).status == Status.COMPLIANT  # no date: not "before"


def test_where_over_a_list_of_texts_uses_item(tmp_path):
    lists = {"codes": "description: c\nitems: [alpha, beta]\n"}
    ruleset = load(tmp_path, rule(violation="{any_of: t.words, where: {field: item, equals_any: {list: codes}}}"),
                   lists=lists)
    found = finding_of(ruleset, message(**{"t.words": ["zeta", "Beta"]}))
    assert found.status == Status.VIOLATION
    assert [(e.field, e.quote) for e in found.evidence] == [("t.words[1]", "Beta")]
    assert finding_of(ruleset, message(**{"t.words": ["zeta"]})).status == Status.COMPLIANT


def test_a_violation_derived_from_a_failed_field_is_only_review(tmp_path):
    from checker.fields import FIELDS, Field

    def derived(msg):  # like a detector: reads another field, answers "none" when it is empty
        return "found" if msg.get("t.text") else "none"

    FIELDS["t.derived"] = Field("t.derived", "text", "derived test field", derived)
    try:
        ruleset = load(tmp_path, rule(violation="{field: t.derived, equals: none}"))
        assert finding_of(ruleset, message(**{"t.text": ""})).status == Status.VIOLATION
        found = finding_of(ruleset, message(**{"t.text": Boom("undecodable")}))
        assert found.status == Status.NEEDS_REVIEW and found.reasons == ("field_unreadable",)
        assert "could not be read" in found.finding and "Boom" not in found.finding
    finally:
        FIELDS.pop("t.derived", None)
