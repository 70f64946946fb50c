"""The JSON Schema: the shipped copy is current, every shipped file passes an independent
validator (jsonschema), the schema rejects what the loader rejects, and the manual covers
every key, operator and template variable."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest
import yaml

from checker.operators import OPERATORS, OPTIONS
from checker.paths import project_root, rules_dir
from checker.ruleset import spec
from checker.ruleset.schema import build_schema, schema_text

SHIPPED_YAML = sorted(rules_dir().rglob("*.yaml"))
VALIDATOR = jsonschema.Draft7Validator(build_schema())


def plain(value):
    """YAML as an editor's schema validator sees it: dates are strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_shipped_schema_is_the_generated_one():
    shipped = (rules_dir() / "schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(), (
        "rules/schema.json is stale (fields, operators or keys changed): "
        "run `spamlaw rules schema -o rules/schema.json`"
    )


def test_schema_is_a_valid_draft7_schema():
    jsonschema.Draft7Validator.check_schema(build_schema())


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(rules_dir())))
def test_every_shipped_file_validates(path):
    errors = list(VALIDATOR.iter_errors(plain(yaml.safe_load(path.read_text(encoding="utf-8")))))
    assert not errors, [e.message[:200] for e in errors]


def test_rule_files_name_the_schema_for_editors():
    for path in SHIPPED_YAML:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        depth = len(path.relative_to(rules_dir()).parts) - 1
        assert first == f"# yaml-language-server: $schema={'../' * depth}schema.json", path


def _rule_file(**changes):
    rule = {"id": "X-1", "title": "t", "citations": ["k"], "severity": "low",
            "violation_when": {"field": "subject", "contains": "x"}, "finding": "f"}
    rule.update(changes)
    return {"jurisdiction": "US", "rules": [rule]}


@pytest.mark.parametrize(
    "bad",
    [
        {"violaton_when": {"field": "subject", "contains": "x"}},  # a typo'd key
        {"violation_when": {"field": "subject", "containz": "x"}},  # an unknown operator
        {"violation_when": {"field": "subjet", "contains": "x"}},  # an unknown field
        {"violation_when": {"field": "links", "contains": "x"}},  # operator on the wrong type
        {"violation_when": {"field": "subject", "contains": "x", "matches": "y"}},  # two operators
        {"severity": "severe"},
    ],
)
def test_schema_rejects_what_the_loader_rejects(bad):
    good = _rule_file()
    assert VALIDATOR.is_valid(good)
    assert not VALIDATOR.is_valid(_rule_file(**bad))


def test_the_manual_explains_every_key_operator_and_variable():
    manual = (project_root() / "docs" / "rule-language.md").read_text(encoding="utf-8")
    tables = [
        spec.RULE_FILE_KEYS, spec.RULE_KEYS, spec.EFFECTIVE_KEYS, spec.TEST_KEYS, spec.INLINE_KEYS,
        spec.EXPECT_EVIDENCE_KEYS, spec.AUTHORITIES_FILE_KEYS, spec.AUTHORITY_KEYS, spec.REMEDY_KEYS,
        spec.MULTIPLIER_KEYS, spec.PREDICATES_FILE_KEYS, spec.PREDICATE_KEYS, spec.LIST_FILE_KEYS,
        spec.CONDITION_FORMS, spec.CONDITION_EXTRAS, OPERATORS, OPTIONS, spec.TEMPLATE_VARIABLES,
    ]
    missing = sorted({name for table in tables for name in table if f"`{name}`" not in manual})
    assert not missing, f"docs/rule-language.md does not explain: {missing}"
    for op in OPERATORS.values():
        assert op.example in manual, f"the manual lacks the example of {op.name}"


def test_schema_command_output_is_json():
    assert json.loads(schema_text())["definitions"]["rule"]["required"] == [
        "id", "title", "citations", "severity", "finding"
    ]


def test_schema_lists_every_registered_field():
    from checker.fields import all_fields

    fields = set(build_schema()["definitions"]["rule"]["properties"]["evidence"]["items"]["enum"])
    assert fields == set(all_fields())
