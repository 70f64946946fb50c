"""Many messages → numbered, Bates-stamped PDF exhibits in a case folder (`spamlaw exhibits`).

The run has three passes over the inputs, each resumable from the ledger (`casefile`):

1. **audit** every input not yet settled (`checker.batch.run_audit`, the same engine,
   ruleset and case settings as `spamlaw audit`); the selected ones get the next exhibit
   numbers, in input order;
2. **count pages**: lay out each newly numbered exhibit (no PDF written) and reserve its
   Bates range right after the previous exhibit's, in number order. The page count does
   not depend on where the Bates numbers start (their digit width is fixed), so this is
   what lets every range be known before any PDF is written;
3. **render** each reserved exhibit with its final Bates start, check that it has the
   page count reserved for it, and write it (atomically).

An exhibit that cannot be laid out or rendered (ExhibitError, time bound, a worker that
dies or hangs, a page count that changed) gets a slip sheet of exactly the pages reserved
for it, so exhibit and Bates numbers stay continuous; the manifest says why.

Passes 2 and 3 run in `checker.pool.TaskPool`, the crash-safe process pool (spawned
workers that load the ruleset once, a per-message time bound inside the worker, a hard
bound that kills a stuck worker, and isolated re-runs that pin a crash on one message). Audits are cheap (~2 ms/message) beside layout (~300-600 ms), so passes 2 and 3
simply audit again; what the manifest records is the audit of the pass that made the PDF.
"""

from __future__ import annotations

import hashlib
import string
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checker import __version__
from checker.batch import RulesetSource, failed, run_audit
from checker.case import CaseSettings
from checker.exhibits.bates import BatesError, check_label
from checker.exhibits.casefile import (
    DONE,
    ERROR,
    EXHIBIT,
    NOT_SELECTED,
    PLANNED,
    SELECTED,
    SLIP_SHEET,
    CaseFolder,
    InputRow,
    pdf_name,
    write_atomically,
)
from checker.exhibits.context import ExhibitOptions
from checker.findings import AuditResult, Status
from checker.pool import (
    HARD_GRACE,
    INTERNAL_ERROR,
    TIME_BOUND,
    MessageTimeout,
    TaskFailure,
    TaskPool,
    describe,
    time_bound,
)

SELECTIONS = {
    "findings": "messages with at least one violation or needs_review finding",
    "violations": "messages with at least one violation finding",
    "all": "every message that could be audited",
}
DEFAULT_LABEL_FORMAT = "Exhibit {n}"
SLIP_SHEET_STATUSES = ("violation", "needs_review", "error")  # what a slip sheet lists
DEFAULT_TIMEOUT = 60.0  # per message and step; covers every outlier measured on real spam
COMMIT_EVERY = 200  # ledger rows per transaction during the audit pass

# progress(label, total) -> a context manager yielding advance(); total may be a callable
# (computed only if a bar is shown) or None (unknown)
Progress = Callable[[str, Any], AbstractContextManager[Callable[[], None]]]


class BatchError(Exception):
    """The batch cannot go on (a usage or environment problem: one line, exit 2)."""


# --- configuration ---------------------------------------------------------------------


@dataclass(frozen=True)
class BatchConfig:
    inputs: tuple[str, ...]
    out: Path
    ruleset: RulesetSource
    options: ExhibitOptions  # Bates prefix/start/digits, label corner, trusted hops
    case: CaseSettings  # what the engine sees as metadata["case"]
    select: str = "findings"
    first_exhibit: int = 1
    label_format: str = DEFAULT_LABEL_FORMAT
    jobs: int = 1
    timeout: float | None = DEFAULT_TIMEOUT
    max_bytes: int | None = None
    fresh: bool = False
    all_remedies: bool = False  # the schedule shows every plaintiff's remedies


def label_for(label_format: str, number: int) -> str:
    return check_label(label_format.format(n=number))


