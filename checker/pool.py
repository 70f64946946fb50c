"""Process-pool mechanics shared by every batch command (`audit --jobs`, `exhibits --jobs`).

Spam is hostile input and a batch of 45,000 messages must finish whatever one message
does to a worker: so workers are spawned fresh (`spawn_context`), each task runs under a
per-message timer inside the worker (`time_bound`), a worker stuck in C code is killed
from outside (`kill_workers`, which also works around a Python 3.11 executor hang), and
`TaskPool` re-runs the tasks of a dead worker one at a time to pin the crash on one
message. `Workers` are started once per run and shared by its pools; a hard time bound
counts from when a worker begins the task. `checker.batch` (audits, sent in chunks for
speed) and `checker.exhibits.batch` (one exhibit per task) build on these.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
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


class Workers:
    """The spawned worker processes of a run: started once, on first use, and shared by
    every pool of the run (`spamlaw exhibits` audits, then renders, with the same workers,
    each of which loaded the ruleset once); killed and started afresh only when one dies
    or is stuck.

    Each task is sent with a token; the worker notes (token, time) in a shared array the
    moment it begins the task, so a hard time bound counts from then -- not from when the
    task was queued, nor while a fresh pool is still starting on a busy machine."""

    fallback = "working in one process"  # what the user is told when workers cannot start

    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple = ()):
        self.jobs, self.initializer, self.initargs = jobs, initializer, initargs
        self.executor: ProcessPoolExecutor | None = None
        self.failed = False  # the workers could not start: everything runs in this process
        self._probed = False
        self._board = None  # per worker: (token of the task it is running, when it began)
        self._tokens = 0

    def usable(self, probe: Callable[..., Any] | None = None, *args: Any) -> bool:
        """Probe the pool with an empty task (once). If a worker cannot even start (its
        initializer fails: the ruleset changed on disk, an import fails), every message
        would be blamed in turn; say so once and work in this process instead."""
        if self.jobs <= 1 or self.failed:
            return False
        if self._probed and self.executor is not None:
            return True
        try:
            self.submit(probe or _probe, *args)[0].result(timeout=120)
        except Exception as exc:
            self.shutdown(kill=True)
            self.failed = True
            sys.stderr.write(f"spamlaw: worker processes failed to start ({describe(exc)}); "
                             f"{self.fallback}\n")
            return False
        self._probed = True
        return True

    def submit(self, function: Callable[..., Any], *args: Any) -> tuple[Any, int]:
        """(future, token) of `function(*args)` in a worker."""
        self._tokens += 1
        return self._start().submit(_timed, self._tokens, function, *args), self._tokens

    def started_at(self, token: int) -> float | None:
        """When a worker began the task `token` (time.monotonic, which every process of
        the machine shares), or None if no worker is running it."""
        board = self._board
        if board is None:
            return None
        for index in range(0, len(board), 2):
            if board[index] == token:
                return board[index + 1]
        return None

    def _start(self) -> ProcessPoolExecutor:
        if self.executor is None:
            context = spawn_context()
            self._board = context.RawArray("d", 2 * self.jobs)
            counter = context.Value("i", 0)
            self.executor = ProcessPoolExecutor(
                self.jobs, mp_context=context, initializer=_init_worker,
                initargs=(self._board, counter, self.initializer, self.initargs))
        return self.executor

    def shutdown(self, kill: bool = False) -> None:
        executor, self.executor = self.executor, None
        self._probed = False
        if executor is None:
            return
        if kill:
            kill_workers(executor)
        executor.shutdown(wait=True, cancel_futures=True)


_board: dict[str, Any] = {}


def _init_worker(board, counter, initializer: Callable[..., None], initargs: tuple) -> None:
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    _board.update(array=board, index=2 * (index % (len(board) // 2)))
    initializer(*initargs)


def _timed(token: int, function: Callable[..., Any], *args: Any) -> Any:
    """In a worker: note when task `token` begins, then run it."""
    board, index = _board.get("array"), _board.get("index", 0)
    if board is not None:
        board[index + 1] = time.monotonic()
        board[index] = token
    try:
        return function(*args)
    finally:
        if board is not None:
            board[index] = 0


@dataclass
class _Slot:
    payload: Any
    token: int = 0
    running_since: float | None = None


class TaskPool:
    """Runs `function(payload)` for each payload and yields `(payload, outcome)` pairs,
    where the outcome is the function's result or a `TaskFailure`; with `jobs > 1` in
    completion order, in spawned worker processes (`Workers`, given or its own).

    A worker that dies takes none of the batch with it (the tasks it
    may have held are re-run one at a time in a fresh pool, which pins the crash on one
    payload), and a task running past `hard_bound` seconds -- counted from when a worker
    began it -- has its worker killed."""

    def __init__(self, function: Callable[[Any], Any], jobs: int, hard_bound: float | None,
                 initializer: Callable[..., None], initargs: tuple = (),
                 local_init: Callable[[], None] | None = None, workers: Workers | None = None):
        """`initializer(*initargs)` prepares each worker (load the ruleset once);
        `local_init()` prepares this process instead when the tasks run here (it may
        reuse what the caller has already loaded); default: the initializer."""
        self.function, self.jobs, self.hard_bound = function, jobs, hard_bound
        self.workers = workers or Workers(jobs, initializer, initargs)
        self.owned = workers is None
        self.local_init = local_init or (lambda: initializer(*initargs))
        self.window = 4 * jobs

    def run(self, payloads: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        if self.jobs <= 1 or not self.workers.usable():
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
            self.workers.shutdown(kill=True)
            raise
        finally:
            if self.owned:
                self.workers.shutdown()

    def _submit(self, payload: Any, pending: dict) -> None:
        """Queue one payload. A worker may die between two submits (a message that kills
        its worker the moment it arrives, on a busy machine): the executor then refuses
        new work, and the payload is held as broken so that recovery re-runs it."""
        try:
            future, token = self.workers.submit(self.function, payload)
        except BrokenProcessPool as exc:
            future, token = Future(), 0
            future.set_exception(exc)
        pending[future] = _Slot(payload, token)

    def _fill(self, iterator, pending: dict) -> None:
        while len(pending) < self.window:
            payload = next(iterator, _END)
            if payload is _END:
                return
            self._submit(payload, pending)

    def _stuck(self, pending: dict) -> list[_Slot]:
        """Slots whose task has run past the hard bound since a worker began it."""
        if not self.hard_bound:
            return []
        now = time.monotonic()
        stuck = []
        for slot in pending.values():
            if slot.running_since is None:
                slot.running_since = self.workers.started_at(slot.token)
            if slot.running_since is not None and now - slot.running_since > self.hard_bound:
                stuck.append(slot)
        return stuck

    def _recover(self, broken: list[_Slot], stuck: list[_Slot], pending: dict):
        """Kill the pool; a stuck task failed; re-run the rest (one at a time if a worker
        died, since any of them may have been the one that killed it)."""
        stuck_ids = {id(slot) for slot in stuck}
        others = [slot for slot in pending.values() if id(slot) not in stuck_ids]
        pending.clear()
        self.workers.shutdown(kill=True)
        for slot in stuck:
            yield slot.payload, TaskFailure(
                f"{TIME_BOUND}: worker killed after {self.hard_bound:g} s")
        if broken:
            for slot in broken + others:
                yield slot.payload, self._isolated(slot.payload)
        else:
            for slot in others:
                self._submit(slot.payload, pending)

    def _isolated(self, payload):
        """Run one payload alone, so that a crash is pinned on it."""
        future, token = self.workers.submit(self.function, payload)
        try:
            return result_within(future, token, self.workers, self.hard_bound)
        except BrokenProcessPool:
            self.workers.shutdown(kill=True)
            return TaskFailure(f"{INTERNAL_ERROR}: worker process died on this message")
        except TimeoutError:
            self.workers.shutdown(kill=True)
            return TaskFailure(f"{TIME_BOUND}: worker killed after {self.hard_bound:g} s")
        except Exception as exc:
            return TaskFailure(f"{INTERNAL_ERROR}: {describe(exc)}")


def result_within(future, token: int, workers: Workers, bound: float | None):
    """The future's result, waiting at most `bound` seconds from when a worker began the
    task (TimeoutError past it); a task still waiting for a worker is not timed."""
    if not bound:
        return future.result()
    began = None
    while True:
        if began is None:
            began = workers.started_at(token)
        left = POLL if began is None else min(POLL, began + bound - time.monotonic())
        try:
            return future.result(timeout=max(left, 0.0))
        except TimeoutError:
            if began is not None and time.monotonic() >= began + bound:
                raise


_END = object()


def _probe() -> bool:
    return True
