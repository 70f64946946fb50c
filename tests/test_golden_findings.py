"""What the audit says must not change by accident (speed work, refactoring): the full audit
JSON of every sample and corpus message is compared, as a digest, with the recorded one.

The digest is computed inside the test process, after whatever other tests ran before: the
audit and exhibit workers audit thousands of messages per process, so state an earlier audit,
import or test leaves behind must not change what the audit says (it did: WeasyPrint's import
switched Pillow to decoding cut-short pictures, see tests/test_reproducible_audit.py). When
the comparison fails, `bench/golden.py` is run in a fresh interpreter to say which it is: the
findings changed, or this process's state changed them."""

from __future__ import annotations

import subprocess
import sys

import golden_support
import pytest

pytestmark = [pytest.mark.slow]


def test_findings_match_the_recorded_golden_digest():
    moved = golden_support.differences(golden_support.load(), golden_support.compute())
    if moved:
        pytest.fail("\n".join([_fresh_verdict(), *moved[:60]]))
    if not golden_support.CORPUS.is_dir():
        pytest.skip(f"corpus not found at {golden_support.CORPUS}: only samples/ were compared")


def _fresh_verdict() -> str:
    script = golden_support.ROOT / "bench" / "golden.py"
    done = subprocess.run([sys.executable, str(script)], cwd=golden_support.ROOT,
                          capture_output=True, text=True, timeout=1800)
    if done.stdout.strip() == "no change":
        return ("a fresh interpreter matches the golden digest, this test process does not: state "
                "left by earlier tests or audits (a patched module, a library's global switch, a "
                "cache) changes what the audit says; bisect with `pytest tests/test_x.py "
                "tests/test_golden_findings.py`")
    return ("audit findings changed; if that is meant, record it with\n"
            "  .venv/bin/python bench/golden.py --update --reason '...'")
