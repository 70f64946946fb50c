"""Turn counsel's YAML files into a compiled `Ruleset`, reporting every problem.

The compiler never stops at the first problem and never drops a rule silently: each
problem is recorded with its `file:line:col`, the rest of the file is still checked,
and `load_ruleset` refuses the whole ruleset if any error was found. (The linter uses
the partial result to add its warnings.)

Files, found by where they are (paths relative to the ruleset root):
  authorities.yaml   citation registry and penalty facts (required)
  predicates.yaml    named shared conditions (optional)
  lists/*.yaml       named word and domain lists; the file name is the list name
  samples/, cases/   the rule set's own test messages and case settings (not rules)
  any other *.yaml   rule files (grouped by jurisdiction, e.g. us/can-spam.yaml)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from checker.fields import Field, all_fields
from checker.reasons import is_code
from checker.ruleset import spec
from checker.ruleset.checks import Usage, misplaced, suggest
from checker.ruleset.conditions import ConditionCompiler, Scope
from checker.ruleset.model import (
    Alternative,
    Authority,
    Multiplier,
    NamedList,
    Predicate,
    Remedy,
    Requirement,
    Rule,
    Ruleset,
    RuleTest,
)
from checker.ruleset.problems import ERROR, Pos, Problem
from checker.ruleset.templates import TemplateProblem, compile_template
from checker.ruleset.yaml_loader import YMap, YNode, YScalar, YSeq, load_yaml_bytes, to_plain

AUTHORITIES_FILE = "authorities.yaml"
PREDICATES_FILE = "predicates.yaml"
LISTS_DIR = "lists"
SCHEMA_FILE = "schema.json"
# A rule set's own test material (messages, case settings files): never rule files.
TEST_FILE_DIRS = ("samples", "cases")

RULE_ID = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")
CONSTANT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
TEMPLATE_OUTCOMES = ("violation", "needs_review", "compliant", "not_applicable")


@dataclass
class Build:
    """The result of compiling: the ruleset (possibly partial) and every problem."""

    ruleset: Ruleset | None
    problems: list[Problem]
    predicate_usage: dict[str, Usage] = field(default_factory=dict)
    rule_usage: dict[str, Usage] = field(default_factory=dict)
    only_file: str | None = None  # when the user named one rule file

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]


def display_path(path: Path) -> str:
    """A path as the user will click it: relative to the working directory when inside it."""
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def find_root(path: Path) -> tuple[Path, Path | None]:
    """The ruleset root for `path` (a ruleset folder or one file inside it)."""
    if path.is_dir() or not path.exists():
        return path, None
    for parent in path.parents:
        if (parent / AUTHORITIES_FILE).is_file():
            return parent, path
    return path.parent, path


def build_ruleset(path: Path, fast_yaml: bool = False) -> Build:
    """Compile the ruleset at `path`. `fast_yaml`: parse with libyaml (see
    `yaml_loader.load_yaml_bytes`); lint keeps the pure parser."""
    root, only = find_root(path)
    return _Compiler(root, fast_yaml).run(only)


def build_inline_message(headers: list[tuple[str, str]], text: str | None, html: str | None) -> bytes:
    """Real RFC 5322 bytes (CRLF, MIME, RFC 2047 for non-ASCII headers) for an inline test."""
    msg = EmailMessage(policy=policy.SMTP)
    for name, value in headers:
        msg[name] = value
    if text is not None and html is not None:
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    elif text is not None:
        msg.set_content(text)
    return msg.as_bytes()


class _Compiler(ConditionCompiler):
    def __init__(self, root: Path, fast_yaml: bool = False):
        super().__init__()
        self.root = root
        self.fast_yaml = fast_yaml
        self.fields: dict[str, Field] = all_fields()
        self.remedies: dict[str, Remedy] = {}
        self.authorities: dict[str, Authority] = {}
        self.lists: dict[str, NamedList] = {}
        self.predicate_names: dict[str, Pos] = {}
        self.predicates: dict[str, Predicate] = {}
        self.predicate_usage: dict[str, Usage] = {}
        self.predicate_home: dict[str, str | None] = {}
        self.constants: dict[str | None, dict[str, YNode]] = {}
        self.constant_files: dict[str | None, str] = {}  # scope -> display path of its file
        self.rule_ids: dict[str, Pos] = {}

    # -------------------------------------------------------------- driver

    def run(self, only: Path | None) -> Build:
        if not self.root.is_dir():
            self.error(Pos(display_path(self.root)), "no such ruleset folder", "missing-file")
            return Build(None, self.problems)
        authorities_path = self.root / AUTHORITIES_FILE
        predicates_path = self.root / PREDICATES_FILE
        list_paths = sorted(
            p for p in (self.root / LISTS_DIR).glob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
        )
        rule_paths = sorted(
            p
            for p in self.root.rglob("*")
            if p.suffix in (".yaml", ".yml")
            and p.is_file()
            and p not in (authorities_path, predicates_path)
            and p.parent != self.root / LISTS_DIR
            and p.relative_to(self.root).parts[0] not in TEST_FILE_DIRS
            and not any(part.startswith(".") for part in p.relative_to(self.root).parts)
        )
        every = ([authorities_path] if authorities_path.is_file() else []) + (
            [predicates_path] if predicates_path.is_file() else []
        ) + list_paths + rule_paths
        digest = hashlib.sha256()
        parsed: dict[Path, YNode | None] = {}
        for path in sorted(every, key=lambda p: p.relative_to(self.root).as_posix()):
            data = path.read_bytes()
            rel = path.relative_to(self.root).as_posix().encode()
            digest.update(rel + b"\0" + len(data).to_bytes(8, "big") + data)
            node, problems = load_yaml_bytes(data, display_path(path), fast=self.fast_yaml)
            self.problems.extend(problems)
            parsed[path] = node
        syntax = [p for p in self.problems if p.code == "yaml-syntax"]
        if syntax:  # alone: what follows from an unreadable file would only bury it
            return Build(None, sorted(syntax))

        if authorities_path.is_file():
            self.compile_authorities(parsed[authorities_path])
        else:
            self.error(Pos(display_path(authorities_path)), "missing the citation registry authorities.yaml", "missing-file")
        for path in list_paths:
            self.compile_list(path, parsed[path])
        if predicates_path.is_file():
            self.compile_predicates(parsed[predicates_path])
        rule_files = [(path, parsed[path]) for path in rule_paths]
        rule_nodes = self.collect_rules(rule_files)
        rules: list[Rule] = []
        rule_usage: dict[str, Usage] = {}
        for node, defaults in rule_nodes:
            self.current_file = defaults["file"]
            compiled = self.compile_rule(node, defaults)
            self.current_file = None
            if compiled:
                rule, usage = compiled
                rules.append(rule)
                rule_usage[rule.id] = usage
        self.check_predicate_cycles()
        ordered = self.order_rules(rules, rule_usage)
        only_display = display_path(only) if only else None
        reported = frozenset(r.id for r in ordered if only_display is None or r.file == only_display)
        ruleset = Ruleset(
            rules=tuple(ordered),
            sha256=digest.hexdigest(),
            root=self.root,
            authorities=self.authorities,
            remedies=self.remedies,
            predicates=self.predicates,
            lists=self.lists,
            reported=reported,
            files=tuple(display_path(p) for p in every),
            constants={
                self.constant_files.get(scope, PREDICATES_FILE): {k: to_plain(v) for k, v in values.items()}
                for scope, values in self.constants.items() if values
            },
        )
        problems = sorted(set(self.problems))
        if only_display:  # drop the other rule files' problems, keep the shared files'
            others = {display_path(p) for p in rule_paths} - {only_display}
            problems = [p for p in problems if p.file not in others]
        return Build(ruleset, problems, self.predicate_usage, rule_usage, only_display)

    # -------------------------------------------------------------- authorities.yaml

    def compile_authorities(self, root: YNode | None) -> None:
        ymap = self.as_map(root, "authorities.yaml")
        if ymap is None:
            return
        self.check_keys(ymap, spec.AUTHORITIES_FILE_KEYS, "authorities.yaml")
        remedies = self.as_map(ymap.get("remedies"), "remedies") or YMap(ymap.pos)
        authorities = self.as_map(ymap.get("authorities"), "authorities") or YMap(ymap.pos)
        for key, (key_node, value) in remedies.entries.items():
            self.compile_remedy(key, key_node, value)
        for key, (key_node, value) in authorities.entries.items():
            self.compile_authority(key, key_node, value)
        self.check_cap_exceptions(remedies, set(authorities.entries))

    def compile_remedy(self, key: str, key_node: YScalar, node: YNode) -> None:
        what = f"remedy {key!r}"
        if not KEY.match(key):
            self.error(key_node.pos, f"{what}: keys are letters, digits, '.', '-' or '_'", "bad-value")
        ymap = self.as_map(node, what)
        if ymap is None:
            return
        self.check_keys(ymap, spec.REMEDY_KEYS, what)
        unit_node = ymap.get("unit")
        unit = self.as_text(unit_node, f"{what}: unit")
        if unit and unit not in spec.PENALTY_UNITS:
            self.error(unit_node.pos, f"{what}: unit must be one of {', '.join(spec.PENALTY_UNITS)}", "bad-value")
        multipliers = []
        for item in (self.as_seq(ymap.get("multipliers"), f"{what}: multipliers") or YSeq(ymap.pos)).items:
            mmap = self.as_map(item, f"{what}: each multiplier")
            if mmap is None:
                continue
            self.check_keys(mmap, spec.MULTIPLIER_KEYS, f"{what}: multiplier")
            factor = self.as_number(mmap.get("factor"), "factor")
            when = self.as_text(mmap.get("when"), "when")
            if factor is not None and when:
                multipliers.append(Multiplier(factor, when, self.as_text(mmap.get("basis"), "basis")))
        cap_node = ymap.get("cap")
        cap = None
        if not (cap_node is None or (isinstance(cap_node, YScalar) and cap_node.value is None)):
            cap = self.as_number(cap_node, f"{what}: cap")
        cap_unit = self.choice(ymap.get("cap_unit"), spec.CAP_UNITS, f"{what}: cap_unit") or "action"
        alternative = self.alternative(ymap.get("alternative"), what)
        amount_for = []
        for_map = self.as_map(ymap.get("amount_for"), f"{what}: amount_for")
        for authority_key, (_k, value) in (for_map.entries.items() if for_map else ()):
            amount = self.as_number(value, f"{what}: amount_for {authority_key}")
            if amount is not None:
                amount_for.append((authority_key, amount))
        remedy = Remedy(
            key=key,
            amount_for=tuple(amount_for),
            who=self.as_text(ymap.get("who"), f"{what}: who") or "",
            plaintiffs=self.plaintiffs(ymap.get("plaintiffs"), what),
            basis=self.as_text(ymap.get("basis"), f"{what}: basis") or "",
            amount=self.remedy_amount(ymap.get("amount"), what),
            unit=unit or "message",
            currency=self.as_text(ymap.get("currency"), f"{what}: currency") or "USD",
            cap=cap,
            cap_unit=cap_unit,
            cap_exceptions=tuple(self.as_texts(ymap.get("cap_exceptions"), f"{what}: cap_exceptions") or ()),
            alternative=alternative,
            multipliers=tuple(multipliers),
            conditions=tuple(self.as_texts(ymap.get("conditions"), f"{what}: conditions") or ()),
            as_of=self.as_date(ymap.get("as_of"), f"{what}: as_of"),
            source=self.as_text(ymap.get("source"), f"{what}: source"),
            note=self.as_text(ymap.get("note"), f"{what}: note"),
        )
        self.remedies[key] = remedy

    def visible_constants(self) -> dict[str, Any]:
        scopes = (None, self.current_file) if self.current_file else (None,)
        return {k: to_plain(v) for scope in scopes for k, v in self.constants.get(scope, {}).items()}

    def remedy_amount(self, node: YNode | None, what: str) -> float | None:
        """The amount, or None for `amount: verify` (counsel has not confirmed it yet: the
        rulebook and the schedule say so instead of printing a number)."""
        if isinstance(node, YScalar) and node.value == spec.AMOUNT_TO_VERIFY:
            return None
        if isinstance(node, YScalar) and isinstance(node.value, str):
            self.error(node.pos, f"{what}: amount must be a number, or {spec.AMOUNT_TO_VERIFY} when it "
                       "is not yet known", "wrong-type")
            return None
        amount = self.as_number(node, f"{what}: amount")
        return amount if amount is not None else 0

    def alternative(self, node: YNode | None, what: str) -> Alternative | None:
        """`alternative: {amount: 25000, unit: day, take: lesser}` of a remedy."""
        if node is None:
            return None
        amap = self.as_map(node, f"{what}: alternative")
        if amap is None:
            return None
        self.check_keys(amap, spec.ALTERNATIVE_KEYS, f"{what}: alternative")
        amount = self.as_number(amap.get("amount"), f"{what}: alternative amount")
        unit = self.choice(amap.get("unit"), spec.PENALTY_UNITS, f"{what}: alternative unit")
        take = self.choice(amap.get("take"), spec.ALTERNATIVE_TAKES, f"{what}: alternative take")
        if amount is None or unit is None or take is None:
            return None
        return Alternative(amount, unit, take)

    def compile_authority(self, key: str, key_node: YScalar, node: YNode) -> None:
        what = f"authority {key!r}"
        if not KEY.match(key):
            self.error(key_node.pos, f"{what}: keys are letters, digits, '.', '-' or '_'", "bad-value")
        ymap = self.as_map(node, what)
        if ymap is None:
            return
        self.check_keys(ymap, spec.AUTHORITY_KEYS, what)
        in_force = self.dates(ymap.get("in_force"), f"{what}: in_force") if "in_force" in ymap else (None, None)
        remedy_keys = []
        remedies_node = self.as_seq(ymap.get("remedies"), f"{what}: remedies")
        for item in remedies_node.items if remedies_node else ():
            name = self.as_text(item, f"{what}: remedy")
            if name and name not in self.remedies:
                self.error(item.pos, f"unknown remedy {name!r}{suggest(name, self.remedies)}", "unknown-remedy")
            elif name:
                remedy_keys.append(name)
        self.authorities[key] = Authority(
            key=key,
            citation=self.as_text(ymap.get("citation"), f"{what}: citation") or key,
            title=self.as_text(ymap.get("title"), f"{what}: title") or "",
            jurisdiction=self.as_text(ymap.get("jurisdiction"), f"{what}: jurisdiction", lenient=True) or "",
            url=self.as_text(ymap.get("url"), f"{what}: url"),
            in_force_from=in_force[0],
            in_force_until=in_force[1],
            remedies=tuple(remedy_keys),
            note=self.as_text(ymap.get("note"), f"{what}: note"),
        )

    def check_cap_exceptions(self, remedies: YMap, authority_keys: set[str]) -> None:
        """Authority keys named inside remedies (cap_exceptions, amount_for) must exist."""
        for remedy_key, (_key_node, node) in remedies.entries.items():
            if not isinstance(node, YMap):
                continue
            seq = node.get("cap_exceptions")
            named = [(i.value, i.pos) for i in seq.items if isinstance(i, YScalar)] if isinstance(seq, YSeq) else []
            amounts = node.get("amount_for")
            if isinstance(amounts, YMap):
                named += [(k, kn.pos) for k, (kn, _v) in amounts.entries.items()]
            for name, pos in named:
                if name not in authority_keys:
                    self.error(
                        pos,
                        f"remedy {remedy_key!r}: {name!r} is not an authority{suggest(name, authority_keys)}",
                        "unknown-citation",
                    )

    # -------------------------------------------------------------- lists/

    def compile_list(self, path: Path, root: YNode | None) -> None:
        name = path.stem
        display = display_path(path)
        if not NAME.match(name):
            self.error(Pos(display), f"list file names are lower_case_with_underscores: {name!r}", "bad-value")
            return
        ymap = self.as_map(root, f"list {name}")
        if ymap is None:
            return
        self.check_keys(ymap, spec.LIST_FILE_KEYS, f"list {name}")
        kind_node = ymap.get("kind")
        kind = self.as_text(kind_node, "kind") or "values"
        if kind not in spec.LIST_KINDS:
            self.error(kind_node.pos, f"kind must be one of {', '.join(spec.LIST_KINDS)}", "bad-value")
        items = self.as_texts(ymap.get("items"), "items")
        if items is not None and not items:
            self.error(ymap.get("items").pos, "items is empty", "bad-value")
        if items is None:
            return
        seen: dict[str, YNode] = {}
        for item_node, item in zip(ymap.get("items").items, items, strict=True):  # type: ignore[union-attr]
            folded = item.casefold()
            if folded in seen:
                self.error(item_node.pos, f"duplicate entry {item!r} (first at line {seen[folded].pos.line})", "duplicate-key")
            seen[folded] = item_node
        self.lists[name] = NamedList(
            name,
            kind,
            tuple(items),
            self.as_text(ymap.get("description"), "description") or "",
            ymap.pos,
            self.as_text(ymap.get("used_by"), "used_by"),
        )

    # -------------------------------------------------------------- predicates.yaml

    def compile_predicates(self, root: YNode | None) -> None:
        ymap = self.as_map(root, "predicates.yaml")
        if ymap is None:
            return
        self.check_keys(ymap, spec.PREDICATES_FILE_KEYS, "predicates.yaml")
        self.compile_constants(ymap.get("constants"), None, PREDICATES_FILE)
        self.compile_predicate_entries(ymap.get("predicates"), None)

    def compile_constants(self, node: YNode | None, scope: str | None, display: str) -> None:
        """`constants: {NAME: value}`: numbers, texts or lists that conditions use as
        `{constant: NAME}` and templates as `{{ constants.NAME }}`."""
        cmap = self.as_map(node, "constants")
        if cmap is None:
            return
        table = self.constants.setdefault(scope, {})
        self.constant_files[scope] = display
        for name, (key_node, value) in cmap.entries.items():
            if not CONSTANT.match(name):
                self.error(key_node.pos, f"constant names are letters, digits and '_': {name!r}", "bad-value")
                continue
            if scope is not None and name in self.constants.get(None, {}):
                self.error(key_node.pos, f"constant {name!r} is already defined in {PREDICATES_FILE}; "
                           "give this file's constant its own name", "duplicate-id")
                continue
            items = value.items if isinstance(value, YSeq) else [value]
            if not items or any(not isinstance(i, YScalar) or i.value is None for i in items):
                self.error(value.pos, f"constant {name!r} must be a number, a text, true/false or a "
                           "list of those", "wrong-type")
                continue
            table[name] = value

    def compile_predicate_entries(self, node: YNode | None, home: str | None) -> None:
        """Predicates of predicates.yaml (home None: every rule sees them) or of one rule
        file (only that file's rules see them: e.g. a state's own definition of
        commercial mail)."""
        entries = self.as_map(node, "predicates")
        if entries is None:
            return
        for name, (key_node, _value) in entries.entries.items():
            if not NAME.match(name):
                self.error(key_node.pos, f"predicate names are lower_case_with_underscores: {name!r}", "bad-value")
            if name in self.predicate_names:
                first = self.predicate_names[name]
                self.error(key_node.pos, f"predicate {name!r} is already defined at {first}; "
                           "a file's own definition needs its own name (e.g. ok_commercial)", "duplicate-id")
                continue
            self.predicate_names[name] = key_node.pos
            self.predicate_home[name] = home
        for name, (key_node, value) in entries.entries.items():
            if self.predicate_home.get(name, "?") != home or self.predicate_names.get(name) != key_node.pos:
                continue
            what = f"predicate {name!r}"
            pmap = self.as_map(value, what)
            if pmap is None:
                continue
            self.check_keys(pmap, spec.PREDICATE_KEYS, what)
            usage = Usage()
            condition = self.condition(pmap.get("when"), Scope(), usage) if "when" in pmap else None
            evidence = self.evidence_fields(pmap.get("evidence"), what, usage)
            if condition is None:
                continue
            description = self.as_text(pmap.get("description"), f"{what}: description") or ""
            title = self.as_text(pmap.get("title"), f"{what}: title") if "title" in pmap else None
            code = self.as_text(pmap.get("code"), f"{what}: code") if "code" in pmap else None
            if code is not None and not is_code(code):
                self.error(pmap.get("code").pos, f"{what}: code {code!r} is not a reason code (checker/reasons.py)",
                           "bad-value")
                code = None
            self.predicates[name] = Predicate(name, description, condition, key_node.pos, evidence, title, code)
            self.predicate_usage[name] = usage

    def check_predicate_cycles(self) -> None:
        def visit(name: str, path: list[str]) -> None:
            if name in path:
                cycle = path[path.index(name):] + [name]
                first = cycle[0]
                key = tuple(sorted(cycle[:-1]))
                if key not in reported:
                    reported.add(key)
                    self.error(self.predicate_names[first], f"predicate cycle: {' → '.join(cycle)}", "predicate-cycle")
                return
            for used in sorted(self.predicate_usage.get(name, Usage()).predicates):
                visit(used, path + [name])

        reported: set[tuple[str, ...]] = set()
        for name in self.predicate_usage:
            visit(name, [])

    def predicate_closure(self, names: set[str]) -> Usage:
        """Everything the named predicates use, transitively."""
        total = Usage()
        stack, seen = list(names), set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            usage = self.predicate_usage.get(name)
            if usage is None:
                continue
            total.fields |= usage.fields
            total.rules |= usage.rules
            total.lists |= usage.lists
            total.predicates |= usage.predicates
            stack.extend(usage.predicates)
        return total

    # -------------------------------------------------------------- rule files

    def collect_rules(self, files: list[tuple[Path, YNode | None]]) -> list[tuple[YMap, dict[str, Any]]]:
        """Every rule mapping with its file defaults and id; records ids (a second rule
        with the same id is an error; its body is still checked but never kept). A file's
        own predicates compile once every rule id is known."""
        out = []
        file_predicates: list[tuple[str, YNode | None]] = []
        for path, root in files:
            ymap = self.as_map(root, f"rule file {path.name}")
            if ymap is None:
                continue
            self.check_keys(ymap, spec.RULE_FILE_KEYS, "a rule file")
            display = display_path(path)
            self.compile_constants(ymap.get("constants"), display, display)
            if "predicates" in ymap:
                file_predicates.append((display, ymap.get("predicates")))
            defaults = {"jurisdiction": self.as_text(ymap.get("jurisdiction"), "jurisdiction", lenient=True),
                        "file": display}
            self.as_text(ymap.get("ruleset"), "ruleset")
            self.as_text(ymap.get("description"), "description")
            rules = self.as_seq(ymap.get("rules"), "rules")
            for item in rules.items if rules else ():
                rmap = self.as_map(item, "each rule")
                if rmap is None:
                    continue
                id_node = rmap.get("id")
                rule_id = self.as_text(id_node, "id", lenient=True) if id_node else None
                primary = rule_id is not None
                if rule_id is not None:
                    if not RULE_ID.match(rule_id):
                        self.error(
                            id_node.pos,
                            f"rule id {rule_id!r}: use upper-case letters, digits, '-', '_' or '.'",
                            "bad-value",
                        )
                    elif rule_id in self.rule_ids:
                        self.error(
                            id_node.pos,
                            f"duplicate rule id {rule_id!r} (first defined at {self.rule_ids[rule_id]})",
                            "duplicate-id",
                        )
                        primary = False
                    else:
                        self.rule_ids[rule_id] = id_node.pos
                out.append((rmap, {**defaults, "id": rule_id, "primary": primary}))
        for display, node in file_predicates:
            self.current_file = display
            self.compile_predicate_entries(node, display)
            self.current_file = None
        return out

    def compile_rule(self, ymap: YMap, defaults: dict[str, Any]) -> tuple[Rule, Usage] | None:
        rule_id = defaults["id"]
        what = f"rule {rule_id}" if rule_id else "a rule"
        self.check_keys(ymap, spec.RULE_KEYS, what)
        before = len(self.problems)
        usage = Usage()
        citations, citation_texts = self.citations(ymap.get("citations"), what)
        jurisdiction = self.as_text(ymap.get("jurisdiction"), f"{what}: jurisdiction", lenient=True)
        jurisdiction = jurisdiction or defaults.get("jurisdiction")
        if not jurisdiction:
            self.error(ymap.pos, f"{what} has no jurisdiction (set it on the rule or the file)", "missing-key")
        severity = self.choice(ymap.get("severity"), spec.SEVERITIES, f"{what}: severity")
        status = self.choice(ymap.get("status"), spec.RULE_STATUSES, f"{what}: status") or "draft"
        effective = self.dates(ymap.get("effective"), f"{what}: effective") if "effective" in ymap else (None, None)
        if "effective" in ymap:
            self.need_field("legal_date", ymap.key_pos("effective"), "effective dates", usage)
        requires = self.requirements(ymap.get("requires"), what, usage)
        conditions = {}
        for key in ("applies_when", "violation_when", "review_when"):
            if key in ymap:
                conditions[key] = self.condition(ymap.get(key), Scope(), usage)
        if "violation_when" not in ymap and "review_when" not in ymap:
            self.error(ymap.pos, f"{what} needs violation_when or review_when (or both)", "missing-key")
        review_reason = self.as_text(ymap.get("review_reason"), f"{what}: review_reason")
        if "review_when" in ymap and "review_reason" not in ymap:
            self.error(
                ymap.key_pos("review_when"),
                f"{what}: review_when needs review_reason (say why a person must decide)",
                "missing-key",
            )
        finding, variables, finding_texts = self.finding(ymap.get("finding"), what, usage)
        evidence_fields = self.evidence_fields(ymap.get("evidence"), what, usage)
        tests = self.tests(ymap.get("tests"), what)
        version = self.as_int(ymap.get("version"), f"{what}: version", minimum=1)
        if len(self.problems) > before or not defaults["primary"]:
            return None
        closure = self.predicate_closure(usage.predicates)
        all_usage = Usage(
            usage.fields | closure.fields,
            usage.predicates | closure.predicates,
            usage.rules | closure.rules,
            usage.lists | closure.lists,
        )
        rule = Rule(
            id=rule_id,
            title=self.as_text(ymap.get("title"), f"{what}: title") or "",
            citations=tuple(citations),
            citation_texts=tuple(citation_texts),
            jurisdiction=jurisdiction or "",
            severity=severity or "medium",
            status=status,
            finding=finding,
            finding_variables=variables,
            pos=ymap.get("id").pos,
            description=self.as_text(ymap.get("description"), f"{what}: description"),
            version=version,
            effective_from=effective[0],
            effective_until=effective[1],
            requires=requires,
            applies_when=conditions.get("applies_when"),
            violation_when=conditions.get("violation_when"),
            review_when=conditions.get("review_when"),
            review_reason=review_reason,
            evidence_fields=evidence_fields,
            tests=tuple(tests),
            depends_on=frozenset(all_usage.rules),
            fields=frozenset(all_usage.fields),
            penalty=self.penalty(citations),
            finding_texts=finding_texts,
        )
        return rule, all_usage

    def requirements(self, node: YNode | None, what: str, usage: Usage) -> tuple[Requirement, ...]:
        """`requires: [{when: CONDITION, otherwise: TEMPLATE}, ...]`."""
        out = []
        seq = self.as_seq(node, f"{what}: requires")
        if seq is not None and not seq.items:
            self.error(seq.pos, f"{what}: requires is empty", "bad-value")
        for index, item in enumerate(seq.items if seq else (), 1):
            where = f"{what}: requirement {index}"
            rmap = self.as_map(item, where)
            if rmap is None:
                continue
            self.check_keys(rmap, spec.REQUIRE_KEYS, where)
            condition = self.condition(rmap.get("when"), Scope(), usage) if "when" in rmap else None
            otherwise = self.template(rmap.get("otherwise"), f"{where}: otherwise", usage)
            if condition is not None and otherwise is not None:
                out.append(Requirement(condition, otherwise.template, otherwise.variables, rmap.pos,
                                       self.as_text(rmap.get("otherwise"), "otherwise") or ""))
        return tuple(out)

    def template(self, node: YNode | None, what: str, usage: Usage):
        """One compiled template (or None after recording the problem)."""
        text = self.as_text(node, what)
        if text is None:
            return None
        try:
            compiled = compile_template(text, lambda n: n in self.fields, self.visible_constants())
        except TemplateProblem as exc:
            self.error(_template_pos(node, exc.lineno), f"{what}: {exc.message}", "template-error")
            return None
        usage.fields.update(compiled.field_names)
        return compiled

    def evidence_fields(self, node: YNode | None, what: str, usage: Usage) -> tuple[str, ...]:
        names = []
        for item in (self.as_seq(node, f"{what}: evidence") or YSeq(Pos(""))).items:
            name = self.as_text(item, f"{what}: evidence entry")
            if name and self.need_field(name, item.pos, "evidence", usage):
                names.append(name)
        return tuple(names)

    def choice(self, node: YNode | None, choices: tuple[str, ...], what: str) -> str | None:
        value = self.as_text(node, what)
        if value is not None and value not in choices:
            self.error(node.pos, f"{what} must be one of {', '.join(choices)}{suggest(value, choices)}", "bad-value")
            return None
        return value

    def plaintiffs(self, node: YNode | None, what: str) -> tuple[str, ...]:
        """A remedy's `plaintiffs`: each one of spec.PLAINTIFFS."""
        seq = self.as_seq(node, f"{what}: plaintiffs")
        chosen = [self.choice(item, spec.PLAINTIFFS, f"{what}: each plaintiff") for item in (seq.items if seq else ())]
        return tuple(dict.fromkeys(p for p in chosen if p))

    def need_field(self, name: str, pos: Pos, what: str, usage: Usage) -> bool:
        if name not in self.fields:
            self.error(pos, f"unknown field {name!r} in {what}{suggest(name, self.fields)}", "unknown-field")
            return False
        usage.fields.add(name)
        return True

    def citations(self, node: YNode | None, what: str) -> tuple[list[str], list[str]]:
        seq = self.as_seq(node, f"{what}: citations")
        if seq is not None and not seq.items:
            self.error(seq.pos, f"{what}: citations is empty", "bad-value")
        keys, texts = [], []
        for item in seq.items if seq else ():
            key = self.as_text(item, f"{what}: citation")
            if key is None:
                continue
            authority = self.authorities.get(key)
            if authority is None:
                self.error(item.pos, f"unknown citation {key!r}{suggest(key, self.authorities)}", "unknown-citation")
                continue
            keys.append(key)
            texts.append(authority.citation)
        return keys, texts

    def penalty(self, citation_keys: list[str]) -> dict[str, Any] | None:
        """The registry's penalty facts for these citations, one entry per remedy."""
        carriers: dict[str, list[str]] = {}
        for key in citation_keys:
            authority = self.authorities[key]
            for remedy_key in authority.remedies:
                carriers.setdefault(remedy_key, []).append(key)
        if not carriers:
            return None
        remedies = []
        for remedy_key, keys in carriers.items():
            remedy = self.remedies[remedy_key]
            exceptions = [self.authorities[k].citation for k in remedy.cap_exceptions if k in self.authorities]
            special = dict(remedy.amount_for)
            amounts = [special.get(k, remedy.amount) for k in keys]
            remedies.append(
                {
                    "remedy": remedy.key,
                    "who": remedy.who,
                    "plaintiffs": list(remedy.plaintiffs),
                    "basis": remedy.basis,
                    "amount": None if None in amounts else max(amounts),
                    "amount_to_verify": None in amounts,
                    "currency": remedy.currency,
                    "unit": remedy.unit,
                    "cap": remedy.cap,
                    "cap_unit": remedy.cap_unit,
                    "cap_exceptions": exceptions,
                    "capped": remedy.cap is not None and not any(k in remedy.cap_exceptions for k in keys),
                    "alternative": remedy.alternative.to_dict() if remedy.alternative else None,
                    "multipliers": [m.to_dict() for m in remedy.multipliers],
                    "conditions": list(remedy.conditions),
                    "citations": [self.authorities[k].citation for k in keys],
                    "as_of": remedy.as_of.isoformat() if remedy.as_of else None,
                    "source": remedy.source,
                    "note": remedy.note,
                }
            )
        return {"remedies": remedies}

    def finding(self, node: YNode | None, what: str, usage: Usage):
        if node is None:
            return {}, {}, {}
        sources: dict[str, YNode] = {}
        if isinstance(node, YMap):
            for key, (key_node, value) in node.entries.items():
                if key not in TEMPLATE_OUTCOMES and misplaced(key, "`finding`"):
                    self.error(key_node.pos, misplaced(key, "`finding`"), "misplaced-key")
                    continue
                if key not in TEMPLATE_OUTCOMES:
                    self.error(
                        key_node.pos,
                        f"{what}: finding outcomes are {', '.join(TEMPLATE_OUTCOMES)}{suggest(key, TEMPLATE_OUTCOMES)}",
                        "unknown-key",
                    )
                    continue
                sources[key] = value
        else:
            sources = {"violation": node, "needs_review": node}
        templates, variables, texts = {}, {}, {}
        compiled_cache: dict[int, Any] = {}
        for outcome, source_node in sources.items():
            text = self.as_text(source_node, f"{what}: finding")
            if text is None:
                continue
            if id(source_node) not in compiled_cache:
                try:
                    compiled_cache[id(source_node)] = compile_template(text, lambda n: n in self.fields, self.visible_constants())
                except TemplateProblem as exc:
                    self.error(_template_pos(source_node, exc.lineno), f"{what}: {exc.message}", "template-error")
                    compiled_cache[id(source_node)] = None
            compiled = compiled_cache[id(source_node)]
            if compiled is None:
                continue
            templates[outcome] = compiled.template
            variables[outcome] = compiled.variables
            texts[outcome] = text
            usage.fields.update(compiled.field_names)
        return templates, variables, texts

    def tests(self, node: YNode | None, what: str) -> list[RuleTest]:
        out = []
        seq = self.as_seq(node, f"{what}: tests")
        for index, item in enumerate(seq.items if seq else (), 1):
            where = f"{what}: test {index}"
            tmap = self.as_map(item, where)
            if tmap is None:
                continue
            self.check_keys(tmap, spec.TEST_KEYS, where)
            expect = self.choice(tmap.get("expect"), spec.OUTCOMES, f"{where}: expect")
            message = self.as_text(tmap.get("message"), f"{where}: message")
            inline = self.inline(tmap.get("inline"), where) if "inline" in tmap else None
            if ("message" in tmap) == ("inline" in tmap):
                self.error(tmap.pos, f"{where} needs exactly one of message or inline", "missing-key")
            evidence = []
            for ev in (self.as_seq(tmap.get("expect_evidence"), f"{where}: expect_evidence") or YSeq(tmap.pos)).items:
                emap = self.as_map(ev, f"{where}: expected evidence")
                if emap is None:
                    continue
                self.check_keys(emap, spec.EXPECT_EVIDENCE_KEYS, f"{where}: expected evidence")
                entry = {k: self.as_text(emap.get(k), f"{where}: {k}", lenient=True) for k in emap.entries}
                evidence.append({k: v for k, v in entry.items() if v is not None})
            todo = self.as_bool(tmap.get("todo"), f"{where}: todo") or False
            self.as_text(tmap.get("note"), f"{where}: note")
            case = self.as_text(tmap.get("case"), f"{where}: case")
            state = self.test_state(tmap.get("state"), where)
            if expect:
                out.append(
                    RuleTest(
                        index=index,
                        expect=expect,
                        pos=tmap.pos,
                        name=self.as_text(tmap.get("name"), f"{where}: name"),
                        message=message,
                        inline=inline,
                        expect_evidence=tuple(evidence),
                        todo=todo,
                        case=case,
                        state=state,
                    )
                )
        return out

    def test_state(self, node: YNode | None, where: str) -> str | None:
        from checker.case import US_STATES

        state = self.as_text(node, f"{where}: state", lenient=True)
        if state is not None and state.upper() not in US_STATES:
            self.error(node.pos, f"{where}: state {state!r} is not a US state code (MA, CA, ...)", "bad-value")
            return None
        return state.upper() if state else None

    def inline(self, node: YNode | None, where: str) -> bytes | None:
        imap = self.as_map(node, f"{where}: inline")
        if imap is None:
            return None
        self.check_keys(imap, spec.INLINE_KEYS, f"{where}: inline")
        headers: list[tuple[str, str]] = []
        hmap = self.as_map(imap.get("headers"), f"{where}: headers")
        for name, (_key_node, value) in (hmap.entries.items() if hmap else ()):
            values = value.items if isinstance(value, YSeq) else [value]
            for one in values:
                text = self.as_text(one, f"{where}: header {name}", lenient=True)
                if text is not None:
                    headers.append((name, text))
        text = self.as_text(imap.get("text"), f"{where}: text")
        html = self.as_text(imap.get("html"), f"{where}: html")
        try:
            return build_inline_message(headers, text, html)
        except Exception as exc:  # the stdlib refuses e.g. newlines in header values
            self.error(imap.pos, f"{where}: cannot build the message: {exc}", "bad-value")
            return None

    # -------------------------------------------------------------- ordering

    def order_rules(self, rules: list[Rule], usage: dict[str, Usage]) -> list[Rule]:
        """Dependencies first, otherwise in file order; cycles are errors."""
        by_id = {r.id: r for r in rules}
        order: list[Rule] = []
        state: dict[str, str] = {}
        in_cycle: set[str] = set()

        def visit(rule_id: str, path: list[str]) -> None:
            if state.get(rule_id) == "done" or rule_id not in by_id:
                return
            if state.get(rule_id) == "active":
                cycle = path[path.index(rule_id):] + [rule_id]
                if not in_cycle & set(cycle):
                    self.error(by_id[cycle[0]].pos, f"rule dependency cycle: {' → '.join(cycle)}", "dependency-cycle")
                in_cycle.update(cycle)
                return
            state[rule_id] = "active"
            for dep in sorted(usage[rule_id].rules):
                visit(dep, path + [rule_id])
            state[rule_id] = "done"
            order.append(by_id[rule_id])

        for rule in rules:
            visit(rule.id, [])
        ordered = [r for r in order if r.id not in in_cycle]
        closure = _transitive({r.id: set(usage[r.id].rules) for r in ordered})
        return [_with_deps(r, closure[r.id]) for r in ordered]


def _transitive(graph: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for start in graph:
        seen, stack = set(), list(graph[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, ()))
        out[start] = frozenset(seen)
    return out


def _with_deps(rule: Rule, deps: frozenset[str]) -> Rule:
    return replace(rule, depends_on=deps)


def _template_pos(node: YNode, lineno: int) -> Pos:
    """Where line `lineno` of a template written in `node` is in the file."""
    pos = node.pos
    if isinstance(node, YScalar) and node.style in ("|", ">"):
        return Pos(pos.file, pos.line + lineno, pos.col)
    return Pos(pos.file, pos.line + lineno - 1, pos.col if lineno == 1 else 1)
