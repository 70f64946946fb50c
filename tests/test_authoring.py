"""docs/authoring.md: its generated reference matches the registries, and its tutorial's
example rule set loads as written."""

from __future__ import annotations

import re

from checker.paths import project_root
from checker.ruleset import load_ruleset
from checker.ruleset.reference import with_reference

DOC = project_root() / "docs" / "authoring.md"


def test_the_reference_is_generated_from_the_registries():
    text = DOC.read_text(encoding="utf-8")
    assert text == with_reference(text), (
        "docs/authoring.md is out of date: run .venv/bin/python -m checker.ruleset.reference docs/authoring.md")


def test_the_tutorial_example_loads(tmp_path):
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    authorities = next(b for b in blocks if b.startswith("description:") and "authorities:" in b)
    rule = next(b for b in blocks if b.startswith("jurisdiction: OK"))
    (tmp_path / "authorities.yaml").write_text(authorities, encoding="utf-8")
    (tmp_path / "us-ok").mkdir()
    (tmp_path / "us-ok" / "ok-776-6.yaml").write_text(rule, encoding="utf-8")
    ruleset = load_ruleset(tmp_path)
    (loaded,) = ruleset.rules
    assert loaded.id == "OK-776-6" and loaded.citation_texts == ("Okla. Stat. tit. 15, § 776.6(A)",)
    assert loaded.penalty["remedies"][0]["amount_to_verify"] is True
