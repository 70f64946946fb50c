"""The operator table: every test a field condition can make, in one place.

Each operator has a name (the YAML key counsel writes), the kind of argument it takes,
the field types it applies to, its options, a one-line explanation (used by the manual,
the JSON Schema and `spamlaw rules explain`), a `prepare` step that runs once when the
rules load (regexes are compiled there) and a pure `test(value, prepared, other)` that
returns a `Match`: true or false, and the character spans it matched in a text value.

Text comparisons ignore case unless the condition says `case_sensitive: true`.
Patterns run under the `regex` module with a timeout, so a pathological pattern on
hostile mail ends with a `PatternTimeout` (the rule's outcome becomes `error`) instead
of hanging a batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import regex

REGEX_TIMEOUT = 1.0  # seconds per search
MAX_SPANS = 10  # matches recorded per condition (the first ones)

TEXT = frozenset({"text"})
SCALARS = frozenset({"text", "bool", "int", "datetime"})
LISTS = frozenset({"list[text]", "list[record]"})

# Argument kinds: what counsel writes after the operator name.
ARG_KINDS = {
    "text": "a piece of text",
    "texts": "a list of texts, or {list: NAME} for a list in rules/lists/",
    "scalar": "a text, number or true/false (matching the field's type)",
    "scalars": "a list of texts or numbers, or {list: NAME}",
    "regex": "a regular expression",
    "regexes": "a list of regular expressions, or {list: NAME} for a list in rules/lists/",
    "flag": "true",
    "count": "a whole number (0 or more)",
    "date": "a date (YYYY-MM-DD) or an ISO date-time",
    "list": "the name of a list in rules/lists/",
    "field": "the name of another field (inside `where`: an item key or a message field)",
}

# Options a field condition may add, with their meaning.
OPTIONS = {
    "case_sensitive": "compare text exactly, upper and lower case distinct (default: false, case is ignored)",
    "whole_words": "match only whole words: no letter or digit right before or after (default: false)",
}


class PatternTimeout(Exception):
    """A pattern search ran longer than REGEX_TIMEOUT on one value."""


@dataclass(frozen=True)
class Match:
    ok: bool
    spans: tuple[tuple[int, int], ...] = ()  # offsets into a text value
    note: str | None = None


@dataclass(frozen=True)
class Operator:
    name: str
    arg: str  # a key of ARG_KINDS
    field_types: frozenset[str]
    options: tuple[str, ...]
    doc: str
    example: str
    prepare: Callable[[Any, dict[str, bool]], Any]
    test: Callable[[Any, Any, Any], Match]


@dataclass(frozen=True)
class NamedListArg:
    """What `in_list` receives after loading: the list's name, kind and entries."""

    name: str
    kind: str  # "values" or "domains"
    items: tuple[str, ...]


# ------------------------------------------------------------------ helpers


def _flags(options: dict[str, bool]) -> int:
    return regex.V0 if options.get("case_sensitive") else regex.V0 | regex.IGNORECASE


def _fold(text: str, options: dict[str, bool]) -> str:
    return text if options.get("case_sensitive") else text.casefold()


def _literals(texts: Iterable[str], options: dict[str, bool]) -> regex.Pattern:
    """One pattern matching any of `texts` literally (longest first). With whole_words,
    an entry that begins (ends) with a letter or digit must not follow (precede) one."""
    parts = []
    for text in sorted(set(texts), key=lambda t: (-len(t), t)):
        part = regex.escape(text)
        if options.get("whole_words"):
            if _WORD.match(text[:1]):
                part = r"(?<!\w)" + part
            if _WORD.match(text[-1:]):
                part += r"(?!\w)"
        parts.append(part)
    return regex.compile("(?:" + "|".join(parts) + ")", _flags(options))


_WORD = regex.compile(r"\w")


def _search(pattern: regex.Pattern, text: str) -> Match:
    spans: list[tuple[int, int]] = []
    try:
        for found in pattern.finditer(text, timeout=REGEX_TIMEOUT):
            spans.append(found.span())
            if len(spans) >= MAX_SPANS:
                break
    except TimeoutError as exc:
        raise PatternTimeout(
            f"pattern {pattern.pattern!r} ran longer than {REGEX_TIMEOUT:g}s on {len(text)} characters"
        ) from exc
    return Match(bool(spans), tuple(spans))


def _whole(value: str) -> tuple[tuple[int, int], ...]:
    return ((0, len(value)),)


def _absent() -> Match:
    return Match(False, note="absent")


# ------------------------------------------------------------------ text operators


def _prepare_equals(arg: Any, options: dict[str, bool]) -> tuple[Any, dict[str, bool]]:
    return (_fold(arg, options) if isinstance(arg, str) else arg), options


