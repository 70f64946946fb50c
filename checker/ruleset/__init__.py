"""The rule language: load counsel's YAML into a compiled, checked `Ruleset`.

    ruleset = load_ruleset()            # the shipped rules/ (checker.paths.rules_dir())
    ruleset = load_ruleset(Path("rules/us/can-spam.yaml"))   # one file, within its ruleset
    result = checker.engine.audit(ruleset, message)

`load_ruleset` raises `RulesetError` carrying every problem found (each one
`file:line:col: level: message [code]`), never just the first, and never drops a rule
silently.
"""

from __future__ import annotations

from pathlib import Path

from checker.ruleset.compile import build_ruleset
from checker.ruleset.model import Authority, Condition, Predicate, Remedy, Rule, Ruleset, RuleTest
from checker.ruleset.problems import ERROR, WARNING, Problem, RulesetError

__all__ = [
    "ERROR",
    "WARNING",
    "Authority",
    "Condition",
    "Predicate",
    "Problem",
    "Remedy",
    "Rule",
    "RuleTest",
    "Ruleset",
    "RulesetError",
    "load_ruleset",
]


def load_ruleset(path: Path | None = None) -> Ruleset:
    """Load and compile a ruleset folder (default: the shipped rules) or one rule file.

    Given a file, the whole ruleset around it is loaded (citations, predicates and lists
    live beside it) but only that file's rules are reported."""
    if path is None:
        from checker.paths import rules_dir

        path = rules_dir()
    build = build_ruleset(Path(path), fast_yaml=True)
    if build.errors or build.ruleset is None:  # say it as `rules lint` does (pure parser)
        build = build_ruleset(Path(path))
        raise RulesetError(build.errors or build.problems)
    return build.ruleset
