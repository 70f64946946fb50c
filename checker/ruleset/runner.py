"""`spamlaw rules test`: run every rule's `tests:` and compare outcomes and evidence.

Each test audits one message (a file named relative to the rule set, looked for as
`checker.paths.sample_file_candidates` says, or an inline message built into real
RFC 5322 bytes by the loader) with the rule and the rules it depends on. A message or
case file that cannot be found fails its test and says every place it looked. A test
marked `todo: true` is a known gap: its result is reported but never fails the run; a
todo test that passes is reported as `fixed` so counsel can remove the mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from checker.case import CaseSettings, CaseSettingsError, load_case_settings
from checker.engine import audit
from checker.findings import Evidence, Finding
from checker.message import Message
from checker.paths import find_sample_file
from checker.ruleset.model import Rule, Ruleset, RuleTest

PASS, FAIL, TODO, FIXED = "pass", "fail", "todo", "fixed"


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    rule: str
    test: RuleTest
    result: str  # pass | fail | todo (a known gap, still failing) | fixed (a todo that passes)
    got: str | None
    problems: tuple[str, ...] = ()
    finding: str = ""

    @property
    def failed(self) -> bool:
        return self.result == FAIL

    def line(self, verbose: bool = False) -> str:
        head = f"{self.test.pos}: {self.result.upper()} {self.rule} test {self.test.index} ({self.test.describe()})"
        if self.problems:
            head += ": " + "; ".join(self.problems)
        else:
            head += f": {self.got}"
        if self.finding and (verbose or self.result in (FAIL, TODO)):
            head += f"\n    finding: {self.finding}"
        return head

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "test": self.test.index,
            "name": self.test.describe(),
            "position": str(self.test.pos),
            "expect": self.test.expect,
            "got": self.got,
            "result": self.result,
            "problems": list(self.problems),
            "finding": self.finding,
        }


def run_tests(ruleset: Ruleset, rule_ids: tuple[str, ...] = ()) -> list[TestOutcome]:
    outcomes = []
    for rule in ruleset.reported_rules:
        if rule_ids and rule.id not in rule_ids:
            continue
        selection = ruleset.select([rule.id])
        for test in rule.tests:
            outcomes.append(_run_one(selection, rule, test))
    return outcomes


def _run_one(selection: Ruleset, rule: Rule, test: RuleTest) -> TestOutcome:
    if test.inline is not None:
        raw, source = test.inline, f"{rule.id} test {test.index} (inline)"
    else:
        path, looked = find_sample_file(selection.root, test.message or "")
        if path is None:
            return TestOutcome(rule.id, test, FAIL, None, (_not_found("message", test.message, looked),))
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return TestOutcome(rule.id, test, FAIL, None, (f"cannot read {test.message}: {exc.strerror}",))
        source = test.message or ""
    try:
        metadata = _case_metadata(selection, test)
    except CaseSettingsError as exc:
        return TestOutcome(rule.id, test, FAIL, None, (f"case settings: {exc}",))
    except _CaseNotFound as exc:
        return TestOutcome(rule.id, test, FAIL, None, (str(exc),))
    result = audit(selection, Message(raw, source_id=source, metadata=metadata))
    finding = next(f for f in result.findings if f.rule == rule.id)
    problems = list(_compare(test, finding))
    passed = not problems
    if test.todo:
        outcome = FIXED if passed else TODO
    else:
        outcome = PASS if passed else FAIL
    return TestOutcome(rule.id, test, outcome, str(finding.status), tuple(problems), finding.finding)


def _case_metadata(selection: Ruleset, test: RuleTest) -> dict:
    """`Message.metadata` for the test: the case settings its `case` and `state` keys give
    (the state overrides the file's trap mapping, as in `spamlaw audit`)."""
    if not test.case and not test.state:
        return {}
    case = CaseSettings()
    if test.case:
        path, looked = find_sample_file(selection.root, test.case)
        if path is None:
            raise _CaseNotFound(_not_found("case settings", test.case, looked))
        case = _load_case(path)
    if test.state:
        case = case.with_state(test.state)
    return case.as_metadata()


class _CaseNotFound(Exception):
    pass


def _not_found(kind: str, name: str | None, looked: list[Path]) -> str:
    from checker.ruleset.compile import display_path

    places = ", ".join(display_path(p) for p in looked)
    return f"no such {kind} file {name} (looked in: {places})"


def _load_case(path: Path) -> CaseSettings:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None  # load_case_settings says why it cannot read the file
    return _load_case_cached(path, stamp)


@lru_cache(maxsize=64)
def _load_case_cached(path: Path, stamp: int | None) -> CaseSettings:
    """Each case file is read once per version, however many tests use it."""
    return load_case_settings(path)


def _compare(test: RuleTest, finding: Finding):
    if str(finding.status) != test.expect:
        detail = f" ({finding.error})" if finding.error else ""
        yield f"expected {test.expect}, got {finding.status}{detail}"
    for want in test.expect_evidence:
        if not any(_evidence_matches(ev, want) for ev in finding.evidence):
            shown = ", ".join(f"{k}={v!r}" for k, v in want.items())
            yield f"no evidence with {shown}"


def _evidence_matches(ev: Evidence, want: dict[str, str]) -> bool:
    if ev.field != want.get("field"):
        return False
    if "quote" in want and ev.quote != want["quote"]:
        return False
    if "searched" in want and not any(want["searched"] in s for s in ev.searched or ()):
        return False
    return True


def summary(outcomes: list[TestOutcome]) -> str:
    counts = {kind: sum(1 for o in outcomes if o.result == kind) for kind in (PASS, FAIL, TODO, FIXED)}
    rules = len({o.rule for o in outcomes})
    parts = [f"{counts[PASS]} passed", f"{counts[FAIL]} failed"]
    if counts[TODO]:
        parts.append(f"{counts[TODO]} todo")
    if counts[FIXED]:
        parts.append(f"{counts[FIXED]} todo now passing (remove todo)")
    return f"{len(outcomes)} tests of {rules} rules: " + ", ".join(parts)
