"""Process-pool mechanics shared by every batch command (`audit --jobs`, `exhibits --jobs`).

Spam is hostile input and a batch of 45,000 messages must finish whatever one message
does to a worker: so workers are spawned fresh (`spawn_context`), each task runs under a
per-message timer inside the worker (`time_bound`), a worker stuck in C code is killed
from outside (`kill_workers`, which also works around a Python 3.11 executor hang), and
`TaskPool` re-runs the tasks of a dead worker one at a time to pin the crash on one
message. `checker.batch` (audits, sent in chunks for speed) and `checker.exhibits.batch`
(one exhibit per task) build on these.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INTERNAL_ERROR = "internal error"
TIME_BOUND = "time bound exceeded"
HARD_GRACE = 10.0  # seconds a worker gets beyond its task's soft bounds before it is killed
POLL = 0.5  # seconds between looks at the pool for stuck workers


class MessageTimeout(BaseException):
    """Raised by the per-message timer. A BaseException, so that the engine's own
    `except Exception` (which turns a failing rule into an `error` finding) cannot
    swallow it and run on past the bound."""


@contextmanager
def time_bound(seconds: float | None):
    """Interrupt the block after `seconds` (main thread of a Unix process only; a no-op
    elsewhere, where the pool's hard bound still applies)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expired(signum, frame):
        raise MessageTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def describe(exc: BaseException) -> str:
    """`Type: message (file:line)` of the innermost frame, enough to find the bug."""
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        where = f" ({Path(last.filename).name}:{last.lineno})"
    return f"{type(exc).__name__}: {exc}{where}"


def spawn_context():
    """Worker processes are spawned fresh: not forked, because the parent may run threads
    (the progress bar) and forking a threaded process can deadlock the child; and not
    through the forkserver, whose exit reporting made the pool hang when a worker died
    (Python 3.11: the executor joined a killed worker forever)."""
    return multiprocessing.get_context("spawn")


def kill_workers(executor: ProcessPoolExecutor) -> None:
    """Kill every worker until the executor's manager thread has finished.

    A stuck worker never finishes on its own, and on Python 3.11 a worker started by a
    submit that raced with a crash is joined by the manager thread while it waits for
    work: killing once is not enough, so keep killing what appears until it is done."""
    manager = getattr(executor, "_executor_manager_thread", None)
    for _ in range(600):  # at most about a minute
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.kill()
        if manager is None or not manager.is_alive():
            return
        manager.join(0.1)


@dataclass(frozen=True)
class TaskFailure:
    """A task that did not come back: its worker died or was killed."""

    reason: str


@dataclass
class _Slot:
    payload: Any
    running_since: float | None = None


class WorkerPool:
    """The executor of spawned workers behind a batch: started on first use, probed once
    (`_workers_start`), shut down -- killing the workers when one is stuck or died."""

    jobs: int
    initializer: Callable[..., None]
    initargs: tuple
    executor: ProcessPoolExecutor | None = None
    fallback = "working in one process"  # what the user is told when workers cannot start

    def _workers_start(self, probe: Callable[..., Any] | None = None, *args: Any) -> bool:
        """Probe the pool with an empty task. If a worker cannot even start (its
        initializer fails: the ruleset changed on disk, an import fails), every message
        would be blamed in turn; say so once and work in this process instead."""
        try:
            self._start().submit(probe or _probe, *args).result(timeout=120)
            return True
        except Exception as exc:
            self._shutdown(kill=True)
            sys.stderr.write(f"spamlaw: worker processes failed to start ({describe(exc)}); "
                             f"{self.fallback}\n")
            return False

    def _start(self) -> ProcessPoolExecutor:
        if self.executor is None:
            self.executor = ProcessPoolExecutor(self.jobs, mp_context=spawn_context(),
                                                initializer=self.initializer, initargs=self.initargs)
        return self.executor

    def _shutdown(self, kill: bool = False) -> None:
        executor, self.executor = self.executor, None
        if executor is None:
            return
        if kill:
            kill_workers(executor)
        executor.shutdown(wait=True, cancel_futures=True)


class TaskPool(WorkerPool):
    """Runs `function(payload)` for each payload and yields `(payload, outcome)` pairs,
    where the outcome is the function's result or a `TaskFailure`; with `jobs > 1` in
    completion order, in spawned worker processes.

    A worker that dies takes none of the batch with it (the tasks it
    may have held are re-run one at a time in a fresh pool, which pins the crash on one
    payload), and a task running past `hard_bound` seconds has its worker killed."""

    def __init__(self, function: Callable[[Any], Any], jobs: int, hard_bound: float | None,
                 initializer: Callable[..., None], initargs: tuple = (),
                 local_init: Callable[[], None] | None = None):
        """`initializer(*initargs)` prepares each worker (load the ruleset once);
        `local_init()` prepares this process instead when the tasks run here (it may
        reuse what the caller has already loaded); default: the initializer."""
        self.function, self.jobs, self.hard_bound = function, jobs, hard_bound
        self.initializer, self.initargs = initializer, initargs
        self.local_init = local_init or (lambda: initializer(*initargs))
        self.window = 4 * jobs

    def run(self, payloads: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        if self.jobs <= 1 or not self._workers_start():
            self.local_init()
            for payload in payloads:
                yield payload, self.function(payload)
            return
        iterator = iter(payloads)
        pending: dict[Any, _Slot] = {}
        try:
            while True:
                self._fill(iterator, pending)
                if not pending:
                    return
                done, _ = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
                broken = []
                for future in done:
                    slot = pending.pop(future)
                    if future.exception() is None:
                        yield slot.payload, future.result()
                    else:
                        broken.append(slot)
                stuck = self._stuck(pending)
                if broken or stuck:
                    yield from self._recover(broken, stuck, pending)
        except BaseException:  # Ctrl-C or a failing caller: do not wait for the workers
            self._shutdown(kill=True)
            raise
        finally:
            self._shutdown()

    def _fill(self, iterator, pending: dict) -> None:
        while len(pending) < self.window:
            payload = next(iterator, _END)
            if payload is _END:
                return
            pending[self._start().submit(self.function, payload)] = _Slot(payload)

    def _stuck(self, pending: dict) -> list[_Slot]:
        """Slots whose task has run past the hard bound (`running()` is set when a task
        is handed to a worker, at most one task early)."""
        if not self.hard_bound:
            return []
        now = time.monotonic()
        stuck = []
        for future, slot in pending.items():
            if slot.running_since is None and future.running():
                slot.running_since = now
            if slot.running_since is not None and now - slot.running_since > self.hard_bound:
                stuck.append(slot)
        return stuck

    def _recover(self, broken: list[_Slot], stuck: list[_Slot], pending: dict):
        """Kill the pool; a stuck task failed; re-run the rest (one at a time if a worker
        died, since any of them may have been the one that killed it)."""
        stuck_ids = {id(slot) for slot in stuck}
        others = [slot for slot in pending.values() if id(slot) not in stuck_ids]
        pending.clear()
        self._shutdown(kill=True)
        for slot in stuck:
            yield slot.payload, TaskFailure(
                f"{TIME_BOUND}: worker killed after {self.hard_bound:g} s")
        if broken:
            for slot in broken + others:
                yield slot.payload, self._isolated(slot.payload)
        else:
            for slot in others:
                pending[self._start().submit(self.function, slot.payload)] = _Slot(slot.payload)

    def _isolated(self, payload):
        future = self._start().submit(self.function, payload)
        try:
            return future.result(timeout=self.hard_bound)
        except BrokenProcessPool:
            self._shutdown(kill=True)
            return TaskFailure(f"{INTERNAL_ERROR}: worker process died on this message")
        except TimeoutError:
            self._shutdown(kill=True)
            return TaskFailure(f"{TIME_BOUND}: worker killed after {self.hard_bound:g} s")
        except Exception as exc:
            return TaskFailure(f"{INTERNAL_ERROR}: {describe(exc)}")

_END = object()


def _probe() -> bool:
    return True
