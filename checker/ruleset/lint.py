"""`spamlaw rules lint`: the loader's errors plus validators that catch weak rules.

Each validator is a small class (the pySigma pattern): an id, a level, one sentence of
purpose, and `check(build)` yielding `Problem`s. Add one by writing a class and listing
it in VALIDATORS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from checker.ruleset.compile import Build, build_ruleset
from checker.ruleset.model import FieldCond, Rule, iter_conditions
from checker.ruleset.problems import ERROR, WARNING, Problem

try:  # the stdlib's regex parser, used only to inspect pattern structure
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]


class Validator:
    code = ""
    level = WARNING
    purpose = ""

    def check(self, build: Build) -> Iterator[Problem]:
        raise NotImplementedError

    def problem(self, pos, message: str) -> Problem:
        return pos.problem(message, self.code, self.level)


def _reported(build: Build) -> list[Rule]:
    return list(build.ruleset.reported_rules) if build.ruleset else []


class NoViolationTest(Validator):
    code = "no-violation-test"
    purpose = (
        "Every rule has a test that expects its strongest outcome: violation, or "
        "needs_review for a rule with only review_when."
    )

    def check(self, build: Build) -> Iterator[Problem]:
        for rule in _reported(build):
            strongest = "violation" if rule.violation_when is not None else "needs_review"
            if not any(t.expect == strongest and not t.todo for t in rule.tests):
                yield self.problem(rule.pos, f"rule {rule.id} has no test that expects {strongest}")


class NoNegativeTest(Validator):
    code = "no-negative-test"
    purpose = "Every rule has a test that expects compliant or not_applicable."

    def check(self, build: Build) -> Iterator[Problem]:
        for rule in _reported(build):
            if not any(t.expect in ("compliant", "not_applicable") and not t.todo for t in rule.tests):
                yield self.problem(rule.pos, f"rule {rule.id} has no test that expects compliant or not_applicable")


class UnusedPredicate(Validator):
    code = "unused-predicate"
    purpose = "Every predicate in predicates.yaml is used by some rule."

    def check(self, build: Build) -> Iterator[Problem]:
        if build.ruleset is None or build.only_file or build.errors:
            return  # with errors, rules that failed to load would look like non-users
        used = set()
        for usage in build.rule_usage.values():
            used |= usage.predicates
        for name, predicate in build.ruleset.predicates.items():
            if name not in used:
                yield self.problem(predicate.pos, f"predicate {name!r} is not used by any rule")


class UnusedList(Validator):
    code = "unused-list"
    purpose = "Every list in lists/ is used by some rule or predicate."

    def check(self, build: Build) -> Iterator[Problem]:
        if build.ruleset is None or build.only_file or build.errors:
            return
        used = set()
        for usage in list(build.rule_usage.values()) + list(build.predicate_usage.values()):
            used |= usage.lists
        for name, named in build.ruleset.lists.items():
            if name not in used and not named.used_by:
                yield self.problem(named.pos, f"list {name!r} is not used by any rule or predicate")


class BacktrackingRegex(Validator):
    code = "regex-backtracking"
    purpose = (
        "Patterns avoid nested unbounded quantifiers such as (a+)+ or (\\w+\\s?)*, which can "
        "take exponential time on hostile text (the engine stops them after a timeout, "
        "and the rule's outcome becomes error)."
    )

    def check(self, build: Build) -> Iterator[Problem]:
        if build.ruleset is None:
            return
        roots = [r.applies_when for r in _reported(build)] + [r.violation_when for r in _reported(build)]
        roots += [r.review_when for r in _reported(build)]
        roots += [q.condition for r in _reported(build) for q in r.requires]
        if not build.only_file:
            roots += [p.condition for p in build.ruleset.predicates.values()]
        seen = set()
        for root in roots:
            for cond in iter_conditions(root):
                if isinstance(cond, FieldCond) and cond.op.name in ("matches", "matches_any") and id(cond) not in seen:
                    seen.add(id(cond))
                    patterns = cond.prepared if cond.op.name == "matches_any" else (cond.prepared,)
                    for pattern in (p.pattern for p in patterns):
                        if nested_quantifier(pattern):
                            yield self.problem(
                                cond.arg_pos or cond.pos,
                                f"pattern {pattern!r} nests an unbounded quantifier inside another "
                                "(catastrophic backtracking); bound the inner one, e.g. {0,30}",
                            )


class BadCaseFile(Validator):
    code = "bad-case-file"
    level = ERROR
    purpose = (
        "Every case settings file a test names, where it is found, is valid. (A message or "
        "case file that cannot be found is not a lint problem: `spamlaw rules test` fails "
        "that test and says where it looked.)"
    )

    def check(self, build: Build) -> Iterator[Problem]:
        if build.ruleset is None:
            return
        from checker.case import CaseSettingsError, load_case_settings
        from checker.paths import find_sample_file

        checked: dict[str, str | None] = {}  # case file -> its problem
        for rule in _reported(build):
            for test in rule.tests:
                if not test.case:
                    continue
                if test.case not in checked:
                    path, _looked = find_sample_file(build.ruleset.root, test.case)
                    try:
                        checked[test.case] = None
                        if path is not None:
                            load_case_settings(path)
                    except CaseSettingsError as exc:
                        checked[test.case] = f"case settings file: {exc}"
                if checked[test.case]:
                    yield self.problem(test.pos, f"rule {rule.id}, test {test.index}: {checked[test.case]}")


VALIDATORS: list[Validator] = [
    NoViolationTest(),
    NoNegativeTest(),
    UnusedPredicate(),
    UnusedList(),
    BacktrackingRegex(),
    BadCaseFile(),
]


def lint(path: Path) -> tuple[list[Problem], Build]:
    """Every load problem and validator finding for the ruleset (or rule file) at `path`."""
    build = build_ruleset(path)
    problems = list(build.problems)
    if build.ruleset is not None:
        for validator in VALIDATORS:
            problems.extend(validator.check(build))
    return sorted(set(problems)), build


# ------------------------------------------------------------------ pattern analysis

_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT}
_UNBOUNDED = 10  # a repeat whose maximum is above this counts as unbounded


def nested_quantifier(pattern: str) -> bool:
    """True when an unbounded quantifier sits inside another one, e.g. (a+)+ or (x*y?)*."""
    try:
        tree = _sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return False  # regex-module syntax the stdlib cannot read: not analysed
    return _walk(tree, inside=False)


def _walk(items, inside: bool, delimiter: int | None = None) -> bool:
    """`inside`: within an unbounded repeat; `delimiter`: the literal character that
    starts each of that repeat's rounds (a part that cannot match it is unambiguous)."""
    for op, av in items:
        if op in _REPEATS:
            _low, high, sub = av
            unbounded = high == _sre.MAXREPEAT or high > _UNBOUNDED
            if unbounded and inside and _can_repeat_text(sub) and not _excludes(sub, delimiter):
                return True
            if unbounded:
                if _walk(sub, True, _first_literal(sub)):
                    return True
            elif _walk(sub, inside, delimiter):
                return True
        elif op == _sre.SUBPATTERN:
            if _walk(av[-1], inside, delimiter):
                return True
        elif op == _sre.BRANCH:
            if any(_walk(branch, inside, delimiter) for branch in av[1]):
                return True
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            if _walk(av[1], inside, delimiter):
                return True
        # ATOMIC_GROUP and POSSESSIVE_REPEAT never backtrack into themselves: skipped
    return False


