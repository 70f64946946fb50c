"""`spamlaw audit` over all 1,896 spam messages of the corpus mbox, through the CLI and
the process pool: no exception escapes, no rule errors, and every message comes out once,
in input order (count in = count out).

It runs the shipped ruleset; while none is shipped, a stand-in with one rule per
registered field (tests/audit_support.py) so that every extractor still runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_support import broad_rules, write_ruleset
from typer.testing import CliRunner

from checker.batch import INTERNAL_ERROR, TIME_BOUND
from checker.cli import app
from checker.paths import rules_dir

MBOX = Path(__file__).parents[2] / "shared" / "corpus" / "spamassassin-spam.mbox"
SPAM_COUNT = 1896

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not MBOX.is_file(), reason=f"corpus mbox not found at {MBOX}"),
]


def ruleset_args(tmp_path) -> list[str]:
    if (rules_dir() / "authorities.yaml").is_file():
        return []  # the shipped rules
    return ["--rules", str(write_ruleset(tmp_path, broad_rules(), "us/broad.yaml"))]


def test_every_corpus_spam_is_audited_once_in_order(tmp_path):
    args = ["audit", str(MBOX), "--format", "json", "--jobs", "2", "--fail-on", "never"]
    result = CliRunner().invoke(app, args + ruleset_args(tmp_path))
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    messages, summary = document["messages"], document["summary"]

    assert [m["source"] for m in messages] == [f"{MBOX}#{i}" for i in range(1, SPAM_COUNT + 1)]
    assert all(m["sha256"] and m["size"] for m in messages)
    failures = [(m["source"], e) for m in messages for e in m["errors"]
                if e.startswith((INTERNAL_ERROR, TIME_BOUND))]
    assert not failures
    assert summary["messages"] == SPAM_COUNT and summary["not_audited"] == 0
    # every reported rule left exactly one finding on every message, none of them an error
    assert sum(summary["findings"].values()) == SPAM_COUNT * document["ruleset"]["rules"]
    rule_errors = [(m["source"], f["rule"], f.get("error")) for m in messages
                   for f in m["findings"] if f["status"] == "error"]
    assert not rule_errors, rule_errors[:5]
