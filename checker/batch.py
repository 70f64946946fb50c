"""Audit many messages, in this process or in a pool of worker processes (`--jobs`).

`run_audit(items, ruleset, jobs)` yields one `AuditResult` per source item, in input
order, whatever happens to a message on the way:

* an item that could not be read (`item.error`) becomes a result with that error;
* a message whose audit raises becomes a result with an `internal error: ...` line;
* a message that runs past the per-message time bound becomes a result with a
  `time bound exceeded: ...` line (the bound is a SIGALRM timer, so it interrupts Python
  code and regular expressions alike; `--jobs` adds a hard bound that kills a worker
  stuck in C code);
* a worker process that dies takes none of the batch with it: the messages it held are
  re-run one at a time in a fresh pool, and the one that kills a worker again is reported
  as `internal error: worker process died ...`.

Such results carry errors and no findings; `formatters.base.was_audited` tells them apart.

Workers receive the source items themselves (raw bytes, source id, metadata) and load the
ruleset once, in the pool initializer, from a picklable `RulesetSource`; they run the same
`audit_item` as the in-process path, so `--jobs 4` and `--jobs 1` give the same results.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.findings import AuditResult
from checker.pool import (  # noqa: F401  (INTERNAL_ERROR, TIME_BOUND: the error texts callers test for)
    HARD_GRACE,
    INTERNAL_ERROR,
    TIME_BOUND,
    MessageTimeout,
    Workers,
    describe,
    kill_workers,
    result_within,
    spawn_context,
    time_bound,
)

if TYPE_CHECKING:
    from checker.ruleset import Ruleset
    from checker.sources import SourceItem

DEFAULT_TIMEOUT = 30.0  # seconds per message; an audit normally takes milliseconds
CHUNK = 16  # messages per task sent to a worker (amortises inter-process overhead)

AuditFunction = Callable[[Any, Any], AuditResult]  # (ruleset, Message) -> AuditResult



@dataclass(frozen=True)
class RulesetSource:
    """How a worker process loads the same ruleset as the parent (picklable)."""

    path: str | None = None
    rule_ids: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()

    def load(self) -> Ruleset:
        from checker.ruleset import load_ruleset

        ruleset = load_ruleset(Path(self.path) if self.path else None)
        if self.rule_ids or self.jurisdictions:
            ruleset = ruleset.select(rule_ids=self.rule_ids, jurisdictions=self.jurisdictions)
        return ruleset


def jobs_from_option(value: str) -> int:
    """`--jobs` as a process count: a positive integer or `auto` (usable CPUs)."""
    if value.strip().lower() == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not Linux
            return max(1, os.cpu_count() or 1)
    jobs = int(value)  # ValueError for the caller to report
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, not {jobs}")
    return jobs


# --- one message -----------------------------------------------------------------------


def failed(item: SourceItem, error: str) -> AuditResult:
    """The result for an item that could not be audited. An unreadable input has no bytes,
    so no hash is reported for it (the hash of nothing would read like evidence)."""
    return AuditResult(source=item.source_id, sha256=item.sha256 if item.raw else "",
                       size=item.size or 0, errors=(error,))


def audit_item(ruleset: Ruleset, item: SourceItem, timeout: float | None,
               audit: AuditFunction | None = None) -> AuditResult:
    """Audit one source item; never raises for anything the message can cause."""
    if item.error:
        return failed(item, item.error)
    if audit is None:
        from checker.engine import audit

    try:
        with time_bound(timeout):
            return audit(ruleset, item.message())
    except MessageTimeout:
        return failed(item, f"{TIME_BOUND}: audit stopped after {timeout:g} s")
    except Exception as exc:  # a bug or a pathological message: report it, keep going
        return failed(item, f"{INTERNAL_ERROR}: {describe(exc)}")


# --- many messages -----------------------------------------------------------------------


def run_audit(
    items: Iterable[SourceItem],
    ruleset: Ruleset,
    jobs: int = 1,
    *,
    source: RulesetSource | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    audit: AuditFunction | None = None,
    workers: Workers | None = None,
) -> Iterator[AuditResult]:
    """One `AuditResult` per item, in input order.

    With `jobs > 1` the audit runs in a process pool; its workers load the ruleset from
    `source` when given (cheap and always possible), else receive `ruleset` pickled.
    `audit(ruleset, message)` defaults to `checker.engine.audit`; another module-level
    function (picklable) can take its place, e.g. one that also renders an exhibit.
    `workers` (started by the caller, whose initializer calls `serve_audits`) are used
    instead of a pool of its own, and left running.
    """
    if jobs <= 1:
        for item in items:
            yield audit_item(ruleset, item, timeout, audit)
        return
    yield from _Pool(ruleset, source, jobs, timeout, audit, workers).run(items)


_worker: dict[str, Any] = {}


def _init_worker(ruleset: Ruleset | None, source: RulesetSource | None,
                 timeout: float | None, audit: AuditFunction | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    serve_audits(source.load() if source is not None else ruleset, timeout, audit)


def serve_audits(ruleset: Ruleset, timeout: float | None, audit: AuditFunction | None = None
                 ) -> None:
    """Make this worker process ready for `_audit_chunk` (another batch's initializer
    calls it to share its workers with the audit pass)."""
    _worker.update(ruleset=ruleset, timeout=timeout, audit=audit)


def _audit_chunk(items: list[SourceItem]) -> list[AuditResult]:
    return [audit_item(_worker["ruleset"], item, _worker["timeout"], _worker["audit"])
            for item in items]


def _succeeded(future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


class _Task:
    """One chunk of items in flight, and the future of its results."""

    def __init__(self, items: list[SourceItem]):
        self.items = items
        self.future = None
        self.token = 0


class _Pool:
    """A process pool that keeps a bounded window of chunks in flight and survives the
    loss of a worker."""

    def __init__(self, ruleset, source, jobs: int, timeout: float | None, audit,
                 workers: Workers | None = None):
        initargs = (None if source is not None else ruleset, source, timeout, audit)
        self.workers = workers or Workers(jobs, _init_worker, initargs)
        self.workers.fallback = "auditing in one process"
        self.owned = workers is None
        self.ruleset, self.audit = ruleset, audit
        self.jobs = jobs
        self.timeout = timeout

    def run(self, items: Iterable[SourceItem]) -> Iterator[AuditResult]:
        iterator = iter(items)
        if not self.workers.usable(_audit_chunk, []):
            for item in iterator:
                yield audit_item(self.ruleset, item, self.timeout, self.audit)
            return
        window: deque[_Task] = deque()
        try:
            while True:
                while len(window) < 2 * self.jobs:
                    chunk = list(islice(iterator, CHUNK))
                    if not chunk:
                        break
                    window.append(self._submit(_Task(chunk)))
                if not window:
                    return
                yield from self._collect(window.popleft(), window)
        except BaseException:
            self.workers.shutdown(kill=True)
            raise
        finally:
            if self.owned:
                self.workers.shutdown()

    def _submit(self, task: _Task) -> _Task:
        try:
            task.future, task.token = self.workers.submit(_audit_chunk, task.items)
        except BrokenProcessPool:  # a worker died since the last look: start afresh
            self.workers.shutdown(kill=True)
            task.future, task.token = self.workers.submit(_audit_chunk, task.items)
        return task

    def _hard_bound(self, count: int) -> float | None:
        return None if not self.timeout else self.timeout * (count + 1) + HARD_GRACE

    def _collect(self, task: _Task, window: deque[_Task]) -> list[AuditResult]:
        try:
            return result_within(task.future, task.token, self.workers,
                                 self._hard_bound(len(task.items)))
        except (BrokenProcessPool, FutureTimeout):
            # Pin the failure on one message: re-run this chunk's items one by one in a
            # fresh pool before anything else runs there, then resubmit the window.
            self.workers.shutdown(kill=True)
            results = [self._isolated(item) for item in task.items]
            for pending in window:
                if not _succeeded(pending.future):
                    self._submit(pending)
            return results
        except Exception:  # e.g. a result that could not be sent back
            return [self._isolated(item) for item in task.items]

    def _isolated(self, item: SourceItem) -> AuditResult:
        """Audit one item alone in the pool, so that a crash is pinned on it."""
        future, token = self.workers.submit(_audit_chunk, [item])
        try:
            return result_within(future, token, self.workers, self._hard_bound(1))[0]
        except BrokenProcessPool:
            self.workers.shutdown(kill=True)
            return failed(item, f"{INTERNAL_ERROR}: worker process died while auditing "
                                "this message")
        except FutureTimeout:
            self.workers.shutdown(kill=True)
            return failed(item, f"{TIME_BOUND}: worker killed after {self._hard_bound(1):g} s")
        except Exception as exc:
            return failed(item, f"{INTERNAL_ERROR}: {describe(exc)}")
