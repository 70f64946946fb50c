"""Many messages → numbered, Bates-stamped PDF exhibits in a case folder (`spamlaw exhibits`).

The run has two passes over the inputs, each resumable from the ledger (`casefile`):

1. **audit** every input not yet settled (`checker.batch.run_audit`, the same engine,
   ruleset and case settings as `spamlaw audit`); the selected ones get the next exhibit
   numbers, in input order;
2. **render** each numbered exhibit once, in worker processes, with every Bates number a
   hidden placeholder (`BatesSpec(stamped=True)`); as results come back, the parent takes
   them in exhibit-number order, gives each the Bates range right after the previous
   one, draws its numbers onto the finished pages (`checker.exhibits.stamp`) and writes
   the PDF, its native and its extracted text (atomically). Rows with a Bates range are
   therefore always a prefix of the numbered rows: a run stopped at any point resumes
   without renumbering anything.

An exhibit that cannot be rendered or stamped (ExhibitError, time bound, a worker that
dies or hangs) gets a one-page slip sheet in its place, so exhibit and Bates numbers stay
continuous; the manifest says why. `--retry-slip-sheets` renders those again on a later
run; the numbering rule for what then changes is in `checker.exhibits.bates.page_numbers`.

With `--documents both` (the default) or `analysis`, each exhibit also gets its analysis
(`checker.exhibits.render.render_analysis`, attorney work product) in the same worker task:
rendered once with placeholders and stamped like the exhibit, written to
analysis/analysis-NNNNN.pdf with a Bates series of its own (prefix `analysis_prefix`,
default "WP-" before the exhibits' prefix, starting at 1), given in the order the analyses
are written. The exhibits' numbers never depend on it: adding the analysis to a case later
(or dropping it) renders only analyses and moves no exhibit number. An analysis goes in the
manifest (its file, range and SHA-256), never in the load files (the production). Only an
exhibit gets one (a slip sheet does not); one that cannot be made is tried again next run.
`--documents message` makes none (and keeps those already made); `--documents analysis`
makes only analyses: the selected messages get their exhibit numbers (and labels) but no
exhibit or Bates range, which a later run with `message` or `both` gives them.

The worker processes (`checker.pool.Workers`) start once per run and serve both passes;
each loads the ruleset once. Audits are cheap (~2 ms/message) beside layout
(~300-600 ms), so the render pass simply audits again; what the manifest records is the
audit of the pass that made the PDF.
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
from checker.exhibits.bates import MAX_LABEL, BatesError, BatesSpec, check_label, page_numbers
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
    analysis_name,
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
    Workers,
    describe,
    time_bound,
)

SELECTIONS = {
    "findings": "messages with at least one violation or needs_review finding",
    "violations": "messages with at least one violation finding",
    "all": "every message that could be audited",
    "representatives": "one message per campaign and per distinct set of findings within it "
                       "(the campaign's medoid first), the others represented by it; "
                       "`spamlaw campaigns INPUT... --out DIR` records the campaigns",
}
DEFAULT_LABEL_FORMAT = "Exhibit {n}"
DOCUMENTS = {
    "both": "the message exhibit and its analysis (work product), separate PDFs and series",
    "message": "the message exhibit only (what is produced)",
    "analysis": "the analyses only: the exhibits are numbered but wait for a later run",
}
ANALYSIS_PREFIX = "WP-"  # before the exhibits' Bates prefix: the analysis series
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
    retry_slip_sheets: bool = False  # render slip-sheeted exhibits again (not a setting)
    all_remedies: bool = False  # the schedule shows every plaintiff's remedies
    documents: str = "both"  # DOCUMENTS: whether each exhibit also gets its analysis
    analysis_prefix: str | None = None  # Bates prefix of the analyses (None: the default)

    @property
    def analyses(self) -> bool:
        return self.documents in ("both", "analysis")

    @property
    def analysis_bates(self) -> BatesSpec:
        """The analyses' own Bates series (starts at 1, as wide as the exhibits')."""
        prefix = self.analysis_prefix
        if prefix is None:
            prefix = ANALYSIS_PREFIX + self.options.bates.prefix
        return BatesSpec(prefix, 1, self.options.bates.digits)


def check_analysis_prefix(config: BatchConfig) -> BatesSpec:
    """The analyses' series, refused when it could be mistaken for the exhibits'."""
    try:
        bates = config.analysis_bates
    except BatesError as exc:
        raise BatesError(f"--analysis-prefix: {exc}") from None
    if bates.prefix == config.options.bates.prefix:
        raise BatesError("--analysis-prefix must differ from --bates-prefix (the analyses "
                         "are numbered in a series of their own)")
    return bates


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
        "analysis_prefix": config.analysis_bates.prefix,
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
    analysis_bates: BatesSpec | None = None  # the analyses' series (prefix, digits)


@dataclass(frozen=True)
class RenderTask:
    item: Any  # SourceItem
    key: tuple[str, str, int]
    number: int
    label: str
    message: bool = True  # render the message exhibit
    analysis: bool = False  # render its analysis (only once the exhibit is rendered)


def analysis_label(label: str, number: int) -> str:
    text = f"Analysis of {label}"
    return text if len(text) <= MAX_LABEL else f"Analysis of exhibit {number}"


@dataclass(frozen=True)
class RenderOutcome:
    number: int
    pages: int | None = None
    pdf: bytes = b""  # rendered with hidden Bates placeholders, to be stamped
    spots: tuple = ()  # where the placeholders sit (checker.exhibits.stamp.Spot)
    text: str = ""  # extracted text, for TEXT/
    reason: str = ""  # set when no PDF was made
    audit_json: str = ""
    cpu: float = 0.0
    analysis: Any = None  # the analysis Exhibit (placeholders, to be stamped), if asked
    analysis_reason: str = ""  # why the analysis asked for was not made


_worker: dict[str, Any] = {}


def init_worker(setup: WorkerSetup, ruleset=None) -> None:
    """Pool initializer (and the in-process set-up): load the ruleset once."""
    import signal
    import threading

    if ruleset is None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's
        ruleset = setup.ruleset.load()
    from checker.exhibits.render import rule_statuses

    _worker.update(setup=setup, ruleset=ruleset, statuses=rule_statuses(ruleset))
    from checker.batch import serve_audits

    serve_audits(ruleset, setup.timeout)  # the same worker runs the audit pass


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


def render_document(msg, result: AuditResult, options: ExhibitOptions, ruleset_sha256: str,
                    document: str = "message", rule_statuses: dict[str, str] | None = None):
    """The one call from the batch into the renderer: the message exhibit, or with
    document="analysis" its analysis."""
    from checker.exhibits import render

    call = render.render_analysis if document == "analysis" else render.render_exhibit
    return call(msg, result, options, ruleset_sha256, rule_statuses=rule_statuses)


def render_task(task: RenderTask) -> RenderOutcome:
    """In a worker: audit, render once with Bates placeholders, extract the text; then,
    if asked and the exhibit was made (or already exists), its analysis."""
    from checker.exhibits.production import extracted_text

    started = time.process_time()
    setup: WorkerSetup = _worker["setup"]
    msg, result = _audited(task.item)
    outcome = RenderOutcome(task.number, audit_json=audit_json(result))
    if task.message:
        bates = replace(setup.options.bates, stamped=True)
        options = replace(setup.options, label=task.label, bates=bates)
        try:
            with time_bound(setup.timeout):
                made = _render(msg, result, options, "message")
                text = extracted_text(msg)
        except BaseException as exc:
            if not isinstance(exc, Exception | MessageTimeout):
                raise
            return replace(outcome, reason=_step_failure(exc, "rendering"),
                           cpu=time.process_time() - started)
        outcome = replace(outcome, pages=made.pages, pdf=made.pdf, spots=made.stamp_spots,
                          text=text)
    if task.analysis:
        bates = replace(setup.analysis_bates or BatesSpec(), stamped=True)
        options = replace(setup.options, label=analysis_label(task.label, task.number),
                          bates=bates)
        try:
            with time_bound(setup.timeout):
                outcome = replace(outcome, analysis=_render(msg, result, options, "analysis"))
        except BaseException as exc:
            if not isinstance(exc, Exception | MessageTimeout):
                raise
            outcome = replace(outcome, analysis_reason=_step_failure(exc, "the analysis"))
    return replace(outcome, cpu=time.process_time() - started)


def _render(msg, result: AuditResult, options: ExhibitOptions, document: str):
    return render_document(msg, result, options, _worker["ruleset"].sha256, document,
                           _worker["statuses"])


# --- the pool ----------------------------------------------------------------------------


# --- the run ------------------------------------------------------------------------------


@dataclass
class BatchReport:
    """What one run did, for the summary and the exit code."""

    out: Path
    inputs: int = 0  # items read this run
    new: int = 0  # items the case had not seen
    audited: int = 0
    rendered: int = 0
    slip_sheets: int = 0  # made this run
    retried: int = 0  # slip sheets replaced by their exhibit this run
    reused: int = 0  # exhibits whose PDF was already there and intact
    render_cpu: float = 0.0  # CPU seconds of rendering (in its workers)
    stamp_cpu: float = 0.0  # CPU seconds of stamping Bates numbers (in this process)
    analyses: int = 0  # analyses written this run
    analyses_reused: int = 0  # analyses whose PDF was already there and intact
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
                                 str(config.out), analysis_bates=config.analysis_bates)
        self.sources_options = {} if config.max_bytes is None else {"max_bytes": config.max_bytes}
        self.given: set[tuple[str, str, int]] = set()  # keys of this run's inputs
        self.revisited: dict[tuple, InputRow] = {}  # re-rendered for decisions: row before
        self.workers = Workers(config.jobs, init_worker, (self.setup,))

    def run(self) -> BatchReport:
        self._apply_decisions()
        steps = [("audit", self.audit_pass), ("render", self.render_pass)]
        if self.config.select == "representatives":
            self._check_campaigns()
            steps.insert(1, ("representatives", self._representatives))
        self.workers = Workers(self.config.jobs, init_worker, (self.setup,))  # started once
        try:
            for name, step in steps:
                started = time.monotonic()
                step()
                self.folder.commit()
                self.report.seconds[name] = round(time.monotonic() - started, 3)
        finally:
            self.workers.shutdown()
        unknown = self.folder.unknown_pdfs()
        if unknown:
            self.report.problems.append(
                f"{len(unknown)} PDF(s) in exhibits/ are not in the case ledger and are not part "
                f"of this production: {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}")
        return self.report

    def _items(self):
        """The input items, carrying the case settings as `spamlaw audit` hands them to
        the engine (so the audit pass selects with nexus and the trust boundary)."""
        from checker.sources import iter_sources

        case = self.config.case.as_metadata()
        for item in iter_sources(self.config.inputs, **self.sources_options):
            yield item if item.error else replace(item, metadata={**item.metadata, **case})

    def _pool(self, function) -> TaskPool:
        steps = 4 if self.config.analyses else 3  # audit, exhibit, text (, analysis)
        bound = None if not self.config.timeout else steps * self.config.timeout + HARD_GRACE
        return TaskPool(function, self.config.jobs, bound, init_worker, (self.setup,),
                        local_init=lambda: init_worker(self.setup, self.ruleset),
                        workers=self.workers)

    # --- counsel's decisions (checker.review) ---------------------------------------------

    def _apply_decisions(self) -> None:
        """Load the decisions in force; rows already made whose findings they change go
        back to be rendered again in their own Bates range."""
        from checker.review.casefolder import decisions_for, revisit

        decisions = decisions_for(self.folder.db, self.ruleset)
        self.setup = replace(self.setup, decisions=decisions)
        self.revisited = revisit(self.folder, decisions, counts_from_json).to_render

    # --- campaign representatives (checker.campaigns.representatives) --------------------

    def _check_campaigns(self) -> None:
        from checker.campaigns.representatives import NO_CAMPAIGNS, membership

        if not membership(self.folder.db)[1]:
            raise BatchError(NO_CAMPAIGNS.format(out=self.config.out))

    def _representatives(self) -> None:
        from checker.campaigns.representatives import select

        select(self.folder, self.config, label_for)

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
                self.given.add(key)
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
                                source=self.config.ruleset, timeout=self.config.timeout,
                                workers=self.workers)
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
        from checker.exhibits.production import metadata

        if row is None:
            self.report.new += 1
            row = InputRow(position=self.folder.next_position(), source=key[0],
                           sha256=key[1], occurrence=key[2])
        row = replace(row, sha256=key[1], size=facts.size, reason="", audit_json=None,
                      violations=0, reviews=0, rule_ids="",
                      metadata=None if facts.error else _json(metadata(facts.headers, result)))
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

    # --- pass 2: render once, then number and stamp in exhibit order ----------------------

    def render_pass(self) -> None:
        self._recheck_written()
        statuses = (PLANNED, SELECTED, SLIP_SHEET) if self.config.retry_slip_sheets else \
            (PLANNED, SELECTED)
        waiting = {row.key: row for row in self.folder.numbered(*statuses)
                   if row.status != SLIP_SHEET or row.key in self.given}
        if self.config.documents == "analysis":
            waiting = {}  # the exhibits wait, numbered, for a run that makes them
        if waiting:
            self._check_prefix()
        unanalysed = {row.key: row for row in self._without_analysis()
                      if row.key not in waiting}
        if not waiting and not unanalysed:
            return
        order = _InOrder(sorted(row.exhibit_number
                                for row in (*waiting.values(), *unanalysed.values())),
                         self.folder.next_bates(self.config.options.bates.start))
        self.next_analysis = self.folder.next_analysis_bates(self.config.analysis_bates.start)
        by_number = {row.exhibit_number: row for row in (*waiting.values(), *unanalysed.values())}
        for row in waiting.values():
            if row.key not in self.given:
                order.outcomes[row.exhibit_number] = (None, _unavailable(row))
        waiting.update(unanalysed)
        analyses = self.config.analyses

        def tasks():
            keys = _Keys()
            for item in self._items():
                row = waiting.get(keys(item))
                if row is not None and row.exhibit_number not in order.outcomes:
                    del waiting[row.key]
                    yield RenderTask(item, row.key, row.exhibit_number, row.label,
                                     message=row.key not in unanalysed,
                                     analysis=analyses and (row.key in self.revisited
                                                            or not self._analysed(row)))

        with self.progress("rendering", len(waiting)) as advance:
            for task, outcome in self._pool(render_task).run(tasks()):
                order.outcomes[task.number] = (task, outcome)
                self._finish_in_order(order, by_number, advance)
            for row in waiting.values():  # bytes changed since the audit pass, or vanished
                order.outcomes.setdefault(row.exhibit_number, (None, None if row.key in
                                                               unanalysed else _unavailable(row)))
            self._finish_in_order(order, by_number, advance)

    def _check_prefix(self) -> None:
        """Rows with a Bates range must precede every row still waiting for one."""
        reserved = self.folder.numbered(PLANNED, *DONE)
        waiting = self.folder.numbered(SELECTED)
        if reserved and waiting and reserved[-1].exhibit_number > waiting[0].exhibit_number:
            raise BatchError(f"{self.folder.database}: exhibit {waiting[0].exhibit_number} has no "
                             "Bates range but a later exhibit has one; use --fresh")

    def _without_analysis(self) -> list[InputRow]:
        """Exhibits of this run's inputs whose analysis is asked for and missing or
        altered (an analysis once written keeps its range)."""
        if not self.config.analyses:
            return []
        missing = []
        statuses = (SELECTED, PLANNED, EXHIBIT) if self.config.documents == "analysis" else \
            (EXHIBIT,)
        for row in self.folder.numbered(*statuses):
            if self._analysed(row):
                self.report.analyses_reused += 1
            elif row.key in self.given:
                missing.append(row)
        return missing

    def _analysed(self, row: InputRow) -> bool:
        """Its analysis PDF is there and unaltered."""
        return bool(row.analysis_file) and _sha256_file(
            self.config.out / row.analysis_file) == row.analysis_sha256

    def _recheck_written(self) -> None:
        """An exhibit whose PDF is missing or altered is rendered again (same range)."""
        for row in self.folder.numbered(*DONE):
            path = self.config.out / row.pdf_file
            if _sha256_file(path) == row.pdf_sha256:
                if row.status == EXHIBIT or not self.config.retry_slip_sheets:
                    self.report.reused += 1
            else:
                self.folder.update(row, status=PLANNED, pdf_sha256=None)
        self.folder.commit()

    def _finish_in_order(self, order: _InOrder, by_number: dict[int, InputRow],
                         advance) -> None:
        """Number, stamp and write every exhibit whose turn has come."""
        for number, (task, outcome) in order.ready():
            self._finish(by_number[number], task, outcome, order)
            self.folder.commit()
            advance()

    def _finish(self, row: InputRow, task: RenderTask | None, outcome, order: _InOrder) -> None:
        if outcome is None:  # only its analysis was due, and its input is gone: next run
            return
        if task is None or task.message:
            self._finish_exhibit(row, task, outcome, order)
        if task is None or not task.analysis:
            return
        row = self.folder.find(row.key) or row
        if row.status == SLIP_SHEET:
            return  # the exhibit could not be made: no analysis of it either
        if isinstance(outcome, RenderOutcome):
            if not task.message:
                self.report.render_cpu += outcome.cpu
            reason = outcome.analysis_reason or self._analysis(row, outcome.analysis)
        else:
            reason = outcome.reason if isinstance(outcome, TaskFailure) else str(outcome)
        if reason:
            self.folder.save(replace(row, analysis_reason=reason))
            self.report.problems.append(f"{row.label} ({row.source}): no analysis: {reason} "
                                        "(tried again on the next run)")

    def _analysis(self, row: InputRow, made) -> str:
        """Stamp and write an exhibit's analysis in its own series; returns why not ("" when
        written). A range once given is kept: a re-render must have as many pages."""
        if made is None:
            return "the analysis was not rendered"
        start = row.analysis_bates_start
        if start is not None and made.pages != row.analysis_pages:
            return (f"page count changed: {row.analysis_pages} page(s) reserved, {made.pages} "
                    "rendered; the analysis was not written")
        if start is None:
            start, self.next_analysis = self.next_analysis, self.next_analysis + made.pages
        bates = replace(self.config.analysis_bates, start=start)
        if len(str(start + made.pages - 1)) > bates.digits:
            raise BatchError(f"analysis Bates numbers would need more than --bates-digits "
                             f"{bates.digits} digits; start over with --fresh and more digits")
        numbers = [bates.number(index) for index in range(made.pages)]
        pdf, problem = self._stamp(made.pdf, made.stamp_spots, numbers)
        if problem:
            return problem
        name = analysis_name(row.exhibit_number)
        try:
            self.folder.analyses.mkdir(exist_ok=True)
            write_atomically(self.config.out / name, pdf)
        except OSError as exc:
            raise BatchError(f"cannot write {name}: {exc.strerror or exc}") from None
        self.folder.save(replace(
            row, analysis_pages=made.pages, analysis_bates_start=start,
            analysis_first=numbers[0], analysis_last=numbers[-1], analysis_file=name,
            analysis_sha256=hashlib.sha256(pdf).hexdigest(), analysis_reason=None))
        self.report.analyses += 1
        return ""

    def _finish_exhibit(self, row: InputRow, task: RenderTask | None, outcome,
                        order: _InOrder) -> None:
        raw = task.item.raw if task is not None else None
        if isinstance(outcome, TaskFailure):
            reason = outcome.reason
        elif isinstance(outcome, str):
            reason = outcome
        else:
            self.report.render_cpu += outcome.cpu
            text = outcome.audit_json or row.audit_json
            row = replace(row, audit_json=text, **counts_from_json(text))
            reason = outcome.reason or self._exhibit(row, outcome, raw, order)
            if not reason:
                return
        if row.status == SLIP_SHEET:  # a retry that failed again: the slip sheet stays
            self.folder.save(replace(row, reason=reason))
            if self.config.out.joinpath(row.pdf_file).is_file():
                return
        self._slip_sheet(self._ranged(row, row.pages or 1, order), reason, raw)

    def _ranged(self, row: InputRow, pages: int, order: _InOrder) -> InputRow:
        """`row` with its Bates range: the one it has, else the next one (`pages` long)."""
        if row.bates_start is not None:
            return row
        start = order.take(pages)
        bates = replace(self.config.options.bates, start=start)
        if len(str(start + pages - 1)) > bates.digits:
            raise BatchError(f"Bates numbers would need more than --bates-digits "
                             f"{bates.digits} digits; start over with --fresh and more digits")
        return replace(row, pages=pages, bates_start=start, bates_first=bates.number(0),
                       bates_last=bates.last(pages), bates_pages=None,
                       pdf_file=pdf_name(row.exhibit_number), pdf_sha256=None)

    def _exhibit(self, row: InputRow, outcome: RenderOutcome, raw: bytes | None,
                 order: _InOrder) -> str:
        """Stamp and write a rendered exhibit; returns why not ("" when written)."""
        from checker.exhibits.production import write_native, write_text

        pages, numbered = outcome.pages, None
        before = self.revisited.get(row.key)
        reserved = row.bates_pages or row.pages
        if before is not None and pages != row.pages and pages < reserved:
            # fewer pages would leave numbers unused: keep the exhibit already made
            self.folder.save(before)
            self.report.problems.append(
                f"{row.label} ({row.source}): not re-rendered after the review decisions: "
                f"it would have fewer pages ({row.pages} → {pages}), leaving Bates numbers "
                "unused; the exhibit, index and schedule keep the earlier findings "
                "(start over with --fresh to apply them)")
            return ""
        if row.bates_start is not None and pages != row.pages:
            if pages < reserved or (before is None and row.status != SLIP_SHEET):
                problem = (f"page count changed: {row.pages} page(s) reserved, {pages} "
                           "rendered; the exhibit was not written, so no wrong range exists")
                self.report.problems.append(f"{row.label} ({row.source}): {problem}")
                return problem
            # A retried slip sheet, or an exhibit that grew when counsel's decisions were
            # added: it keeps its reserved numbers and its extra pages carry suffixes
            # (AGO0000041.0001, ...), so no other Bates number moves.
            numbered = reserved
            if before is not None:
                self.report.problems.append(
                    f"{row.label} ({row.source}): re-rendered after the review decisions with "
                    f"{pages - reserved} more page(s) than its reserved range; they are numbered "
                    f"with suffixes after {row.bates_last} (no other Bates number moves)")
        row = self._ranged(row, pages, order)
        numbers = page_numbers(self.config.options.bates, row.bates_start, pages, numbered)
        pdf, problem = self._stamp(outcome.pdf, outcome.spots, numbers)
        if problem:
            return problem
        try:
            write_atomically(self.config.out / row.pdf_file, pdf)
            if raw is not None:
                write_native(self.config.out, row.bates_first, raw)
            write_text(self.config.out, row.bates_first, outcome.text)
        except OSError as exc:
            raise BatchError(f"cannot write {row.pdf_file}: {exc.strerror or exc}") from None
        if row.status == SLIP_SHEET:
            self.report.retried += 1
        if before is not None:
            self.report.redone.append(row.label)
        self.folder.save(replace(row, status=EXHIBIT, kind=EXHIBIT, pages=pages,
                                 bates_last=numbers[-1], bates_pages=numbered,
                                 pdf_sha256=hashlib.sha256(pdf).hexdigest(), reason=""))
        self.report.rendered += 1
        return ""

    def _stamp(self, pdf: bytes, spots, numbers) -> tuple[bytes, str]:
        """(stamped PDF, "") or (b"", why not)."""
        from checker.exhibits.stamp import StampError, stamp_bates

        started = time.process_time()
        try:
            return stamp_bates(pdf, spots, numbers), ""
        except StampError as exc:
            return b"", str(exc) or "the Bates numbers could not be drawn"
        finally:
            self.report.stamp_cpu += time.process_time() - started

    def _slip_sheet(self, row: InputRow, reason: str, raw: bytes | None) -> None:
        """Write a slip sheet of exactly the reserved pages in place of the exhibit."""
        from checker.exhibits.production import write_native
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
            if raw:
                write_native(self.config.out, row.bates_first, raw)
        except OSError as exc:
            raise BatchError(f"cannot write {row.pdf_file}: {exc.strerror or exc}") from None
        self.folder.save(replace(row, status=SLIP_SHEET, kind=SLIP_SHEET, reason=sheet.reason,
                                 pdf_sha256=made.pdf_sha256))
        self.report.slip_sheets += 1


class _InOrder:
    """Outcomes arrive in completion order; exhibits are numbered and written in exhibit
    order, each taking the Bates range right after the previous one."""

    def __init__(self, numbers: list[int], next_bates: int):
        self.numbers, self.position, self.next_bates = numbers, 0, next_bates
        self.outcomes: dict[int, tuple[RenderTask | None, Any]] = {}

    def ready(self):
        while self.position < len(self.numbers) and self.numbers[self.position] in self.outcomes:
            number = self.numbers[self.position]
            self.position += 1
            yield number, self.outcomes.pop(number)

    def take(self, pages: int) -> int:
        start, self.next_bates = self.next_bates, self.next_bates + pages
        return start


def _json(value: dict) -> str:
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class _ItemFacts:
    """What the ledger needs of an item while its audit is in flight (not its bytes)."""

    size: int
    error: str | None
    headers: dict  # hashes and address headers (checker.exhibits.production.header_facts)

    @classmethod
    def of(cls, item) -> _ItemFacts:
        from checker.exhibits.production import header_facts

        return cls(item.size or 0, item.error, {} if item.error else header_facts(item.raw))


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
    if select == "representatives":  # chosen after the audit pass, campaign by campaign
        return False
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
