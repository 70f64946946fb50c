"""200 real spam messages through the exhibit code path (slow; runs in CI).

Messages are chosen deterministically (every 9th of spam + spam_2, sorted), rendered in a
pool of 2 processes. None may fail, each PDF has at least one page and carries the
original byte-exact, no render takes more than 60 s, and the sanitized HTML never makes
WeasyPrint ask the fetcher for anything (so nothing had to be refused).
"""

from __future__ import annotations

import hashlib
import io
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from exhibit_support import corpus_dir, sample_result

COUNT = 200
STEP = 9
LIMIT_SECONDS = 60.0


def chosen_messages() -> list[Path]:
    files = sorted(corpus_dir("spam").glob("*.eml")) + sorted(corpus_dir("spam_2").glob("*.eml"))
    return files[::STEP][:COUNT]


_RULESET = None


def _ruleset():
    """The shipped ruleset, or None while it does not load (then hand-made findings)."""
    global _RULESET
    if _RULESET is None:
        from checker.ruleset import RulesetError, load_ruleset

        try:
            _RULESET = load_ruleset()
        except RulesetError:
            _RULESET = False
    return _RULESET or None


def render_one(path: Path) -> dict:
    from pypdf import PdfReader

    from checker.engine import audit
    from checker.exhibits import ExhibitOptions, render_exhibit
    from checker.message import Message

    raw = path.read_bytes()
    started = time.perf_counter()
    try:
        msg = Message(raw, source_id=path.name)
        ruleset = _ruleset()
        result = audit(ruleset, msg) if ruleset else sample_result(msg)
        made = render_exhibit(msg, result, ExhibitOptions(),
                              ruleset_sha256=ruleset.sha256 if ruleset else "")
    except Exception as exc:
        return {"path": path.name, "error": f"{type(exc).__name__}: {exc}"}
    seconds = time.perf_counter() - started
    (embedded,) = PdfReader(io.BytesIO(made.pdf)).attachments.values()
    return {
        "path": path.name, "error": None, "pages": made.pages, "seconds": seconds,
        "embedded_ok": hashlib.sha256(embedded[0]).hexdigest() == hashlib.sha256(raw).hexdigest(),
        "refused": list(made.refused_urls), "fallback": made.layout_fallback,
    }


@pytest.mark.slow
@pytest.mark.corpus
def test_200_corpus_spam_messages_render():
    paths = chosen_messages()
    assert len(paths) == COUNT
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(render_one, paths, chunksize=4))
    failed = [(r["path"], r["error"]) for r in results if r["error"]]
    assert not failed, failed
    assert all(r["pages"] >= 1 for r in results)
    assert all(r["embedded_ok"] for r in results)
    slow = [(r["path"], round(r["seconds"], 1)) for r in results if r["seconds"] > LIMIT_SECONDS]
    assert not slow, slow
    refused = [(r["path"], r["refused"][:3]) for r in results if r["refused"]]
    assert not refused, refused
    fallbacks = [(r["path"], r["fallback"]) for r in results if r["fallback"]]
    assert not fallbacks, fallbacks
