"""The operator table: each operator's truth, spans and options, on plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from checker.operators import ARG_KINDS, MAX_SPANS, OPERATORS, OPTIONS, NamedListArg, PatternTimeout
from checker.ruleset.spec import CONDITION_FORMS


def run(name, value, arg=None, other=None, **options):
    op = OPERATORS[name]
    return op.test(value, op.prepare(arg, options), other)


def quoted(value, match):
    return [value[s:e] for s, e in match.spans]


def test_table_is_complete_and_documented():
    assert set(OPERATORS) == {
        "equals", "equals_any", "contains", "contains_any", "starts_with", "ends_with", "matches",
        "exists", "missing", "not_empty", "count_at_least", "greater_than", "before", "after", "in_list",
        "differs_from", "less_than", "at_most", "at_least", "matches_any",
    }
    for op in OPERATORS.values():
        assert op.arg in ARG_KINDS and op.doc and op.example.startswith("{")
        assert set(op.options) <= set(OPTIONS)
    # only at_least is both: beside field: the operator, alone the {n, of} form
    assert {op for op in OPERATORS if op in CONDITION_FORMS} == {"at_least"}


@pytest.mark.parametrize(
    ("name", "value", "limit", "ok"),
    [
        ("less_than", 9, 10, True), ("less_than", 10, 10, False),
        ("at_most", 10, 10, True), ("at_most", 11, 10, False),
        ("at_least", 10, 10, True), ("at_least", 9, 10, False),
        ("greater_than", 11, 10, True), ("greater_than", 10, 10, False),
    ],
)
def test_number_comparisons(name, value, limit, ok):
    assert run(name, value, limit).ok is ok
    assert not run(name, None, limit).ok  # an absent number never satisfies a comparison


def test_matches_any_quotes_every_pattern_match():
    text = "FREE pills, you are a WINNER"
    match = run("matches_any", text, [r"\bfree\b", r"\bwin(ner)?\b"])
    assert match.ok and quoted(text, match) == ["FREE", "WINNER"]
    assert not run("matches_any", "hello", [r"\bfree\b", "win"]).ok
    assert not run("matches_any", None, ["x"]).ok


def test_equals_ignores_case_unless_case_sensitive():
    assert run("equals", "Commercial", "commercial").ok
    assert not run("equals", "Commercial", "commercial", case_sensitive=True).ok
    assert run("equals", "Commercial", "commercial").spans == ((0, 10),)


def test_equals_on_bool_and_int_is_type_strict():
    assert run("equals", True, True).ok
    assert not run("equals", 1, True).ok  # 1 is not true
    assert not run("equals", None, True).ok
    assert run("equals", 3, 3).ok


def test_equals_any():
    assert run("equals_any", "SoftFail", ["fail", "softfail"]).ok
    assert not run("equals_any", "pass", ["fail", "softfail"]).ok
    assert run("equals_any", 4, [3, 4]).ok


def test_contains_finds_every_occurrence_with_offsets():
    text = "Unsubscribe here. To unsubscribe, reply."
    match = run("contains", text, "unsubscribe")
    assert match.ok
    assert match.spans == ((0, 11), (21, 32))
    assert quoted(text, match) == ["Unsubscribe", "unsubscribe"]


def test_contains_whole_words():
    assert run("contains", "wholesale prices", "sale").ok
    assert not run("contains", "wholesale prices", "sale", whole_words=True).ok
    assert run("contains", "big sale today", "sale", whole_words=True).ok


def test_whole_words_only_bounds_word_edges():
    # "order #" ends with a symbol: a digit right after it must still match
    match = run("contains_any", "Your order #4471 shipped", ["order #"], whole_words=True)
    assert match.ok and match.spans == ((5, 12),)


def test_contains_any_prefers_the_longest_entry():
    text = "Buy now and save"
    match = run("contains_any", text, ["buy", "buy now"])
    assert quoted(text, match) == ["Buy now"]


def test_spans_are_capped():
    text = "x " * (MAX_SPANS + 5)
    assert len(run("contains", text, "x").spans) == MAX_SPANS


def test_starts_with_exact_mark():
    label = "SEXUALLY-EXPLICIT: "
    assert run("starts_with", "SEXUALLY-EXPLICIT: hot", label, case_sensitive=True).spans == ((0, 19),)
    assert not run("starts_with", "Sexually-Explicit: hot", label, case_sensitive=True).ok
    assert run("starts_with", "Sexually-Explicit: hot", label).ok  # case ignored by default
    assert not run("starts_with", " SEXUALLY-EXPLICIT: hot", label, case_sensitive=True).ok


def test_ends_with():
    text = "Great deal (FWD)"
    match = run("ends_with", text, "(fwd)")
    assert match.ok and quoted(text, match) == ["(FWD)"]
    assert not run("ends_with", "(fwd) great deal", "(fwd)").ok
    assert not run("ends_with", None, "(fwd)").ok


def test_matches_is_case_insensitive_by_default():
    text = "RE: hello"
    match = run("matches", text, r"^\s*re\s*:")
    assert match.ok and quoted(text, match) == ["RE:"]
    assert not run("matches", text, r"^\s*re\s*:", case_sensitive=True).ok


def test_matches_times_out_instead_of_hanging():
    with pytest.raises(PatternTimeout, match="ran longer"):
        run("matches", "a" * 60 + "b", r"(a|aa)+$")


def test_presence_operators():
    assert run("exists", "", True).ok  # a header present but empty exists
    assert not run("exists", None, True).ok
    assert run("missing", None, True).ok
    assert not run("missing", "x", True).ok
    assert not run("not_empty", "  \n", True).ok
    text = "  hi there "
    match = run("not_empty", text, True)
    assert match.ok and quoted(text, match) == ["hi there"]
    assert run("not_empty", ["a"], True).ok and not run("not_empty", [], True).ok


def test_count_at_least():
    assert run("count_at_least", ["<a@b>"], 1).ok
    assert not run("count_at_least", [], 1).ok
    assert run("count_at_least", [], 0).ok


def test_before_and_after_with_dates_and_datetimes():
    sent = dt.datetime(2008, 7, 6, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 04:30Z on the 7th
    assert run("before", sent, dt.date(2008, 7, 7)).ok  # the sender's calendar day was the 6th
    assert not run("after", sent, dt.date(2008, 7, 6)).ok
    assert not run("before", sent, dt.datetime(2008, 7, 7, 4, 0, tzinfo=dt.UTC)).ok  # instants compare
    assert run("after", sent, dt.datetime(2008, 7, 7, 4, 0)).ok  # a naive date-time is UTC
    assert not run("before", None, dt.date(2008, 7, 7)).ok


def test_in_list_values_and_domains():
    domains = NamedListArg("free", "domains", ("yahoo.com", "gmail.com"))
    assert run("in_list", "mail.yahoo.com", domains).ok
    assert run("in_list", "GMAIL.COM.", domains).ok
    assert not run("in_list", "notgmail.com", domains).ok
    values = NamedListArg("codes", "values", ("MA", "CA"))
    assert run("in_list", "ma", values).ok
    assert not run("in_list", "ma", values, case_sensitive=True).ok


def test_differs_from_needs_both_values():
    assert run("differs_from", "a.example", None, other="b.example").ok
    assert not run("differs_from", "A.example", None, other="a.example").ok
    assert not run("differs_from", "a.example", None, other=None).ok
    assert not run("differs_from", None, None, other="a.example").ok


def test_numeric_comparisons_are_strict_and_false_when_absent():
    assert run("greater_than", 11, 10).ok
    assert not run("greater_than", 10, 10).ok
    assert not run("greater_than", None, 10).ok
    assert not run("greater_than", True, 0).ok  # a yes/no is not a number