def check_label_format(label_format: str, first: int) -> str:
    """A usable --label-format: text with `{n}` (optionally formatted, e.g. `{n:03d}`)."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(label_format)
                 if name is not None}
    except ValueError as exc:
        raise BatesError(f"--label-format {label_format!r}: {exc}") from None
    if names != {"n"}:
        raise BatesError("--label-format must contain {n} (the exhibit number) and no other "
                         "{field}")
    try:
        label_for(label_format, first)
    except BatesError:
        raise
    except (ValueError, IndexError, KeyError) as exc:
        raise BatesError(f"--label-format {label_format!r}: {exc}") from None
    return label_format


def output_settings(config: BatchConfig, ruleset_sha256: str) -> dict[str, Any]:
    """Everything that decides what the folder's files contain. A resumed run must have
    the same, or its new exhibits would not match the old ones."""
    from checker.exhibits.render import PROVENANCE, templates_digest
    from checker.paths import templates_dir

    bates = config.options.bates
    return {
        "ruleset_sha256": ruleset_sha256,
        "select": config.select,
        "first_exhibit": config.first_exhibit,
        "label_format": config.label_format,
        "bates_prefix": bates.prefix,
        "bates_start": bates.start,
        "bates_digits": bates.digits,
        "label_corner": config.options.label_corner,
        "trusted_hops": config.options.trusted_hops,
        "case_sha256": case_digest(config.case),
        "plaintiff": config.case.plaintiff,  # the schedule shows this plaintiff's remedies
        "all_remedies": config.all_remedies,
        "templates_sha256": _all_templates_digest(templates_dir(), templates_digest),
        "tool_version": __version__,
        "weasyprint_version": PROVENANCE["weasyprint_version"],
    }


def case_digest(case: CaseSettings) -> str:
    """The case settings' content (not where the file was), as a SHA-256."""
    return hashlib.sha256(repr(replace(case, source="")).encode()).hexdigest()


def _all_templates_digest(directory: Path, exhibit_digest) -> str:
    slip = directory / "slip-sheet.html.j2"
    extra = slip.read_bytes() if slip.is_file() else b""
    return hashlib.sha256(exhibit_digest(str(directory)).encode() + b"\0" + extra).hexdigest()


# --- what a worker does -----------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker process needs (picklable)."""

    ruleset: RulesetSource
    case: CaseSettings
    options: ExhibitOptions
    timeout: float | None
    out: str
    decisions: Any = None  # checker.review.decisions.Decisions in force, or None


@dataclass(frozen=True)
class LayoutTask:
    item: Any  # SourceItem
    key: tuple[str, str, int]
    number: int
    label: str


@dataclass(frozen=True)
class LayoutOutcome:
    number: int
    pages: int | None  # None: cannot be laid out (reason says why)
    reason: str = ""
    audit_json: str = ""
    cpu: float = 0.0


@dataclass(frozen=True)
class RenderTask:
    item: Any  # SourceItem
    key: tuple[str, str, int]
    number: int
    label: str
    bates_start: int
    pages: int  # reserved
    pdf_file: str


@dataclass(frozen=True)
class RenderOutcome:
    number: int
    pages: int | None = None
    pdf_sha256: str = ""
    reason: str = ""  # set when no PDF was written
    audit_json: str = ""
    cpu: float = 0.0
    write_error: str = ""  # the folder cannot be written: the batch stops


_worker: dict[str, Any] = {}


def init_worker(setup: WorkerSetup, ruleset=None) -> None:
    """Pool initializer (and the in-process set-up): load the ruleset once."""
    import signal
    import threading

    if ruleset is None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's
        ruleset = setup.ruleset.load()
    _worker.update(setup=setup, ruleset=ruleset)


def _message(item, case: CaseSettings):
    from checker.message import Message

    return Message(item.raw, source_id=item.source_id,
                   metadata={**item.metadata, **case.as_metadata()})


def audit_json(result: AuditResult) -> str:
    """The audit JSON message object (docs/audit-json.md) with every finding: the schedule
    counts compliant and not-applicable outcomes too, and tells an audited message that
    only carries warnings (an implausible Date) from one that could not be audited by
    whether it has findings at all. Evidence is kept only where a report lists it
    (violation, needs_review, error), to keep the ledger small."""
    from checker.formatters.base import ALL_STATUSES, DEFAULT_STATUSES
    from checker.formatters.json import dumps, message_object

    message = message_object(result, ALL_STATUSES)
    listed = {str(status) for status in DEFAULT_STATUSES}
    for finding in message["findings"]:
        if finding.get("status") not in listed:
            finding["evidence"] = []
    return dumps(message)


def _audited(item):
    """(message, audit result) as `spamlaw audit` gives it; never raises."""
    from checker.engine import audit
    from checker.review.decisions import apply_to_result

    setup: WorkerSetup = _worker["setup"]
    msg = _message(item, setup.case)
    try:
        with time_bound(setup.timeout):
            return msg, apply_to_result(audit(_worker["ruleset"], msg), setup.decisions)
    except MessageTimeout:
        result = failed(item, f"{TIME_BOUND}: audit stopped after {setup.timeout:g} s")
    except Exception as exc:
        result = failed(item, f"{INTERNAL_ERROR}: {describe(exc)}")
    return _message(item, setup.case), result  # a fresh view: the old one may be half-read


