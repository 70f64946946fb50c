"""YAML with positions, at `safe_load` safety.

Counsel's files are composed into PyYAML nodes (`yaml.compose` with `SafeLoader`: nothing
is constructed from tags) and converted into small `Y*` nodes that keep the line and
column of every key and value, so every later message can say `file:line:col`.

Refused, each with a problem at its position: tags other than the plain YAML types
(`!!python/...`, custom `!tags`, `!!binary`, ...), merge keys (`<<`), aliases (`*x`:
they can blow up exponentially and hide what a rule says), duplicate keys (YAML would
silently keep the last one), more than one document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from checker.ruleset.problems import Pos, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


@dataclass(eq=False)
class YNode:
    pos: Pos


@dataclass(eq=False)
class YScalar(YNode):
    value: Any  # str, int, float, bool, None, datetime.date or datetime.datetime
    text: str  # the scalar as written (without quotes)
    style: str | None = None  # None (plain), "'", '"', "|" or ">"

    def type_name(self) -> str:
        return type_name(self.value)


@dataclass(eq=False)
class YSeq(YNode):
    items: list[YNode] = field(default_factory=list)


@dataclass(eq=False)
class YMap(YNode):
    # key text -> (key node, value node), in the order written
    entries: dict[str, tuple[YScalar, YNode]] = field(default_factory=dict)

    def get(self, key: str) -> YNode | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def key_pos(self, key: str) -> Pos:
        return self.entries[key][0].pos

    def __contains__(self, key: str) -> bool:
        return key in self.entries


def type_name(value: Any) -> str:
    """The YAML-level name of a constructed value, for messages to counsel."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def node_kind(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    if isinstance(node, YScalar):
        return node.type_name()
    return "unknown"


def to_plain(node: YNode | None) -> Any:
    """The plain Python value of a node (for tests and the JSON Schema check)."""
    if node is None:
        return None
    if isinstance(node, YMap):
        return {k: to_plain(v) for k, (_key, v) in node.entries.items()}
    if isinstance(node, YSeq):
        return [to_plain(item) for item in node.items]
    return node.value  # type: ignore[attr-defined]


def load_yaml_bytes(data: bytes, display: str) -> tuple[YNode | None, list[Problem]]:
    """Parse one YAML file's bytes. Returns the root node (None if unusable) and problems."""
    if len(data) > MAX_FILE_BYTES:
        return None, [Pos(display).problem(f"file larger than {MAX_FILE_BYTES} bytes", "yaml-syntax")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Pos(display).problem(f"not UTF-8 text: {exc.reason} at byte {exc.start}", "yaml-syntax")]
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Pos(display, mark.line + 1, mark.column + 1) if mark else Pos(display)
        detail = " ".join(p for p in (exc.context, exc.problem) if p)
        return None, [pos.problem(f"YAML syntax error: {detail}", "yaml-syntax")]
    except yaml.YAMLError as exc:
        return None, [Pos(display).problem(f"YAML syntax error: {exc}", "yaml-syntax")]
    documents = [d for d in documents if d is not None]
    if not documents:
        return None, [Pos(display).problem("the file is empty", "yaml-syntax")]
    if len(documents) > 1:
        second = documents[1].start_mark
        pos = Pos(display, second.line + 1, second.column + 1)
        return None, [pos.problem("one YAML document per file (found a second '---')", "yaml-syntax")]
    converter = _Converter(display)
    root = converter.convert(documents[0])
    return (None if converter.fatal else root), converter.problems


class _Converter:
    def __init__(self, display: str):
        self.display = display
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.count = 0
        self.fatal = False
        self.constructor = SafeConstructor()

    def pos(self, node: yaml.Node) -> Pos:
        return Pos(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node) -> YNode:
        self.count += 1
        if self.count > MAX_NODES:
            if not self.fatal:
                self.problems.append(self.pos(node).problem(f"more than {MAX_NODES} YAML nodes", "yaml-syntax"))
            self.fatal = True
            return YScalar(self.pos(node), None, "")
        if id(node) in self.seen:
            self.problems.append(
                self.pos(node).problem(
                    "YAML aliases (*name) are not supported: write the value out, or use a predicate",
                    "yaml-alias",
                )
            )
            return YScalar(self.pos(node), None, "")
        self.seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            self.problems.append(
                self.pos(node).problem(f"YAML tag {node.tag!r} is not allowed (plain values only)", "yaml-tag")
            )
            return YScalar(self.pos(node), None, "")
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return YSeq(self.pos(node), [self.convert(item) for item in node.value])
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> YScalar:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError) as exc:
            self.problems.append(self.pos(node).problem(f"invalid value {node.value!r}: {exc}", "yaml-syntax"))
            value = node.value
        return YScalar(self.pos(node), value, node.value, node.style)

    def mapping(self, node: yaml.MappingNode) -> YMap:
        result = YMap(self.pos(node))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    self.pos(key_node).problem("YAML merge keys (<<) are not supported", "yaml-tag")
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(self.pos(key_node).problem("a key must be plain text", "wrong-type"))
                continue
            self.count += 1
            key = YScalar(self.pos(key_node), key_node.value, key_node.value, key_node.style)
            value = self.convert(value_node)
            if key.text in result.entries:
                first = result.entries[key.text][0].pos
                self.problems.append(
                    key.pos.problem(
                        f"duplicate key {key.text!r} (first at line {first.line}); YAML would keep only the last",
                        "duplicate-key",
                    )
                )
                continue
            result.entries[key.text] = (key, value)
        return result
