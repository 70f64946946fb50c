"""The JSON Schema of every rule-language file, generated from the field registry, the
operator table and the key tables in `spec` (so it cannot drift from the loader).

`spamlaw rules schema` prints it; `rules/schema.json` is the shipped copy that rule files
name for editor completion:

    # yaml-language-server: $schema=../schema.json

The schema is for editors and independent checks; the loader's own checks are stricter
(e.g. operator/field type pairs inside `where`, citation keys that must exist).
"""

from __future__ import annotations

import json
from typing import Any

from checker.fields import all_fields
from checker.operators import ARG_KINDS, OPERATORS, OPTIONS, Operator
from checker.reasons import REASONS
from checker.ruleset import spec

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}([T ].*)?$", "description": "YYYY-MM-DD"}
TEXT = {"type": "string", "minLength": 1}
TEXTISH = {"type": ["string", "number", "boolean"]}
REF_COND = {"$ref": "#/definitions/condition"}
REF_ITEM = {"$ref": "#/definitions/item_condition"}


def _object(keys: dict[str, spec.Key], properties: dict[str, Any], **extra) -> dict[str, Any]:
    props = {}
    for name, key in keys.items():
        prop = dict(properties.get(name, TEXT))
        prop.setdefault("description", key.doc)
        props[name] = prop
    required = [name for name, key in keys.items() if key.required]
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    out.update(extra)
    return out