def _step_failure(exc: BaseException, step: str) -> str:
    from checker.exhibits.render import ExhibitError

    if isinstance(exc, MessageTimeout):
        return f"{TIME_BOUND}: {step} stopped after {_worker['setup'].timeout:g} s"
    if isinstance(exc, ExhibitError):
        return f"cannot render: {exc}"
    return f"{INTERNAL_ERROR} during {step}: {describe(exc)}"


def layout_task(task: LayoutTask) -> LayoutOutcome:
    """Pass 2 in a worker: audit, lay out, count the pages."""
    from checker.exhibits.render import count_pages

    started = time.process_time()
    setup: WorkerSetup = _worker["setup"]
    msg, result = _audited(task.item)
    options = replace(setup.options, label=task.label)
    try:
        with time_bound(setup.timeout):
            pages = count_pages(msg, result, options, _worker["ruleset"].sha256)
        reason = ""
    except BaseException as exc:
        if not isinstance(exc, Exception | MessageTimeout):
            raise
        pages, reason = None, _step_failure(exc, "layout")
    return LayoutOutcome(task.number, pages, reason, audit_json(result),
                         time.process_time() - started)


def render_task(task: RenderTask) -> RenderOutcome:
    """Pass 3 in a worker: audit, render with the final Bates start, check the page count
    against the reservation, write the PDF."""
    from checker.exhibits.render import render_exhibit

    started = time.process_time()
    setup: WorkerSetup = _worker["setup"]
    msg, result = _audited(task.item)
    bates = replace(setup.options.bates, start=task.bates_start)
    options = replace(setup.options, label=task.label, bates=bates)
    try:
        with time_bound(setup.timeout):
            made = render_exhibit(msg, result, options, _worker["ruleset"].sha256)
    except BaseException as exc:
        if not isinstance(exc, Exception | MessageTimeout):
            raise
        return RenderOutcome(task.number, reason=_step_failure(exc, "rendering"),
                             audit_json=audit_json(result), cpu=time.process_time() - started)
    cpu = time.process_time() - started
    if made.pages != task.pages:
        return RenderOutcome(task.number, made.pages, audit_json=audit_json(result), cpu=cpu,
                             reason=f"page count changed between layout ({task.pages}) and "
                                    f"rendering ({made.pages}); the exhibit was not written, "
                                    "so no wrong Bates range exists")
    try:
        write_atomically(Path(setup.out) / task.pdf_file, made.pdf)
    except OSError as exc:
        return RenderOutcome(task.number, write_error=f"{task.pdf_file}: {exc.strerror or exc}")
    return RenderOutcome(task.number, made.pages, made.pdf_sha256, "", audit_json(result), cpu)


# --- the pool ----------------------------------------------------------------------------


# --- the run ------------------------------------------------------------------------------


@dataclass
class BatchReport:
    """What one run did, for the summary and the exit code."""

    out: Path
    inputs: int = 0  # items read this run
    new: int = 0  # items the case had not seen
    audited: int = 0
    laid_out: int = 0
    rendered: int = 0
    slip_sheets: int = 0  # made this run
    reused: int = 0  # exhibits whose PDF was already there and intact
    layout_cpu: float = 0.0  # CPU seconds of the page-counting pass (in its workers)
    render_cpu: float = 0.0  # CPU seconds of the rendering pass (in its workers)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per pass
    problems: list[str] = field(default_factory=list)  # one line each, for stderr
    not_given: int = 0  # rows of the case not among this run's inputs
    redone: list[str] = field(default_factory=list)  # labels re-rendered after decisions


def _noop_progress(label: str, total: Any):
    return nullcontext(lambda: None)


