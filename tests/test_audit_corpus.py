"""The audit over all 1,896 spam messages of the corpus mbox: no exception escapes, no
rule errors, and every message comes out once, in order (count in = count out)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from audit_support import broad_rules, write_ruleset
from typer.testing import CliRunner

from checker.batch import run_audit
from checker.cli import app
from checker.findings import Status
from checker.formatters import FORMATTERS, RulesetInfo, Summary
from checker.formatters.base import ALL_STATUSES
from checker.paths import rules_dir
from checker.ruleset import load_ruleset
from checker.sources import iter_sources

MBOX = Path(__file__).parents[2] / "shared" / "corpus" / "spamassassin-spam.mbox"
SPAM_COUNT = 1896

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not MBOX.is_file(), reason=f"corpus mbox not found at {MBOX}"),
]


def test_every_field_of_every_spam_audits_without_error(tmp_path):
    """One rule per registered field, so every extractor and detector runs on every message."""
    ruleset = load_ruleset(write_ruleset(tmp_path, broad_rules(), "us/broad.yaml"))
    items = list(iter_sources([MBOX]))
    assert len(items) == SPAM_COUNT

    formatters = [cls(io.StringIO(), RulesetInfo(ruleset.sha256, len(ruleset.reported)),
                      statuses=ALL_STATUSES) for cls in FORMATTERS.values()]
    for formatter in formatters:
        formatter.start()
    summary = Summary()
    sources = []
    for result in run_audit(items, ruleset, jobs=1):
        sources.append(result.source)
        summary.add(result)
        for formatter in formatters:
            formatter.handle(result)
        assert len(result.findings) == len(ruleset.reported), (result.source, result.errors)
        errors = [(f.rule, f.error) for f in result.findings if f.status == Status.ERROR]
        assert not errors, (result.source, errors)
    assert sources == [item.source_id for item in items]
    assert summary.not_audited == 0
    lines = formatters[2].stream.getvalue().splitlines()  # jsonl
    assert len(lines) == SPAM_COUNT and all(json.loads(line) for line in lines)


def test_shipped_rules_over_the_corpus_through_the_cli():
    if not (rules_dir() / "authorities.yaml").is_file():
        pytest.skip("no shipped ruleset yet (rules/authorities.yaml is missing)")
    result = CliRunner().invoke(app, ["audit", str(MBOX), "--format", "jsonl", "--all",
                                      "--jobs", "2", "--fail-on", "never"])
    assert result.exit_code == 0, result.stderr
    messages = [json.loads(line) for line in result.stdout.splitlines()]
    assert [m["source"] for m in messages] == [f"{MBOX}#{i}" for i in range(1, SPAM_COUNT + 1)]
    broken = [(m["source"], m["errors"]) for m in messages if not m["findings"]]
    assert not broken
    rule_errors = [(m["source"], f["rule"], f.get("error")) for m in messages
                   for f in m["findings"] if f["status"] == "error"]
    assert not rule_errors
