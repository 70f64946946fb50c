"""Compiling conditions: the condition forms, field conditions and operator arguments.

`ConditionCompiler` is mixed into the ruleset compiler, which provides `fields` (the
field registry), `lists`, `predicate_names` and `rule_ids` before conditions compile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

from checker.fields import Field
from checker.operators import ARG_KINDS, OPERATORS, OPTIONS, NamedListArg, Operator, describe
from checker.reasons import is_code
from checker.ruleset import spec
from checker.ruleset.checks import Checker, Usage, misplaced, suggest
from checker.ruleset.model import (
    AllCond,
    AnyCond,
    AtLeastCond,
    Condition,
    FieldCond,
    NamedList,
    NotCond,
    QuantCond,
    RuleCond,
    UseCond,
    WeakCond,
)
from checker.ruleset.problems import Pos
from checker.ruleset.yaml_loader import YMap, YNode, YScalar, node_kind

DEFAULT_WEAK_REASON = "a precondition was only weakly established"


@dataclass(frozen=True)
class Scope:
    """Where field names in a condition point: the message, or the items of a list."""

    list_field: str | None = None  # None: the message
    item_type: str | None = None  # list[text] or list[record]
    item_fields: dict[str, tuple[str, str]] | None = None

    @property
    def is_item(self) -> bool:
        return self.list_field is not None


class ConditionCompiler(Checker):
    fields: dict[str, Field]
    lists: dict[str, NamedList]
    predicate_names: dict[str, Pos]
    rule_ids: dict[str, Pos]
    # Where each predicate is defined: None for predicates.yaml (every rule sees it), else
    # the rule file; only the rules of that file's folder (a state's rule set, e.g.
    # us-ok/) may use it (a state's own definitions).
    predicate_home: dict[str, str | None]
    # Named constants: predicates.yaml's (None) and each rule file's, name -> value node.
    constants: dict[str | None, dict[str, YNode]]
    current_file: str | None = None  # the rule file being compiled (None: shared files)

    def sees(self, home: str | None) -> bool:
        """Whether the file being compiled may use a predicate defined in `home`."""
        return home is None or (self.current_file is not None and _folder(home) == _folder(self.current_file))

    def constant(self, node: YNode) -> YNode | None:
        """The value node a `{constant: NAME}` argument names (None after reporting)."""
        name_node = node.get("constant") if isinstance(node, YMap) else None
        name = self.as_text(name_node, "constant") if name_node is not None else None
        if name is None:
            return None
        visible = {**self.constants.get(None, {}), **self.constants.get(self.current_file, {})}
        if name not in visible:
            self.error(name_node.pos, f"unknown constant {name!r}{suggest(name, visible)}"
                       + (f"; defined here: {', '.join(sorted(visible))}" if visible else
                          "; define it under constants: at the top of this file or in predicates.yaml"),
                       "unknown-constant")
            return None
        return visible[name]

    def condition(self, node: YNode | None, scope: Scope, usage: Usage) -> Condition | None:
        if node is None:
            return None
        if not isinstance(node, YMap):
            self.error(
                node.pos,
                f"a condition is a mapping such as {{field: subject, contains: x}} or {{all: [...]}}, "
                f"not {node_kind(node)}",
                "wrong-type",
            )
            return None
        forms = [k for k in node.entries if k in spec.CONDITION_FORMS]
        if "field" in forms:
            # beside field:, at_least is the number operator, not the condition form
            others = [k for k in forms if k != "field" and k not in OPERATORS]
            if others:
                self.error(
                    node.key_pos(others[0]),
                    f"{others[0]!r} cannot share a mapping with field:; wrap the two in all: [...]",
                    "unknown-key",
                )
                return None
            return self.field_condition(node, scope, usage)
        if not forms:
            key = next(iter(node.entries), None)
            if key is None:
                self.error(node.pos, "an empty condition", "missing-key")
            elif key in OPERATORS:
                self.error(node.key_pos(key), f"operator {key!r} needs a field: {{field: NAME, {key}: ...}}", "missing-key")
            elif misplaced(key, "a condition"):
                self.error(node.key_pos(key), misplaced(key, "a condition"), "misplaced-key")
            else:
                self.error(
                    node.key_pos(key),
                    f"unknown condition {key!r}{suggest(key, list(spec.CONDITION_FORMS) + list(OPERATORS))}; "
                    f"a condition is one of {', '.join(spec.CONDITION_FORMS)}",
                    "unknown-key",
                )
            return None
        if len(forms) > 1:
            self.error(
                node.key_pos(forms[1]),
                f"one condition per mapping: found {forms[0]!r} and {forms[1]!r}; combine them with all: or any:",
                "unknown-key",
            )
            return None
        form = forms[0]
        allowed_extra = {
            "any_of": {"where"}, "all_of": {"where"}, "none_of": {"where"},
            "rule": {"status_in"}, "weakly": {"reason", "code"},
        }.get(form, set())
        for key, (key_node, _value) in node.entries.items():
            if key != form and key not in allowed_extra and misplaced(key, f"the {form} condition"):
                self.error(key_node.pos, misplaced(key, f"the {form} condition"), "misplaced-key")
            elif key != form and key not in allowed_extra:
                hint = f" (allowed with {form}: {', '.join(sorted(allowed_extra))})" if allowed_extra else ""
                self.error(key_node.pos, f"unknown key {key!r} in a {form} condition{hint}", "unknown-key")
        pos = node.key_pos(form)
        value = node.get(form)
        handler = getattr(self, f"cond_{form}")
        return handler(pos, value, node, scope, usage)

    def cond_list(self, value: YNode, what: str, scope: Scope, usage: Usage) -> list[Condition] | None:
        seq = self.as_seq(value, what)
        if seq is None:
            return None
        if not seq.items:
            self.error(seq.pos, f"{what} is empty", "bad-value")
            return None
        children = [self.condition(item, scope, usage) for item in seq.items]
        return None if any(c is None for c in children) else children

    def cond_all(self, pos, value, node, scope, usage):
        children = self.cond_list(value, "all", scope, usage)
        return AllCond(pos, "all", tuple(children)) if children else None

    def cond_any(self, pos, value, node, scope, usage):
        children = self.cond_list(value, "any", scope, usage)
        return AnyCond(pos, "any", tuple(children)) if children else None

    def cond_not(self, pos, value, node, scope, usage):
        child = self.condition(value, scope, usage)
        return NotCond(pos, "not", child) if child else None

    def cond_at_least(self, pos, value, node, scope, usage):
        if isinstance(value, YScalar):
            self.error(pos, "at_least with a number is an operator and needs a field: "
                       "{field: NAME, at_least: N}; as a condition it is "
                       "at_least: {n: N, of: [conditions]}", "missing-key")
            return None
        amap = self.as_map(value, "at_least")
        if amap is None:
            return None
        self.check_keys(amap, {"n": spec.Key("", True), "of": spec.Key("", True)}, "at_least")
        n = self.as_int(amap.get("n"), "at_least: n", minimum=1)
        children = self.cond_list(amap.get("of"), "at_least: of", scope, usage) if "of" in amap else None
        if n is None or children is None:
            return None
        if n > len(children):
            self.error(amap.get("n").pos, f"at_least: n is {n} but there are only {len(children)} conditions", "bad-value")
            return None
        return AtLeastCond(pos, f"at least {n} of", n, tuple(children))

    def cond_any_of(self, pos, value, node, scope, usage):
        return self.quantifier("any_of", pos, value, node, scope, usage)

    def cond_all_of(self, pos, value, node, scope, usage):
        return self.quantifier("all_of", pos, value, node, scope, usage)

    def cond_none_of(self, pos, value, node, scope, usage):
        return self.quantifier("none_of", pos, value, node, scope, usage)

    def quantifier(self, kind, pos, value, node, scope, usage):
        name = self.as_text(value, kind)
        if name is None:
            return None
        field_type, item_fields = self.resolve_list(name, value.pos, kind, scope, usage)
        if field_type is None:
            return None
        where = None
        if "where" in node:
            inner = Scope(name if not scope.is_item else f"{scope.list_field}[].{name}", field_type, item_fields)
            where = self.condition(node.get("where"), inner, usage)
            if where is None:
                return None
        elif kind == "all_of":
            self.error(pos, "all_of needs where: (the condition every item must meet)", "missing-key")
            return None
        label = f"{kind} {name}" + (" where" if where else "")
        return QuantCond(pos, label, kind, name, "item" if scope.is_item else "message", where)

    def resolve_list(self, name, pos, kind, scope: Scope, usage: Usage):
        if scope.is_item:
            info = (scope.item_fields or {}).get(name)
            if info is None:
                self.unknown_item_key(name, pos, scope)
                return None, None
            if info[0] != "list[text]":
                self.error(pos, f"{kind} inside where needs a list of texts; {name!r} is {info[0]}", "bad-operator-use")
                return None, None
            return info[0], None
        spec_field = self.fields.get(name)
        if spec_field is None:
            self.error(pos, f"unknown field {name!r}{suggest(name, self.fields)}", "unknown-field")
            return None, None
        if not spec_field.type.startswith("list["):
            self.error(
                pos,
                f"{kind} needs a list field; {name!r} is {spec_field.type} (test it with {{field: {name}, ...}})",
                "bad-operator-use",
            )
            return None, None
        usage.fields.add(name)
        return spec_field.type, spec_field.item_fields

    def cond_use(self, pos, value, node, scope, usage):
        name = self.as_text(value, "use")
        if name is None:
            return None
        if scope.is_item:
            self.error(pos, "use: is not allowed inside where (a predicate tests the whole message)", "bad-operator-use")
            return None
        home = self.predicate_home.get(name)
        if name not in self.predicate_names or not self.sees(home):
            visible = [n for n in self.predicate_names if self.sees(self.predicate_home.get(n))]
            where = (f"; {name!r} is defined in {home} and only the rules of {_folder(home)}/ can use it"
                     if name in self.predicate_names else "")
            self.error(value.pos, f"unknown predicate {name!r}{suggest(name, visible) if not where else where}",
                       "unknown-predicate")
            return None
        usage.predicates.add(name)
        return UseCond(pos, f"use {name}", name)

    def cond_rule(self, pos, value, node, scope, usage):
        rule_id = self.as_text(value, "rule", lenient=True)
        if rule_id is None:
            return None
        if scope.is_item:
            self.error(pos, "rule: is not allowed inside where", "bad-operator-use")
            return None
        if rule_id not in self.rule_ids:
            self.error(value.pos, f"unknown rule {rule_id!r}{suggest(rule_id, self.rule_ids)}", "unknown-rule")
            return None
        if "status_in" not in node:
            self.error(pos, "rule: needs status_in: [outcomes], e.g. [violation, needs_review]", "missing-key")
            return None
        statuses = self.as_texts(node.get("status_in"), "status_in")
        if not statuses:
            if statuses == []:
                self.error(node.get("status_in").pos, "status_in is empty", "bad-value")
            return None
        for item, status in zip(node.get("status_in").items, statuses, strict=True):
            if status not in spec.OUTCOMES:
                self.error(item.pos, f"status_in: {status!r} is not an outcome ({', '.join(spec.OUTCOMES)})", "bad-value")
                return None
        usage.rules.add(rule_id)
        return RuleCond(pos, f"rule {rule_id} status in [{', '.join(statuses)}]", rule_id, frozenset(statuses))

    def cond_weakly(self, pos, value, node, scope, usage):
        child = self.condition(value, scope, usage)
        reason = self.as_text(node.get("reason"), "reason") if "reason" in node else None
        if child is None:
            return None
        reason = reason or DEFAULT_WEAK_REASON
        code = self.as_text(node.get("code"), "code") if "code" in node else "weak_condition"
        if not is_code(code):
            self.error(node.get("code").pos, f"code: {code!r} is not a reason code (checker/reasons.py)", "bad-value")
            return None
        return WeakCond(pos, f"weakly ({reason})", child, reason, code)

    def unknown_item_key(self, name: str, pos: Pos, scope: Scope) -> None:
        keys = [spec.ITEM_SELF] if scope.item_type == "list[text]" else sorted(scope.item_fields or {})
        self.error(
            pos,
            f"unknown item key {name!r} for {scope.list_field}{suggest(name, keys)}; its items have: {', '.join(keys)}",
            "unknown-item-key",
        )

    def resolve_field(self, name: str, pos: Pos, scope: Scope, usage: Usage) -> tuple[str, str] | None:
        """(scope, type) of a field name used in a field condition."""
        if scope.is_item:
            if scope.item_type == "list[text]":
                if name == spec.ITEM_SELF:
                    return "self", "text"
            elif name in (scope.item_fields or {}):
                return "item", scope.item_fields[name][0]
            self.unknown_item_key(name, pos, scope)
            return None
        spec_field = self.fields.get(name)
        if spec_field is None:
            self.error(pos, f"unknown field {name!r}{suggest(name, self.fields)}", "unknown-field")
            return None
        usage.fields.add(name)
        return "message", spec_field.type

    def field_condition(self, node: YMap, scope: Scope, usage: Usage) -> FieldCond | None:
        field_node = node.get("field")
        name = self.as_text(field_node, "field")
        if name is None:
            return None
        resolved = self.resolve_field(name, field_node.pos, scope, usage)
        operators, options, ok = [], {}, True
        for key, (key_node, value) in node.entries.items():
            if key == "field":
                continue
            if key in OPERATORS:
                operators.append(key)
            elif key in OPTIONS:
                flag = self.as_bool(value, key)
                options[key] = (flag, key_node.pos)
            else:
                ok = False
                if misplaced(key, "a field condition"):
                    message = misplaced(key, "a field condition")
                elif key in spec.CONDITION_EXTRAS or key in spec.CONDITION_FORMS:
                    message = f"{key!r} does not belong in a field condition"
                else:
                    message = (f"unknown operator {key!r}{suggest(key, list(OPERATORS) + list(OPTIONS))}; "
                               f"the operators are {', '.join(OPERATORS)}")
                self.error(key_node.pos, message, "unknown-operator")
        if not operators:
            if ok:
                self.error(field_node.pos, f"field {name!r} has no operator ({', '.join(OPERATORS)})", "missing-key")
            return None
        if len(operators) > 1:
            self.error(
                node.key_pos(operators[1]),
                f"one operator per field condition (found {operators[0]!r} and {operators[1]!r}); "
                "combine conditions with all: or any:",
                "unknown-operator",
            )
            return None
        op = OPERATORS[operators[0]]
        op_pos = node.key_pos(op.name)
        for option, (_flag, option_pos) in options.items():
            if option not in op.options:
                self.error(option_pos, f"option {option!r} does not apply to {op.name}", "unknown-key")
                ok = False
        if resolved is None or not ok:
            return None
        field_scope, field_type = resolved
        if field_type not in op.field_types:
            self.error(op_pos, self.type_mismatch(op, name, field_type), "bad-operator-use")
            return None
        flags = {k: bool(v[0]) for k, v in options.items()}
        arg = self.operator_arg(op, node.get(op.name), field_type, scope, usage)
        if arg is None:
            return None
        value, arg_text, other = arg
        try:
            prepared = op.prepare(value, flags)
        except regex.error as exc:
            self.error(node.get(op.name).pos, f"invalid regular expression: {exc}", "invalid-regex")
            return None
        description = describe(op, arg_text)
        return FieldCond(
            pos=field_node.pos,
            label=f"{name} {op.name}" if op.arg == "flag" else f"{name} {description}",
            field=name,
            scope=field_scope,
            op=op,
            arg_text=arg_text,
            prepared=prepared,
            description=description,
            other_field=other[0] if other else None,
            other_scope=other[1] if other else None,
            arg_pos=node.get(op.name).pos,
        )

    @staticmethod
    def type_mismatch(op: Operator, name: str, field_type: str) -> str:
        kinds = ", ".join(sorted(op.field_types))
        message = f"{op.name} does not apply to {name!r}, which is {field_type} ({op.name} takes {kinds})"
        if field_type.startswith("list["):
            message += f"; for items use any_of: {name}, where: {{...}}"
        elif field_type == "bool":
            message += "; use equals: true or false"
        return message

    def operator_arg(self, op: Operator, node: YNode, field_type: str, scope: Scope, usage: Usage):
        """(value, text for explanations, other field) or None after reporting."""
        kind = op.arg
        what = f"{op.name} ({ARG_KINDS[kind]})"
        if isinstance(node, YMap) and "constant" in node.entries:
            if len(node.entries) != 1:
                self.error(node.pos, "{constant: NAME} takes nothing else", "unknown-key")
                return None
            node = self.constant(node)
            if node is None:
                return None
        if kind == "flag":
            if isinstance(node, YScalar) and node.value is True:
                return True, "true", None
            self.error(node.pos, f"{op.name} takes true; to negate it use not: or the opposite operator", "bad-value")
            return None
        if kind == "text":
            text = self.as_text(node, what, lenient=True)
            return (text, _quote(text), None) if text is not None else None
        if kind == "regex":
            text = self.as_text(node, what)
            return (text, f"/{text}/", None) if text is not None else None
        if kind == "regexes":
            found = self.many(node, "texts", "text", what, usage)
            if found is None:
                return None
            patterns, listed, _other = found
            if listed.startswith("list "):
                return patterns, listed, None
            shown = ", ".join(f"/{p}/" for p in patterns[:8]) + (f", ... ({len(patterns)} in all)" if len(patterns) > 8 else "")
            return patterns, f"[{shown}]", None
        if kind == "count":
            count = self.as_int(node, what)
            return (count, str(count), None) if count is not None else None
        if kind == "date":
            date = self.as_date(node, what)
            return (date, date.isoformat(), None) if date is not None else None
        if kind == "scalar":
            value = self.typed_scalar(node, field_type, what)
            return (value, _quote(value) if isinstance(value, str) else _yaml_scalar(value), None) if value is not None else None
        if kind in ("texts", "scalars"):
            return self.many(node, kind, field_type, what, usage)
        if kind == "list":
            name = self.as_text(node, what)
            if name is None:
                return None
            named = self.lists.get(name)
            if named is None:
                self.error(node.pos, f"unknown list {name!r}{suggest(name, self.lists)}", "unknown-list")
                return None
            usage.lists.add(name)
            return NamedListArg(named.name, named.kind, named.items), f"{name} ({len(named.items)} entries)", None
        if kind == "field":
            name = self.as_text(node, what)
            if name is None:
                return None
            if scope.is_item and name in (scope.item_fields or {}):
                other = ("item", scope.item_fields[name][0])
            elif name in self.fields:
                other = ("message", self.fields[name].type)
                usage.fields.add(name)
            else:
                choices = list(self.fields) + list(scope.item_fields or {})
                self.error(node.pos, f"unknown field {name!r}{suggest(name, choices)}", "unknown-field")
                return None
            if other[1] != field_type:
                self.error(node.pos, f"{op.name}: {name!r} is {other[1]} but the field is {field_type}", "bad-operator-use")
                return None
            return None, name, (name, other[0])
        raise AssertionError(kind)

    def typed_scalar(self, node: YNode, field_type: str, what: str):
        if field_type == "text":
            return self.as_text(node, what, lenient=True)
        if field_type == "bool":
            return self.as_bool(node, what)
        if field_type == "int":
            return self.as_int(node, what, minimum=-(2**63))
        raise AssertionError(field_type)

    def many(self, node: YNode, kind: str, field_type: str, what: str, usage: Usage):
        if isinstance(node, YMap):
            self.check_keys(node, {"list": spec.Key("", True)}, what)
            name = self.as_text(node.get("list"), "list")
            if name is None:
                return None
            named = self.lists.get(name)
            if named is None:
                self.error(node.get("list").pos, f"unknown list {name!r}{suggest(name, self.lists)}", "unknown-list")
                return None
            if field_type == "int":
                self.error(node.pos, "a named list holds texts; this field is a number", "bad-operator-use")
                return None
            usage.lists.add(name)
            return list(named.items), f"list {name} ({len(named.items)} entries)", None
        seq = self.as_seq(node, what)
        if seq is None:
            return None
        if not seq.items:
            self.error(seq.pos, f"{what}: the list is empty", "bad-value")
            return None
        if kind == "texts" or field_type == "text":
            values = [self.as_text(item, what, lenient=True) for item in seq.items]
        else:
            values = [self.typed_scalar(item, field_type, what) for item in seq.items]
        if any(v is None for v in values):
            return None
        shown = ", ".join(_quote(v) if isinstance(v, str) else str(v) for v in values[:8])
        more = f", ... ({len(values)} in all)" if len(values) > 8 else ""
        return values, f"[{shown}{more}]", None


def _folder(display: str) -> str:
    return display.rsplit("/", 1)[0] if "/" in display else "."


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