def _value_text(value: Any) -> str:
    """A non-text value as a note shows it to people (true, 12, not True or '12')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _equals(value: Any, prepared: tuple[Any, dict[str, bool]], other: Any) -> Match:
    arg, options = prepared
    if value is None:
        return _absent()
    if isinstance(value, str):
        ok = _fold(value, options) == arg
        return Match(ok, _whole(value))
    ok = type(value) is type(arg) and value == arg
    return Match(ok, note=f"value {_value_text(value)}")


def _prepare_equals_any(arg: list, options: dict[str, bool]) -> tuple[frozenset, dict[str, bool]]:
    return frozenset(_fold(a, options) if isinstance(a, str) else a for a in arg), options


def _equals_any(value: Any, prepared: tuple[frozenset, dict[str, bool]], other: Any) -> Match:
    entries, options = prepared
    if value is None:
        return _absent()
    if isinstance(value, str):
        return Match(_fold(value, options) in entries, _whole(value))
    ok = not isinstance(value, bool) and value in entries
    return Match(ok, note=f"value {_value_text(value)}")


def _prepare_contains(arg: str, options: dict[str, bool]) -> regex.Pattern:
    return _literals([arg], options)


def _prepare_contains_any(arg: list[str], options: dict[str, bool]) -> regex.Pattern:
    return _literals(arg, options)


def _text_search(value: Any, prepared: regex.Pattern, other: Any) -> Match:
    if value is None:
        return _absent()
    return _search(prepared, value)


def _prepare_starts_with(arg: str, options: dict[str, bool]) -> regex.Pattern:
    return regex.compile(r"\A" + regex.escape(arg), _flags(options))


def _starts_with(value: Any, prepared: regex.Pattern, other: Any) -> Match:
    if value is None:
        return _absent()
    found = prepared.match(value)
    return Match(True, (found.span(),)) if found else Match(False)


def _prepare_ends_with(arg: str, options: dict[str, bool]) -> tuple[regex.Pattern, int]:
    return regex.compile(regex.escape(arg) + r"\Z", _flags(options)), len(arg)


def _ends_with(value: Any, prepared: tuple[regex.Pattern, int], other: Any) -> Match:
    if value is None:
        return _absent()
    pattern, length = prepared
    found = pattern.search(value, max(0, len(value) - 2 * length - 2))
    return Match(True, (found.span(),)) if found else Match(False)


def compile_pattern(arg: str, options: dict[str, bool]) -> regex.Pattern:
    """Compile a `matches` pattern (raises regex.error on a bad one)."""
    return regex.compile(arg, _flags(options))


def _prepare_matches(arg: str, options: dict[str, bool]) -> regex.Pattern:
    return compile_pattern(arg, options)


def _prepare_matches_any(arg: list[str], options: dict[str, bool]) -> tuple[regex.Pattern, ...]:
    return tuple(compile_pattern(pattern, options) for pattern in arg)


def _matches_any(value: Any, prepared: tuple[regex.Pattern, ...], other: Any) -> Match:
    if value is None:
        return _absent()
    spans: list[tuple[int, int]] = []
    for pattern in prepared:
        spans.extend(_search(pattern, value).spans)
        if len(spans) >= MAX_SPANS:
            break
    return Match(bool(spans), tuple(sorted(spans)[:MAX_SPANS]))


# ------------------------------------------------------------------ presence and counts


def _prepare_nothing(arg: Any, options: dict[str, bool]) -> Any:
    return arg


def _exists(value: Any, prepared: Any, other: Any) -> Match:
    if value is None:
        return Match(False, note="absent")
    if isinstance(value, str):
        return Match(True, _whole(value))
    return Match(True, note=f"value {_value_text(value)}")


def _missing(value: Any, prepared: Any, other: Any) -> Match:
    found = _exists(value, prepared, other)
    return Match(not found.ok, found.spans, "absent" if not found.ok else found.note)


def _not_empty(value: Any, prepared: Any, other: Any) -> Match:
    if value is None:
        return Match(False, note="absent")
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return Match(False, note="only white space" if value else "empty")
        start = value.index(stripped[0])
        return Match(True, ((start, start + len(stripped)),))
    return Match(len(value) > 0, note=f"{len(value)} item(s)")


def _count_at_least(value: Any, prepared: int, other: Any) -> Match:
    count = len(value or ())
    return Match(count >= prepared, note=f"{count} item(s)")


def _compare_number(check: Callable[[int, int], bool]) -> Callable[[Any, int, Any], Match]:
    """A number operator: false (absent) when the field has no number."""

    def test(value: Any, prepared: int, other: Any) -> Match:
        if not isinstance(value, int) or isinstance(value, bool):
            return _absent()
        return Match(check(value, prepared), note=f"value {value}")

    return test


_greater_than = _compare_number(lambda value, limit: value > limit)
_less_than = _compare_number(lambda value, limit: value < limit)
_at_most = _compare_number(lambda value, limit: value <= limit)
_at_least = _compare_number(lambda value, limit: value >= limit)


# ------------------------------------------------------------------ dates


def _as_instant(arg: dt.date) -> dt.datetime | dt.date:
    if isinstance(arg, dt.datetime) and arg.tzinfo is None:
        return arg.replace(tzinfo=dt.UTC)
    return arg


def _compare_date(value: Any, arg: dt.date) -> int | None:
    """-1, 0 or 1 comparing `value` (a datetime) with `arg`; a plain date compares with
    the calendar day of `value` in its own offset (the day the sender's clock showed)."""
    if not isinstance(value, dt.datetime):
        return None
    arg = _as_instant(arg)
    if isinstance(arg, dt.datetime):
        left = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return (left > arg) - (left < arg)
    day = value.date()
    return (day > arg) - (day < arg)


def _date_note(value: dt.datetime, order: int, limit: dt.date) -> str:
    """'2006-03-14 14:30:04 UTC is before 2008-07-07': the comparison in words."""
    when = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value.tzinfo else str(value)
    shown = (limit.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
             if isinstance(limit, dt.datetime) and limit.tzinfo else limit.isoformat())
    return f"{when} is {('before', 'the same as', 'after')[order + 1]} {shown}"


def _before(value: Any, prepared: dt.date, other: Any) -> Match:
    order = _compare_date(value, prepared)
    if order is None:
        return _absent()
    return Match(order < 0, note=_date_note(value, order, prepared))


def _after(value: Any, prepared: dt.date, other: Any) -> Match:
    order = _compare_date(value, prepared)
    if order is None:
        return _absent()
    return Match(order > 0, note=_date_note(value, order, prepared))


# ------------------------------------------------------------------ lists and other fields


def _prepare_in_list(arg: NamedListArg, options: dict[str, bool]) -> tuple:
    if arg.kind == "domains":
        entries = frozenset(item.lower().strip(".") for item in arg.items)
    else:
        entries = frozenset(_fold(item, options) for item in arg.items)
    return arg, entries, options


def _in_list(value: Any, prepared: tuple, other: Any) -> Match:
    if value is None:
        return _absent()
    named, entries, options = prepared
    if named.kind == "domains":
        labels = value.lower().strip().rstrip(".").split(".")
        for i in range(len(labels)):
            candidate = ".".join(labels[i:])
            if candidate in entries:
                return Match(True, _whole(value), f"listed in {named.name} as {candidate!r}")
        return Match(False, _whole(value), f"not in {named.name}")
    ok = _fold(value, options) in entries
    return Match(ok, _whole(value), f"{'listed' if ok else 'not'} in {named.name}")


def _prepare_options(arg: Any, options: dict[str, bool]) -> dict[str, bool]:
    return options


def _differs_from(value: Any, options: dict[str, bool], other: Any) -> Match:
    if value is None or other is None:
        return Match(False, note="one of the two values is absent")
    if isinstance(value, str) and isinstance(other, str):
        ok = _fold(value, options) != _fold(other, options)
        return Match(ok, _whole(value), f"{'differs from' if ok else 'same as'} {other!r}")
    ok = value != other
    return Match(ok, note=f"{value!r} {'differs from' if ok else 'same as'} {other!r}")


# ------------------------------------------------------------------ the table

_TEXT_OPTIONS = ("case_sensitive",)
_WORD_OPTIONS = ("case_sensitive", "whole_words")

_TABLE = [
    Operator(
        "equals", "scalar", frozenset({"text", "bool", "int"}), _TEXT_OPTIONS,
        "The value is exactly this (text ignores case unless case_sensitive).",
        "{field: adult.label, equals: malformed}",
        _prepare_equals, _equals,
    ),
    Operator(
        "equals_any", "scalars", frozenset({"text", "int"}), _TEXT_OPTIONS,
        "The value is one of these.",
        "{field: result, equals_any: [fail, softfail]}",
        _prepare_equals_any, _equals_any,
    ),
    Operator(
        "contains", "text", TEXT, _WORD_OPTIONS,
        "The text contains this piece of text anywhere.",
        '{field: url, contains: "unsubscribe"}',
        _prepare_contains, _text_search,
    ),
    Operator(
        "contains_any", "texts", TEXT, _WORD_OPTIONS,
        "The text contains at least one of these pieces of text (every occurrence is evidence).",
        "{field: subject, contains_any: {list: transactional_subject_phrases}, whole_words: true}",
        _prepare_contains_any, _text_search,
    ),
    Operator(
        "starts_with", "text", TEXT, _TEXT_OPTIONS,
        "The text begins with this.",
        '{field: subject, starts_with: "SEXUALLY-EXPLICIT: ", case_sensitive: true}',
        _prepare_starts_with, _starts_with,
    ),
    Operator(
        "ends_with", "text", TEXT, _TEXT_OPTIONS,
        "The text ends with this.",
        '{field: subject, ends_with: "(fwd)"}',
        _prepare_ends_with, _ends_with,
    ),
    Operator(
        "matches", "regex", TEXT, _TEXT_OPTIONS,
        "A regular expression finds a match somewhere in the text (use ^ and $ to anchor; "
        "(?m) makes them match at line breaks).",
        r"{field: subject, matches: '^\s*(re|fwd?)\s*:'}",
        _prepare_matches, _text_search,
    ),
    Operator(
        "matches_any", "regexes", TEXT, _TEXT_OPTIONS,
        "At least one of these regular expressions finds a match (every match is evidence); "
        "the patterns may be a list in rules/lists/.",
        r"{field: subject, matches_any: ['\bfree\b', '\bwin(ner)?\b']}",
        _prepare_matches_any, _matches_any,
    ),
    Operator(
        "exists", "flag", SCALARS, (),
        "The field has a value (a header that is present, even if empty).",
        "{field: in_reply_to, exists: true}",
        _prepare_nothing, _exists,
    ),
    Operator(
        "missing", "flag", SCALARS, (),
        "The field has no value (e.g. the header is absent).",
        "{field: from.address, missing: true}",
        _prepare_nothing, _missing,
    ),
    Operator(
        "not_empty", "flag", TEXT | LISTS, (),
        "Text with something other than white space, or a list with at least one item.",
        "{field: body.visible_text, not_empty: true}",
        _prepare_nothing, _not_empty,
    ),
    Operator(
        "count_at_least", "count", LISTS, (),
        "The list has at least this many items.",
        "{field: references, count_at_least: 1}",
        _prepare_nothing, _count_at_least,
    ),
    Operator(
        "greater_than", "count", frozenset({"int"}), (),
        "The number is greater than this (false when the number is absent).",
        "{field: case.opt_out.business_days_after, greater_than: 10}",
        _prepare_nothing, _greater_than,
    ),
    Operator(
        "less_than", "count", frozenset({"int"}), (),
        "The number is less than this (false when the number is absent).",
        "{field: commercial.score, less_than: 3}",
        _prepare_nothing, _less_than,
    ),
    Operator(
        "at_most", "count", frozenset({"int"}), (),
        "The number is this or less (false when the number is absent).",
        "{field: case.opt_out.business_days_after, at_most: 10}",
        _prepare_nothing, _at_most,
    ),
    Operator(
        "at_least", "count", frozenset({"int"}), (),
        "The number is this or more (false when the number is absent). Beside field: it is "
        "this operator; alone, at_least: {n, of} is the condition form.",
        "{field: case.opt_out.business_days_after, at_least: 11}",
        _prepare_nothing, _at_least,
    ),
    Operator(
        "before", "date", frozenset({"datetime"}), (),
        "The date is earlier than this (a plain date compares calendar days in the message's own time zone).",
        "{field: date, before: 2008-07-07}",
        _prepare_nothing, _before,
    ),
    Operator(
        "after", "date", frozenset({"datetime"}), (),
        "The date is later than this.",
        "{field: date, after: 1970-01-01}",
        _prepare_nothing, _after,
    ),
    Operator(
        "in_list", "list", TEXT, _TEXT_OPTIONS,
        "The value is an entry of a named list; in a `kind: domains` list a subdomain of an "
        "entry counts too (mail.yahoo.com is in a list holding yahoo.com).",
        "{field: from.domain, in_list: free_mail_domains}",
        _prepare_in_list, _in_list,
    ),
    Operator(
        "differs_from", "field", frozenset({"text", "int", "bool"}), _TEXT_OPTIONS,
        "The value differs from another field's value; false when either is absent.",
        "{field: return_path.domain, differs_from: from.domain}",
        _prepare_options, _differs_from,
    ),
]

OPERATORS: dict[str, Operator] = {op.name: op for op in _TABLE}


_FLAG_SEARCH = {"exists": "a value", "missing": "a value", "not_empty": "content other than white space"}


def describe(op: Operator, arg_text: str) -> str:
    """How a condition reads in explanations and `searched` lists: `contains "x"`."""
    if op.arg == "flag":
        return _FLAG_SEARCH.get(op.name, op.name)
    return f"{op.name} {arg_text}"
