"""What the audit says must not change by accident (speed work, refactoring): the full audit
JSON of every sample and corpus message is compared, as a digest, with the recorded one.

The digest is computed in a fresh interpreter (`bench/golden.py`), as a user's audit runs:
inside this test process, state that other tests leave behind (patched modules, engines and
caches warmed on other inputs) must not be able to decide the comparison."""

from __future__ import annotations

import subprocess
import sys

import golden_support
import pytest

pytestmark = [pytest.mark.slow]


def test_findings_match_the_recorded_golden_digest():
    if not golden_support.CORPUS.is_dir():
        moved = golden_support.differences(golden_support.load(), golden_support.compute(with_corpus=False))
        assert not moved, "\n".join(moved[:60])
        pytest.skip(f"corpus not found at {golden_support.CORPUS}: only samples/ were compared")
    script = golden_support.ROOT / "bench" / "golden.py"
    done = subprocess.run([sys.executable, str(script)], cwd=golden_support.ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines == ["no change"], (
        "audit findings changed; if that is meant, record it with\n"
        "  .venv/bin/python bench/golden.py --update --reason '...'\n" + "\n".join(lines[:60])
    )
