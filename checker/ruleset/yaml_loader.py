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
    style: str | None = None  # None (plain; libyaml says ""), "'", '"', "|" or ">"

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


# libyaml's C parser composes the same nodes (values, styles, line:column marks) about 15x
# faster than PyYAML's pure-Python one. It is used only to LOAD rules (`fast=True`); `rules
# lint` and any file the C parser rejects go through the pure parser, whose errors are the
# ones counsel read (`plain_syntax_error` words them from its marks).
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose_all(text: str, fast: bool) -> list:
    if fast and _FAST_LOADER is not None:
        try:
            return list(yaml.compose_all(text, Loader=_FAST_LOADER))
        except yaml.YAMLError:
            pass  # the pure parser below reports it, as counsel are used to
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def load_yaml_bytes(data: bytes, display: str, fast: bool = False) -> tuple[YNode | None, list[Problem]]:
    """Parse one YAML file's bytes. Returns the root node (None if unusable) and problems.

    `fast`: compose with libyaml when installed (same nodes and positions; a file it
    rejects is re-read by the pure parser, so syntax errors read exactly as without it)."""
    if len(data) > MAX_FILE_BYTES:
        return None, [Pos(display).problem(f"file larger than {MAX_FILE_BYTES} bytes", "yaml-syntax")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Pos(display).problem(f"not UTF-8 text: {exc.reason} at byte {exc.start}", "yaml-syntax")]
    try:
        documents = _compose_all(text, fast)
    except yaml.MarkedYAMLError as exc:
        line, col, words = plain_syntax_error(exc, text.splitlines())
        pos = Pos(display, line, col)
        return None, [pos.problem(f"YAML syntax: line {line}, column {col}: {words}", "yaml-syntax")]
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
        return YScalar(self.pos(node), value, node.value, node.style or None)

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
            key = YScalar(self.pos(key_node), key_node.value, key_node.value, key_node.style or None)
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


# ------------------------------------------------------------------ syntax errors in words

_COUNT = {1: "one space", 2: "two spaces", 3: "three spaces", 4: "four spaces"}


def _spaces(n: int) -> str:
    return _COUNT.get(n, f"{n} spaces")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _key_indent(line: str) -> int:
    """Where a line's key starts: after the indentation, and after "- " on a list item."""
    ind = _indent(line)
    rest = line[ind:]
    while rest.startswith("- "):
        ind += 2 + len(rest[2:]) - len(rest[2:].lstrip(" "))
        rest = line[ind:]
    return ind


def _is_item(line: str) -> bool:
    stripped = line.lstrip(" ")
    return stripped == "-" or stripped.startswith("- ")


def plain_syntax_error(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int, str]:
    """(line, column, sentence) for a YAML syntax error, in words a lawyer can act on
    rather than the parser's ("expected <block end>, but found '?'")."""
    mark = exc.problem_mark or exc.context_mark
    line_no = mark.line if mark else 0
    col = mark.column if mark else 0
    problem = exc.problem or ""
    context = exc.context or ""
    here = lines[line_no] if 0 <= line_no < len(lines) else ""
    where = (line_no + 1, col + 1)
    if "'\\t'" in problem or "\t" in problem:
        return (*where, "a tab character: YAML indents with spaces only; replace the tab with spaces")
    if "expected <block end>" in problem or "expected <block mapping start>" in problem:
        return (line_no + 1, _indent(here) + 1, _misaligned(lines, line_no))
    if "mapping values are not allowed here" in problem:
        previous = _previous_content(lines, line_no)
        if previous is not None and _indent(here) > _key_indent(lines[previous]) and ":" in lines[previous]:
            return (line_no + 1, _indent(here) + 1,
                    f"this line is indented {_spaces(_indent(here) - _key_indent(lines[previous]))} more than "
                    f"the line above it (line {previous + 1}), so it reads as part of that line's value; "
                    "line the keys of one mapping up")
        return (*where, "a colon followed by a space inside a value: put the whole value in quotes, "
                        "e.g. title: \"Opt-out: ten business days\"")
    if "could not find expected ':'" in problem and exc.context_mark is not None:
        start = exc.context_mark
        key = lines[start.line].strip() if start.line < len(lines) else ""
        return (start.line + 1, start.column + 1,
                f"'{key[:40]}' is not followed by a colon: each line of a mapping is key: value")
    if "quoted scalar" in context and exc.context_mark is not None:
        start = exc.context_mark
        return (start.line + 1, start.column + 1,
                "the quote that starts here is never closed (a quote inside the value? double it in "
                "'single quotes', or escape it as \\\" in \"double quotes\")")
    if "flow mapping" in context or "flow sequence" in context:
        start = exc.context_mark or mark
        bracket = "{" if "mapping" in context else "["
        close = "}" if bracket == "{" else "]"
        return (start.line + 1, start.column + 1,
                f"the {bracket} that starts here is not closed with {close} where expected (or two of its "
                "entries lack a comma between them)")
    if "found undefined alias" in problem or "found undefined anchor" in problem:
        return (*where, "a * or & starts a value: put the value in quotes")
    if "found character" in problem and "cannot start any token" in problem:
        return (*where, f"{problem.replace('found character', 'the character')}: put the value in quotes")
    return (*where, f"this is not valid YAML ({problem or context})")


def _previous_content(lines: list[str], line_no: int) -> int | None:
    for index in range(line_no - 1, -1, -1):
        if _content(lines[index]):
            return index
    return None


def _misaligned(lines: list[str], line_no: int) -> str:
    """Describe a line whose indentation fits no open block: compare it with the nearest
    line above of the same kind (a list item with list items, a key with keys)."""
    here = lines[line_no] if line_no < len(lines) else ""
    item = _is_item(here)
    ind = _indent(here)
    for index in range(line_no - 1, -1, -1):
        other = lines[index]
        if not _content(other) or _is_item(other) != item:
            continue
        if _indent(other) == ind:
            continue
        diff = ind - _indent(other)
        what = "this list item" if item else "this line"
        than = "the items above it" if item else "the line above it"
        more = "more" if diff > 0 else "less"
        return f"{what} is indented {_spaces(abs(diff))} {more} than {than} (line {index + 1}); line them up"
    return "this line's indentation does not match any block above it; line it up with its siblings"
