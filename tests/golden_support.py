"""The golden digest of audit findings: every message of samples/ (shipped rules) and of the
shared corpus (rules as if in force), as full audit JSON, hashed in a fixed order.

Speed work must not change what the audit says. `tests/test_golden_findings.py` recomputes
the digest and compares it with `tests/golden/findings.json`; a change of outcomes or wording
that is meant (a legal fix, a detector improvement) is recorded with a reason:

    .venv/bin/python bench/golden.py --update --reason "why the findings changed"

which rewrites the digest and appends the reason to the file's history.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from checker.engine import audit
from checker.formatters.json import message_object
from checker.ruleset import load_ruleset
from checker.sources import iter_sources

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus" / "spamassassin"
GOLDEN = ROOT / "tests" / "golden" / "findings.json"
ALL_STATUSES = ("violation", "needs_review", "compliant", "not_applicable", "error")


def records(ruleset, inputs: list[Path], base: Path):
    for item in iter_sources(inputs):
        if item.error is not None:
            yield {"source": str(Path(item.source_id).relative_to(base)) if item.source_id.startswith(str(base)) else item.source_id,
                   "error": item.error}
            continue
        record = message_object(audit(ruleset, item.message()), ALL_STATUSES)
        record["source"] = str(Path(record["source"]).relative_to(base))
        yield record


@contextmanager
def time_bounds_lifted():
    """The wall-clock bounds (OCR per picture and per message, regex searches) lifted, and
    the OCR cache emptied: what the audit says of a message must be compared without the
    machine's load deciding whether a bound was hit (the bounds have tests of their own)."""
    from checker import ocr, operators
    from checker.extract import images

    saved = (ocr.DEADLINE_MS, images.MESSAGE_OCR_SECONDS, operators.REGEX_TIMEOUT)
    ocr.DEADLINE_MS, images.MESSAGE_OCR_SECONDS, operators.REGEX_TIMEOUT = 600_000, 3600.0, 600.0
    ocr._CACHE.clear()  # a reading cut short under load earlier in this process
    try:
        yield
    finally:
        ocr.DEADLINE_MS, images.MESSAGE_OCR_SECONDS, operators.REGEX_TIMEOUT = saved
        ocr._CACHE.clear()


def compute(with_corpus: bool = True) -> dict:
    """{'sets': {name: {'digest', 'messages', 'statuses'}}} for samples and, when present, the corpus."""
    shipped = load_ruleset()
    with time_bounds_lifted():
        sets = {"samples": _digest(records(shipped, [SAMPLES], ROOT))}
        if with_corpus and CORPUS.is_dir():
            in_force = shipped.ignoring_effective_dates()
            sets["corpus"] = _digest(records(in_force, [CORPUS], CORPUS.parent))
    return {"sets": sets}


def _digest(records) -> dict:
    digest = hashlib.sha256()
    statuses: Counter = Counter()
    count = 0
    for record in records:
        count += 1
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
        for finding in record.get("findings", ()):
            statuses[f"{finding['rule']} {finding['status']}"] += 1
    return {"digest": digest.hexdigest(), "messages": count, "statuses": dict(sorted(statuses.items()))}


def load() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def differences(expected: dict, actual: dict) -> list[str]:
    """Plain lines saying which set changed and which rule/status counts moved."""
    lines = []
    for name, now in actual["sets"].items():
        before = expected["sets"].get(name)
        if before is None or before["digest"] == now["digest"]:
            continue
        lines.append(f"{name}: digest changed ({before['messages']} -> {now['messages']} messages)")
        keys = sorted(set(before["statuses"]) | set(now["statuses"]))
        for key in keys:
            a, b = before["statuses"].get(key, 0), now["statuses"].get(key, 0)
            if a != b:
                lines.append(f"  {key}: {a} -> {b}")
    return lines