class _Keys:
    """(source, sha256, occurrence) of each item in a pass over the inputs: identical items
    (the same path given twice) are told apart by how many came before."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, item) -> tuple[str, str, int]:
        sha = "" if item.error else item.sha256
        occurrence = self.seen.get((item.source_id, sha), 0)
        self.seen[(item.source_id, sha)] = occurrence + 1
        return (item.source_id, sha, occurrence)


class Batch:
    def __init__(self, config: BatchConfig, folder: CaseFolder, ruleset,
                 progress: Progress | None = None):
        self.config, self.folder, self.ruleset = config, folder, ruleset
        self.progress = progress or _noop_progress
        self.report = BatchReport(out=config.out)
        self.setup = WorkerSetup(config.ruleset, config.case, config.options, config.timeout,
                                 str(config.out))
        self.sources_options = {} if config.max_bytes is None else {"max_bytes": config.max_bytes}
        self.revisited: dict[tuple, InputRow] = {}  # re-rendered for decisions: row before

    def run(self) -> BatchReport:
        self._apply_decisions()
        for name, step in (("audit", self.audit_pass), ("count pages", self.layout_pass),
                           ("render", self.render_pass)):
            started = time.monotonic()
            step()
            self.folder.commit()
            self.report.seconds[name] = round(time.monotonic() - started, 3)
        return self.report

    def _items(self):
        """The input items, carrying the case settings as `spamlaw audit` hands them to
        the engine (so the audit pass selects with nexus and the trust boundary)."""
        from checker.sources import iter_sources

        case = self.config.case.as_metadata()
        for item in iter_sources(self.config.inputs, **self.sources_options):
            yield item if item.error else replace(item, metadata={**item.metadata, **case})

    def _pool(self, function) -> TaskPool:
        bound = None if not self.config.timeout else 3 * self.config.timeout + HARD_GRACE
        return TaskPool(function, self.config.jobs, bound, init_worker, (self.setup,),
                        local_init=lambda: init_worker(self.setup, self.ruleset))

    # --- counsel's decisions (checker.review) ---------------------------------------------

    def _apply_decisions(self) -> None:
        """Load the decisions in force; rows already made whose findings they change go
        back to be rendered again in their own Bates range."""
        from checker.review.casefolder import decisions_for, revisit

        decisions = decisions_for(self.folder.db, self.ruleset)
        self.setup = replace(self.setup, decisions=decisions)
        self.revisited = revisit(self.folder, decisions, counts_from_json).to_render

    # --- pass 1: audit and number --------------------------------------------------------

    def audit_pass(self) -> None:
        from checker.sources import count_sources

        folder, keys = self.folder, _Keys()
        pending: deque[tuple[Any, tuple, InputRow | None]] = deque()
        claimed: set[int] = set()

        def unsettled():
            for item in self._items():
                self.report.inputs += 1
                key = keys(item)
                row = folder.find(key) or folder.find_error(key[0], key[2], claimed)
                if row is not None:
                    claimed.add(row.position)
                if row is not None and row.status != ERROR:
                    advance()
                    continue
                pending.append((_ItemFacts.of(item), key, row))
                yield item

        with self.progress("auditing", lambda: count_sources(self.config.inputs)) as advance:
            results = run_audit(unsettled(), self.ruleset, self.config.jobs,
                                source=self.config.ruleset, timeout=self.config.timeout)
            from checker.review.decisions import apply_to_result

            for done, result in enumerate(results, 1):
                result = apply_to_result(result, self.setup.decisions)
                facts, key, row = pending.popleft()
                claimed.add(self._record(facts, key, row, result))
                advance()
                if done % COMMIT_EVERY == 0:
                    folder.commit()
        folder.commit()
        self.report.not_given = sum(1 for row in folder.all_rows()
                                    if row.position not in claimed)

    def _record(self, facts: _ItemFacts, key: tuple, row: InputRow | None,
                result: AuditResult) -> int:
        """Record an audited (or unreadable) item; returns its position."""
        if row is None:
            self.report.new += 1
            row = InputRow(position=self.folder.next_position(), source=key[0],
                           sha256=key[1], occurrence=key[2])
        row = replace(row, sha256=key[1], size=facts.size, reason="", audit_json=None,
                      violations=0, reviews=0, rule_ids="")
        self.folder.save(self._decide(row, facts, result))
        return row.position

    def _decide(self, row: InputRow, facts: _ItemFacts, result: AuditResult) -> InputRow:
        from checker.formatters.base import was_audited

        if facts.error:
            return replace(row, status=ERROR, reason=facts.error)
        self.report.audited += 1
        text = audit_json(result)
        if not was_audited(result):
            return replace(row, status=ERROR, reason="; ".join(result.errors), audit_json=text)
        row = replace(row, audit_json=text, **counts_from_json(text))
        if not selected(result, self.config.select):
            return replace(row, status=NOT_SELECTED,
                           reason=f"not selected: not among {SELECTIONS[self.config.select]}")
        number = self.folder.next_number(self.config.first_exhibit)
        return replace(row, status=SELECTED, exhibit_number=number,
                       label=label_for(self.config.label_format, number))

    # --- pass 2: count pages, reserve Bates ranges --------------------------------------

    def layout_pass(self) -> None:
        waiting = {row.key: row for row in self.folder.numbered(SELECTED)}
        if not waiting:
            return
        self._check_prefix()
        order = sorted(row.exhibit_number for row in waiting.values())
        by_number = {row.exhibit_number: row for row in waiting.values()}
        outcomes: dict[int, LayoutOutcome | str] = {}
        state = {"next": 0, "bates": self.folder.next_bates(self.config.options.bates.start)}

        def tasks():
            keys = _Keys()
            for item in self._items():
                row = waiting.pop(keys(item), None)
                if row is not None:
                    yield LayoutTask(item, row.key, row.exhibit_number, row.label)

        with self.progress("counting pages", len(order)) as advance:
            for task, outcome in self._pool(layout_task).run(tasks()):
                outcomes[task.number] = outcome
                advance()
                self._reserve(order, by_number, outcomes, state)
            missing = ("the input was not available to count its pages (not among this "
                       "run's inputs, or its bytes changed since it was audited)")
            for row in waiting.values():
                outcomes[row.exhibit_number] = missing
            self._reserve(order, by_number, outcomes, state)

    def _check_prefix(self) -> None:
        """Rows with a Bates range must precede every row still waiting for one."""
        reserved = self.folder.numbered(PLANNED, *DONE)
        waiting = self.folder.numbered(SELECTED)
        if reserved and waiting and reserved[-1].exhibit_number > waiting[0].exhibit_number:
            raise BatchError(f"{self.folder.database}: exhibit {waiting[0].exhibit_number} has no "
                             "Bates range but a later exhibit has one; use --fresh")

    def _reserve(self, order, by_number, outcomes, state) -> None:
        """Give Bates ranges, in number order, to every exhibit whose pages are known."""
        while state["next"] < len(order) and order[state["next"]] in outcomes:
            number = order[state["next"]]
            outcome = outcomes.pop(number)
            row = by_number[number]
            pages, kind, reason = 1, SLIP_SHEET, ""
            if isinstance(outcome, str):
                reason = outcome
            elif isinstance(outcome, TaskFailure):
                reason = outcome.reason
            else:
                self.report.layout_cpu += outcome.cpu
                self.report.laid_out += 1
                if outcome.pages is not None:
                    pages, kind = outcome.pages, EXHIBIT
                reason = outcome.reason
                text = outcome.audit_json or row.audit_json
                row = replace(row, audit_json=text, **counts_from_json(text))
            start = state["bates"]
            bates = replace(self.config.options.bates, start=start)
            if len(str(start + pages - 1)) > bates.digits:
                raise BatchError(f"Bates numbers would need more than --bates-digits "
                                 f"{bates.digits} digits; start over with --fresh and more digits")
            self.folder.save(replace(row, status=PLANNED, kind=kind, pages=pages,
                                     bates_start=start, bates_first=bates.number(0),
                                     bates_last=bates.last(pages), reason=reason,
                                     pdf_file=pdf_name(number), pdf_sha256=None))
            state["bates"] = start + pages
            state["next"] += 1
            if state["next"] % COMMIT_EVERY == 0:
                self.folder.commit()

    # --- pass 3: render ---------------------------------------------------------------------

    def render_pass(self) -> None:
        self._recheck_written()
        waiting = {row.key: row for row in self.folder.numbered(PLANNED)}
        if not waiting:
            return

        def tasks():
            keys = _Keys()
            for item in self._items():
                row = waiting.pop(keys(item), None)
                if row is None:
                    continue
                if row.kind == SLIP_SHEET:
                    self._slip_sheet(row, row.reason, item.raw)
                    advance()
                else:
                    yield RenderTask(item, row.key, row.exhibit_number, row.label,
                                     row.bates_start, row.pages, row.pdf_file)

        with self.progress("rendering", len(waiting)) as advance:
            for task, outcome in self._pool(render_task).run(tasks()):
                self._rendered(task, outcome)
                advance()
                self.folder.commit()
            for row in list(waiting.values()):
                self._slip_sheet(row, _unavailable(row), None)
                advance()

    def _recheck_written(self) -> None:
        """An exhibit whose PDF is missing or altered is rendered again (same range)."""
        for row in self.folder.numbered(*DONE):
            path = self.config.out / row.pdf_file
            if _sha256_file(path) == row.pdf_sha256:
                self.report.reused += 1
            else:
                self.folder.update(row, status=PLANNED, pdf_sha256=None)
        self.folder.commit()

    def _rendered(self, task: RenderTask, outcome) -> None:
        row = self.folder.find(task.key)
        if isinstance(outcome, RenderOutcome) and outcome.write_error:
            raise BatchError(f"cannot write {outcome.write_error}")
        if isinstance(outcome, RenderOutcome):
            self.report.render_cpu += outcome.cpu
            row = replace(row, audit_json=outcome.audit_json or row.audit_json,
                          **counts_from_json(outcome.audit_json or row.audit_json))
            if not outcome.reason:
                self.folder.save(replace(row, status=EXHIBIT, pdf_sha256=outcome.pdf_sha256,
                                         reason=""))
                self.report.rendered += 1
                if task.key in self.revisited:
                    self.report.redone.append(row.label)
                return
            before = self.revisited.get(task.key)
            if before is not None and outcome.pages is not None:  # keep the exhibit made
                self.folder.save(before)
                self.report.problems.append(
                    f"{row.label} ({row.source}): not re-rendered after the review decisions: "
                    f"its page count would change ({task.pages} → {outcome.pages}) and with "
                    "it every later Bates number; the exhibit, index and schedule keep the "
                    "earlier findings (start over with --fresh to apply them)")
                return
            if outcome.pages is not None:  # the page count changed: say so loudly
                self.report.problems.append(f"{row.label} ({row.source}): {outcome.reason}")
            reason = outcome.reason
        else:
            reason = outcome.reason
        self._slip_sheet(row, reason, task.item.raw)

    def _slip_sheet(self, row: InputRow, reason: str, raw: bytes | None) -> None:
        """Write a slip sheet of exactly the reserved pages in place of the exhibit."""
        from checker.exhibits.render import ExhibitError, SlipSheet, render_slip_sheet

        sheet = SlipSheet(label=row.label, source_id=row.source, sha256=row.sha256,
                          size=row.size, reason=reason or "the exhibit could not be rendered",
                          findings=tuple(f for f in row.audit().get("findings") or ()
                                         if f.get("status") in SLIP_SHEET_STATUSES),
                          raw=raw if raw else None)
        bates = replace(self.config.options.bates, start=row.bates_start)
        options = replace(self.config.options, label=row.label, bates=bates)
        try:
            made = render_slip_sheet(sheet, options, row.pages, self.ruleset.sha256)
        except ExhibitError as exc:
            raise BatchError(f"{row.label}: cannot make its slip sheet: {exc}") from None
        try:
            write_atomically(self.config.out / row.pdf_file, made.pdf)
        except OSError as exc:
            raise BatchError(f"cannot write {row.pdf_file}: {exc.strerror or exc}") from None
        self.folder.save(replace(row, status=SLIP_SHEET, kind=SLIP_SHEET, reason=sheet.reason,
                                 pdf_sha256=made.pdf_sha256))
        self.report.slip_sheets += 1


@dataclass(frozen=True)
class _ItemFacts:
    """What the ledger needs of an item while its audit is in flight (not its bytes)."""

    size: int
    error: str | None

    @classmethod
    def of(cls, item) -> _ItemFacts:
        return cls(item.size or 0, item.error)


def _unavailable(row: InputRow) -> str:
    prefix = f"{row.reason}; " if row.reason else ""
    return (prefix + "the input was not available to render it (not among this run's inputs, "
            "or its bytes changed since it was audited)")


def _sha256_file(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def selected(result: AuditResult, select: str) -> bool:
    statuses = {Status(f.status) for f in result.findings}
    if select == "all":
        return True
    if select == "violations":
        return Status.VIOLATION in statuses
    return bool(statuses & {Status.VIOLATION, Status.NEEDS_REVIEW})


def counts_from_json(text: str | None) -> dict[str, Any]:
    """Violation and needs_review counts (distinct rules) and their rule ids, from the
    audit JSON a row records (so the manifest counts what the exhibit shows)."""
    import json

    try:
        findings = json.loads(text or "{}").get("findings") or []
    except (ValueError, AttributeError):
        findings = []
    violations = sorted({f.get("rule") for f in findings if f.get("status") == "violation"})
    reviews = sorted({f.get("rule") for f in findings if f.get("status") == "needs_review"})
    return {"violations": len(violations), "reviews": len(reviews),
            "rule_ids": " ".join(sorted(set(violations) | set(reviews)))}
