"""The batch runner behind `--jobs`: order, isolation of failures, time bounds.

These tests use a stand-in engine (`stand_in_audit`, module level so worker processes can
import it), so they exercise the runner whatever the rules say.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time

import pytest

from checker import batch
from checker.batch import INTERNAL_ERROR, TIME_BOUND, run_audit
from checker.findings import AuditResult, Finding, Status
from checker.sources import SourceItem


def stand_in_audit(ruleset, message) -> AuditResult:
    """A fake engine whose behaviour the message body chooses."""
    raw = message.raw
    if b"RAISE" in raw:
        raise ValueError("boom")
    if b"SLOW" in raw:
        try:
            time.sleep(60)
        except Exception:  # an engine that catches everything must still be stopped
            pass
    if b"HANG" in raw:  # stuck where no signal handler can run (C code, in effect)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    if b"CRASH" in raw:
        os._exit(3)
    status = Status.VIOLATION if b"buy" in raw else Status.COMPLIANT
    rule = Finding(rule=ruleset["rule"], status=status, title="t", jurisdiction="US",
                   citations=(), finding=str(os.getpid()))
    return AuditResult(source=message.source_id, sha256=message.sha256, size=message.size,
                       findings=(rule,))


RULESET = {"rule": "STAND-IN-1"}


def item(index: int, body: bytes = b"hello", error: str | None = None) -> SourceItem:
    raw = b"" if error else b"From: a@example.com\nSubject: %d\n\n%s\n" % (index, body)
    return SourceItem(source_id=f"box#{index}", raw=raw, sha256=hashlib.sha256(raw).hexdigest(),
                      size=len(raw), metadata={}, error=error)


def run(items, jobs=1, timeout=5.0):
    return list(run_audit(items, RULESET, jobs, timeout=timeout, audit=stand_in_audit))


def test_in_process_keeps_order_and_reports_each_failure():
    items = [item(1, b"buy"), item(2, error="empty file"), item(3, b"RAISE"), item(4)]
    results = run(items)
    assert [r.source for r in results] == ["box#1", "box#2", "box#3", "box#4"]
    assert results[0].findings[0].status == Status.VIOLATION
    assert results[1].errors == ("empty file",) and not results[1].findings
    assert results[2].errors[0].startswith(f"{INTERNAL_ERROR}: ValueError: boom")
    assert results[3].findings[0].status == Status.COMPLIANT


def test_time_bound_stops_a_slow_message_even_if_the_engine_catches_everything():
    started = time.monotonic()
    results = run([item(1, b"SLOW"), item(2, b"buy")], timeout=0.3)
    assert time.monotonic() - started < 10
    assert results[0].errors[0].startswith(TIME_BOUND)
    assert results[1].findings[0].status == Status.VIOLATION


def test_pool_gives_the_same_results_in_the_same_order():
    items = [item(i, b"buy" if i % 3 else b"ok") for i in range(1, 60)]
    alone, pooled = run(items), run(items, jobs=2)
    strip = [(r.source, r.sha256, [(f.rule, f.status) for f in r.findings]) for r in alone]
    assert strip == [(r.source, r.sha256, [(f.rule, f.status) for f in r.findings])
                     for r in pooled]
    assert str(os.getpid()) not in {r.findings[0].finding for r in pooled}  # workers did it


def test_pool_survives_a_worker_that_dies():
    items = [item(i) for i in range(1, 41)]
    items[5] = item(6, b"CRASH")
    items[20] = item(21, b"RAISE")
    results = run(items, jobs=2)
    assert [r.source for r in results] == [f"box#{i}" for i in range(1, 41)]
    assert "worker process died" in results[5].errors[0]
    assert results[20].errors[0].startswith(f"{INTERNAL_ERROR}: ValueError")
    others = [r for i, r in enumerate(results) if i not in (5, 20)]
    assert all(r.findings and not r.errors for r in others)


def test_pool_kills_a_worker_stuck_past_the_hard_bound(monkeypatch):
    monkeypatch.setattr(batch, "HARD_GRACE", 0.5)
    results = run([item(1), item(2, b"HANG"), item(3, b"buy")], jobs=2, timeout=0.3)
    assert results[1].errors[0].startswith(TIME_BOUND)
    assert results[0].findings and results[2].findings[0].status == Status.VIOLATION


def test_pool_that_cannot_start_falls_back_to_this_process(capsys):
    # Workers load the ruleset from a folder that does not exist: their initializer fails.
    source = batch.RulesetSource("/nonexistent/rules")
    results = list(run_audit([item(1, b"buy"), item(2)], RULESET, 2, source=source,
                             audit=stand_in_audit))
    assert [r.findings[0].status for r in results] == [Status.VIOLATION, Status.COMPLIANT]
    assert str(os.getpid()) == results[0].findings[0].finding  # audited here
    assert "auditing in one process" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), ("auto", None)])
def test_jobs_option(value, expected):
    jobs = batch.jobs_from_option(value)
    assert jobs == expected if expected else jobs >= 1


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_jobs_option_rejects_nonsense(value):
    with pytest.raises(ValueError):
        batch.jobs_from_option(value)


def slow_start(seconds: float) -> None:
    """A worker initializer as slow as loading the ruleset on a busy machine."""
    time.sleep(seconds)


def echo_task(payload: str) -> str:
    if payload == "crash":
        os._exit(3)
    return payload.upper()


def test_hard_bound_counts_from_when_a_worker_begins_the_task_not_while_workers_start():
    """A worker dies; the fresh workers take longer to start than the hard bound. The
    tasks re-run there must not be blamed for the start-up (the old pool timed them from
    when they were queued and reported them 'killed after 2 s')."""
    from checker.pool import TaskFailure, TaskPool

    outcomes = dict(TaskPool(echo_task, 2, hard_bound=2, initializer=slow_start,
                             initargs=(3,)).run(["crash", "a", "b", "c"]))
    assert {k: outcomes[k] for k in "abc"} == {"a": "A", "b": "B", "c": "C"}
    assert isinstance(outcomes["crash"], TaskFailure) and "died" in outcomes["crash"].reason


def test_a_worker_that_dies_before_the_rest_of_the_window_is_queued_loses_no_payload(
        monkeypatch):
    """The race CI met on a busy machine: the worker took "crash" and died before the
    next payload was queued, so the executor refused it (BrokenProcessPool out of the
    batch). Here the pool is made to break before "a" is queued, every time."""
    from concurrent.futures import wait as wait_for

    from checker.pool import TaskFailure, TaskPool, Workers

    real = Workers.submit

    def submit_then_let_it_crash(self, function, *args):
        future, token = real(self, function, *args)
        if args == ("crash",):
            wait_for([future], timeout=60)  # the worker has died: the pool is broken
        return future, token

    monkeypatch.setattr(Workers, "submit", submit_then_let_it_crash)
    outcomes = dict(TaskPool(echo_task, 2, hard_bound=30, initializer=slow_start,
                             initargs=(0,)).run(["crash", "a", "b"]))
    assert {k: outcomes[k] for k in "ab"} == {"a": "A", "b": "B"}
    assert isinstance(outcomes["crash"], TaskFailure) and "died" in outcomes["crash"].reason


def test_one_set_of_workers_serves_the_audit_and_the_render_pass(tmp_path, monkeypatch):
    """`spamlaw exhibits --jobs 2` starts its worker processes once (each loads the ruleset
    once), not once per pass."""
    from test_exhibits_batch import copy_samples
    from test_exhibits_batch import run as run_exhibits

    from checker.pool import Workers

    started = []
    real = Workers._start

    def counting(self):
        if self.executor is None:
            started.append(1)
        return real(self)

    monkeypatch.setattr(Workers, "_start", counting)
    inputs = copy_samples(tmp_path / "in", ["can-spam/no-opt-out.eml",
                                            "can-spam/compliant-newsletter.eml"])
    code, summary, text = run_exhibits([inputs], tmp_path / "out", "--jobs", "2")
    assert code == 0, text
    assert summary["this_run"]["audited"] == 2 and summary["this_run"]["rendered"] == 1
    assert started == [1]
