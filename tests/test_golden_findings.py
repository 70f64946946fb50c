"""What the audit says must not change by accident (speed work, refactoring): the full audit
JSON of every sample and corpus message is compared, as a digest, with the recorded one."""

from __future__ import annotations

import golden_support
import pytest

pytestmark = [pytest.mark.slow]


def test_findings_match_the_recorded_golden_digest():
    expected = golden_support.load()
    actual = golden_support.compute(with_corpus=True)
    moved = golden_support.differences(expected, actual)
    assert not moved, (
        "audit findings changed; if that is meant, record it with\n"
        "  .venv/bin/python bench/golden.py --update --reason '...'\n" + "\n".join(moved[:60])
    )
    if "corpus" not in actual["sets"]:
        pytest.skip(f"corpus not found at {golden_support.CORPUS}: only samples/ were compared")