def _arg_schema(op: Operator) -> dict[str, Any]:
    kind = op.arg
    list_ref = {"$ref": "#/definitions/list_ref"}
    schemas = {
        "text": TEXTISH,
        "texts": {"anyOf": [{"type": "array", "minItems": 1, "items": TEXTISH}, list_ref]},
        "scalar": TEXTISH,
        "scalars": {"anyOf": [{"type": "array", "minItems": 1, "items": TEXTISH}, list_ref]},
        "regex": {"type": "string", "minLength": 1},
        "regexes": {"anyOf": [{"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}, list_ref]},
        "flag": {"const": True},
        "count": {"type": "integer", "minimum": 0},
        "date": DATE,
        "list": TEXT,
        "field": TEXT,
    }
    described = f"{op.doc} Argument: {ARG_KINDS[kind]}. Example: {op.example}"
    if kind == "flag":
        return {**schemas[kind], "description": described}
    return {"anyOf": [schemas[kind], {"$ref": "#/definitions/constant_ref"}], "description": described}


def _field_conditions(scope: str) -> list[dict[str, Any]]:
    fields = all_fields()
    item_keys = sorted({key for f in fields.values() for key in f.item_fields} | {spec.ITEM_SELF})
    out = []
    for op in OPERATORS.values():
        if scope == "message":
            names = sorted(n for n, f in fields.items() if f.type in op.field_types)
            if not names:
                continue
            field_schema = {"enum": names, "description": "A field from the field registry (spamlaw fields)."}
        else:
            field_schema = {"enum": item_keys, "description": "A key of the list's items (item: the item itself)."}
        props = {"field": field_schema, op.name: _arg_schema(op)}
        for option in op.options:
            props[option] = {"type": "boolean", "description": OPTIONS[option]}
        out.append(
            {"type": "object", "properties": props, "required": ["field", op.name], "additionalProperties": False}
        )
    return out


def _condition(scope: str) -> dict[str, Any]:
    ref = REF_COND if scope == "message" else REF_ITEM
    forms = spec.CONDITION_FORMS
    lists = sorted(n for n, f in all_fields().items() if f.type.startswith("list["))
    list_field = {"enum": lists} if scope == "message" else TEXT

    def one(key: str, value: dict[str, Any], **more: dict[str, Any]) -> dict[str, Any]:
        props = {key: {**value, "description": forms[key].doc}}
        for extra_key, extra_value in more.items():
            props[extra_key] = {**extra_value, "description": spec.CONDITION_EXTRAS[extra_key].doc}
        required = [key] + (["where"] if key == "all_of" else []) + (["status_in"] if key == "rule" else [])
        return {"type": "object", "properties": props, "required": required, "additionalProperties": False}

    array = {"type": "array", "minItems": 1, "items": ref}
    alternatives = [
        one("all", array),
        one("any", array),
        one("not", ref),
        one("at_least", {
            "type": "object",
            "properties": {"n": {"type": "integer", "minimum": 1}, "of": array},
            "required": ["n", "of"],
            "additionalProperties": False,
        }),
        one("any_of", list_field, where=REF_ITEM),
        one("all_of", list_field, where=REF_ITEM),
        one("none_of", list_field, where=REF_ITEM),
        one("weakly", ref, reason=TEXT, code={"enum": sorted(REASONS)}),
    ]
    if scope == "message":
        alternatives += [
            one("use", TEXT),
            one("rule", TEXT, status_in={"type": "array", "minItems": 1, "items": {"enum": list(spec.OUTCOMES)}}),
        ]
    alternatives += _field_conditions(scope)
    return {"anyOf": alternatives}


def _rule() -> dict[str, Any]:
    fields = sorted(all_fields())
    finding_map = {
        "type": "object",
        "properties": {k: TEXT for k in ("violation", "needs_review", "compliant", "not_applicable")},
        "additionalProperties": False,
    }
    test = _object(
        spec.TEST_KEYS,
        {
            "expect": {"enum": list(spec.OUTCOMES)},
            "todo": {"type": "boolean"},
            "state": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
            "inline": _object(
                spec.INLINE_KEYS,
                {
                    "headers": {
                        "type": "object",
                        "additionalProperties": {"anyOf": [TEXTISH, {"type": "array", "items": TEXTISH}]},
                    },
                    "text": {"type": "string"},
                    "html": {"type": "string"},
                },
            ),
            "expect_evidence": {
                "type": "array",
                "items": _object(spec.EXPECT_EVIDENCE_KEYS, {"quote": TEXTISH, "searched": TEXTISH}),
            },
        },
        oneOf=[{"required": ["message"]}, {"required": ["inline"]}],
    )
    rule = _object(
        spec.RULE_KEYS,
        {
            "id": {"type": "string", "pattern": r"^[A-Z0-9][A-Z0-9._-]*$"},
            "citations": {"type": "array", "minItems": 1, "items": TEXT},
            "jurisdiction": TEXT,
            "severity": {"enum": list(spec.SEVERITIES)},
            "status": {"enum": list(spec.RULE_STATUSES)},
            "version": {"type": "integer", "minimum": 1},
            "effective": _object(spec.EFFECTIVE_KEYS, {"from": DATE, "until": DATE}),
            "requires": {
                "type": "array",
                "minItems": 1,
                "items": _object(spec.REQUIRE_KEYS, {"when": REF_COND}),
            },
            "applies_when": REF_COND,
            "violation_when": REF_COND,
            "review_when": REF_COND,
            "finding": {"anyOf": [TEXT, finding_map]},
            "evidence": {"type": "array", "items": {"enum": fields}},
            "tests": {"type": "array", "items": test},
        },
        anyOf=[{"required": ["violation_when"]}, {"required": ["review_when"]}],
    )
    return rule


def _remedy() -> dict[str, Any]:
    return _object(
        spec.REMEDY_KEYS,
        {
            "amount": {"anyOf": [{"type": "number", "minimum": 0}, {"const": spec.AMOUNT_TO_VERIFY}]},
            "amount_for": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
            "unit": {"enum": list(spec.PENALTY_UNITS)},
            "cap": {"type": ["number", "null"], "minimum": 0},
            "cap_unit": {"enum": list(spec.CAP_UNITS)},
            "plaintiffs": {"type": "array", "items": {"enum": list(spec.PLAINTIFFS)}},
            "alternative": _object(
                spec.ALTERNATIVE_KEYS,
                {
                    "amount": {"type": "number", "minimum": 0},
                    "unit": {"enum": list(spec.PENALTY_UNITS)},
                    "take": {"enum": list(spec.ALTERNATIVE_TAKES)},
                },
            ),
            "cap_exceptions": {"type": "array", "items": TEXT},
            "multipliers": {
                "type": "array",
                "items": _object(spec.MULTIPLIER_KEYS, {"factor": {"type": "number", "minimum": 0}}),
            },
            "conditions": {"type": "array", "items": TEXT},
            "as_of": DATE,
        },
    )


CONSTANTS = {
    "type": "object",
    "propertyNames": {"pattern": r"^[A-Za-z][A-Za-z0-9_]*$"},
    "additionalProperties": {"anyOf": [TEXTISH, {"type": "array", "minItems": 1, "items": TEXTISH}]},
}


def _predicates() -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"pattern": r"^[a-z][a-z0-9_]*$"},
        "additionalProperties": _object(
            spec.PREDICATE_KEYS,
            {"when": REF_COND, "evidence": {"type": "array", "items": {"enum": sorted(all_fields())}}},
        ),
    }


def build_schema() -> dict[str, Any]:
    """The schema as a dict (stable order, so the shipped file can be compared)."""
    authority = _object(
        spec.AUTHORITY_KEYS,
        {
            "jurisdiction": TEXTISH,
            "in_force": _object(spec.IN_FORCE_KEYS, {"from": DATE, "until": DATE}),
            "remedies": {"type": "array", "items": TEXT},
        },
    )
    key_name = {"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"}
    definitions = {
        "condition": _condition("message"),
        "item_condition": _condition("item"),
        "list_ref": {
            "type": "object",
            "properties": {"list": {**TEXT, "description": "A list in rules/lists/ (its file name)."}},
            "required": ["list"],
            "additionalProperties": False,
        },
        "constant_ref": {
            "type": "object",
            "properties": {"constant": {**TEXT, "description": "A named constant (constants: of this file or predicates.yaml)."}},
            "required": ["constant"],
            "additionalProperties": False,
        },
        "constants": CONSTANTS,
        "predicates": _predicates(),
        "rule": _rule(),
        "rule_file": _object(
            spec.RULE_FILE_KEYS,
            {"jurisdiction": TEXTISH, "rules": {"type": "array", "items": {"$ref": "#/definitions/rule"}},
             "constants": {"$ref": "#/definitions/constants"}, "predicates": {"$ref": "#/definitions/predicates"}},
        ),
        "authorities_file": _object(
            spec.AUTHORITIES_FILE_KEYS,
            {
                "remedies": {"type": "object", "propertyNames": key_name, "additionalProperties": _remedy()},
                "authorities": {"type": "object", "propertyNames": key_name, "additionalProperties": authority},
            },
        ),
        "predicates_file": _object(
            spec.PREDICATES_FILE_KEYS,
            {"predicates": {"$ref": "#/definitions/predicates"}, "constants": {"$ref": "#/definitions/constants"}},
        ),
        "list_file": _object(
            spec.LIST_FILE_KEYS,
            {"kind": {"enum": list(spec.LIST_KINDS)}, "items": {"type": "array", "minItems": 1, "items": TEXTISH}},
        ),
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "spamlaw rule language",
        "description": (
            "Rule files (rules/**/*.yaml), the citation registry (authorities.yaml), shared "
            "predicates (predicates.yaml) and named lists (lists/*.yaml). Generated by "
            "`spamlaw rules schema`; see docs/rule-language.md."
        ),
        "oneOf": [
            {"$ref": "#/definitions/rule_file"},
            {"$ref": "#/definitions/authorities_file"},
            {"$ref": "#/definitions/predicates_file"},
            {"$ref": "#/definitions/list_file"},
        ],
        "definitions": definitions,
    }


def schema_text() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