def _first_literal(sub) -> int | None:
    """The character every match of `sub` starts with, when it is one fixed literal."""
    items = list(sub)
    while items:
        op, av = items[0]
        if op == _sre.LITERAL:
            return av
        if op != _sre.SUBPATTERN:
            return None
        items = list(av[-1])
    return None


def _can_repeat_text(sub) -> bool:
    """The repeated part can consume text (not only anchors)."""
    return any(op not in (_sre.AT,) for op, _av in sub)


_CATEGORY_TESTS = {
    _sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D",
    _sre.CATEGORY_SPACE: r"\s", _sre.CATEGORY_NOT_SPACE: r"\S",
    _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W",
}


def _excludes(sub, char: int | None) -> bool:
    """The single repeated item in `sub` can never match `char`."""
    items = list(sub)
    if char is None or len(items) != 1:
        return False
    return not _may_match(items[0], chr(char))


def _may_match(item, char: str) -> bool:
    op, av = item
    if op == _sre.LITERAL:
        return av == ord(char)
    if op == _sre.NOT_LITERAL:
        return av != ord(char)
    if op == _sre.IN:
        negate = any(o == _sre.NEGATE for o, _ in av)
        hit = any(_may_match(entry, char) for entry in av if entry[0] != _sre.NEGATE)
        return hit != negate
    if op == _sre.RANGE:
        return av[0] <= ord(char) <= av[1]
    if op == _sre.CATEGORY and av in _CATEGORY_TESTS:
        return re.fullmatch(_CATEGORY_TESTS[av], char) is not None
    return True  # anything else: assume it might
