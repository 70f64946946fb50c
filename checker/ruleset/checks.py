"""Typed access to YAML nodes, with a problem at the node's position for every mismatch.

The loader's building blocks: each `as_*` method returns the value or None after
recording a problem, so checking goes on past the first mistake.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field

from checker.ruleset import spec
from checker.ruleset.problems import Pos, Problem
from checker.ruleset.yaml_loader import YMap, YNode, YScalar, YSeq, node_kind


@dataclass
class Usage:
    """What a condition tree refers to."""

    fields: set[str] = field(default_factory=set)
    predicates: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)


def suggest(name: str, choices) -> str:
    """' (did you mean 'x'?)' for the closest of `choices`, or ''."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def misplaced(key: str, under: str) -> str | None:
    """'`evidence` is indented under `finding`; it belongs at the rule's level' when KEY,
    unknown where it is written, is a key of another level of a rule file."""
    levels = (
        (spec.RULE_KEYS, "at the rule's level (lined up with id:)"),
        (spec.RULE_FILE_KEYS, "at the top of the file"),
        (spec.TEST_KEYS, "in a test (under tests:)"),
    )
    for keys, place in levels:
        if key in keys:
            return f"`{key}` is indented under {under}; it belongs {place}"
    return None


def day(value: dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


class Checker:
    """Collects problems; typed accessors for YAML nodes."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, pos: Pos, message: str, code: str) -> None:
        self.problems.append(pos.problem(message, code))

    def as_map(self, node: YNode | None, what: str) -> YMap | None:
        if isinstance(node, YMap):
            return node
        if node is not None:
            self.error(node.pos, f"{what} must be a mapping (key: value), not {node_kind(node)}", "wrong-type")
        return None

    def as_seq(self, node: YNode | None, what: str) -> YSeq | None:
        if isinstance(node, YSeq):
            return node
        if node is not None:
            self.error(node.pos, f"{what} must be a list, not {node_kind(node)}", "wrong-type")
        return None

    def as_text(self, node: YNode | None, what: str, *, lenient: bool = False) -> str | None:
        """A text value. `lenient`: a plain number or yes/no is taken as written."""
        if node is None:
            return None
        if isinstance(node, YScalar) and isinstance(node.value, str):
            if not node.value.strip():
                self.error(node.pos, f"{what} is empty", "bad-value")
                return None
            return node.value
        if lenient and isinstance(node, YScalar) and node.value is not None:
            return node.text
        hint = " (quote it)" if isinstance(node, YScalar) and node.value is not None else ""
        self.error(node.pos, f"{what} must be text, not {node_kind(node)}{hint}", "wrong-type")
        return None

    def as_texts(self, node: YNode | None, what: str) -> list[str] | None:
        seq = self.as_seq(node, what)
        if seq is None:
            return None
        out = [self.as_text(item, f"each entry of {what}", lenient=True) for item in seq.items]
        return None if None in out else out

    def as_bool(self, node: YNode | None, what: str) -> bool | None:
        if node is None:
            return None
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        self.error(node.pos, f"{what} must be true or false, not {node_kind(node)}", "wrong-type")
        return None

    def as_int(self, node: YNode | None, what: str, minimum: int = 0) -> int | None:
        if node is None:
            return None
        if isinstance(node, YScalar) and isinstance(node.value, int) and not isinstance(node.value, bool):
            if node.value < minimum:
                self.error(node.pos, f"{what} must be at least {minimum}", "bad-value")
                return None
            return node.value
        self.error(node.pos, f"{what} must be a whole number, not {node_kind(node)}", "wrong-type")
        return None

    def as_number(self, node: YNode | None, what: str) -> float | None:
        if node is None:
            return None
        if isinstance(node, YScalar) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            if node.value < 0:
                self.error(node.pos, f"{what} must not be negative", "bad-value")
                return None
            return node.value
        self.error(node.pos, f"{what} must be a number, not {node_kind(node)}", "wrong-type")
        return None

    def as_date(self, node: YNode | None, what: str) -> dt.date | None:
        if node is None:
            return None
        if isinstance(node, YScalar):
            value = node.value
            if isinstance(value, dt.date):
                return value
            if isinstance(value, str):
                try:
                    return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
                except ValueError:
                    pass
        self.error(node.pos, f"{what} must be a date such as 2004-01-01, not {node_kind(node)}", "wrong-type")
        return None

    def check_keys(self, ymap: YMap, allowed: dict[str, spec.Key], what: str) -> None:
        for key, (key_node, _value) in ymap.entries.items():
            if key not in allowed:
                moved = misplaced(key, what) if what != "a rule file" else None
                if moved:
                    self.error(key_node.pos, moved, "misplaced-key")
                else:
                    self.error(key_node.pos, f"unknown key {key!r} in {what}{suggest(key, allowed)}", "unknown-key")
        for key, info in allowed.items():
            if info.required and key not in ymap:
                self.error(ymap.pos, f"{what} is missing the required key {key!r}", "missing-key")

    def dates(self, node: YNode | None, what: str) -> tuple[dt.date | None, dt.date | None]:
        ymap = self.as_map(node, what)
        if ymap is None:
            return None, None
        self.check_keys(ymap, spec.EFFECTIVE_KEYS, what)
        start = self.as_date(ymap.get("from"), f"{what}.from")
        end = self.as_date(ymap.get("until"), f"{what}.until")
        if start and end and day(start) > day(end):
            self.error(ymap.pos, f"{what}: 'from' is after 'until'", "bad-value")
        return start, end
