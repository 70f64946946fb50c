"""`spamlaw audit INPUT...`: audit messages against the ruleset and report the findings.

This module turns options into a ruleset, a stream of source items, a formatter and an
exit code; the work is done by `checker.batch` (the audit loop, `--jobs`) and
`checker.formatters` (the output formats). Problems the user can fix are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, TextIO

import typer

from checker import exitcodes
from checker.batch import DEFAULT_TIMEOUT, RulesetSource, jobs_from_option, run_audit
from checker.findings import Status
from checker.formatters import FORMATTERS, RulesetInfo, Summary
from checker.formatters.base import ALL_STATUSES, DEFAULT_STATUSES, was_audited

FAIL_ON = ("violation", "needs_review", "never")
COLOR = ("auto", "always", "never")
ONLY = ("messages", "findings")
PROGRESS_MIN = 50  # inputs below this many messages get no progress bar

HELP = (
    "Audit messages against the ruleset and report the findings.\n\n"
    "INPUT is a message file, a folder (searched recursively), an mbox, a Maildir, an ARF "
    "abuse report, or - for standard input.\n\n"
    "By default the report lists violation, needs_review and error findings; --all adds "
    "compliant and not_applicable. --quiet (--only findings) leaves out the messages with "
    "nothing to report. After a run of several messages the text report says why rules "
    "were not applicable (e.g. dated before the law, no nexus with the state).\n\n"
    "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on; "
    "2 usage or input error; 3 rule errors (the ruleset does not load). An input that "
    "does not exist, cannot be read or is not a message is listed in the report with its "
    "error and the others are audited; it makes the exit code 2 only with --strict or when "
    "no message at all could be audited."
)


class UsageError(Exception):
    """A problem with the command line: one line on stderr, exit code 2."""


def _fail(message: str, code: int = exitcodes.USAGE) -> typer.Exit:
    typer.echo(f"spamlaw audit: error: {message}", err=True)
    return typer.Exit(code)


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    normalised = value.strip().lower().replace("-", "_")
    if normalised not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, not {value!r}")
    return normalised


def rule_count(ruleset) -> int:
    """Rules whose findings the report carries (rules run only because a selected rule
    depends on them are not counted)."""
    return len(ruleset.reported)


def _load_ruleset(path: str | None, rule_ids: tuple[str, ...], jurisdictions: tuple[str, ...]):
    """Load and select the ruleset, or exit: 3 for rule errors, 2 for a bad selection.
    Returns the ruleset and the `RulesetSource` worker processes load it from."""
    from checker.ruleset import RulesetError

    if path is not None and not os.path.exists(path):
        raise UsageError(f"--rules {path}: no such file or directory")
    try:
        ruleset = RulesetSource(path).load()
    except RulesetError as exc:
        problems = list(getattr(exc, "problems", ()) or [])
        for problem in problems or [exc]:
            typer.echo(str(problem), err=True)
        raise _fail(f"the ruleset has {len(problems) or 1} problem(s); nothing was audited",
                    exitcodes.RULE_ERRORS) from None
    unknown = sorted(set(rule_ids) - {rule.id for rule in ruleset.rules})
    if unknown:
        raise UsageError(f"--rule: no such rule in the ruleset: {', '.join(unknown)}")
    known = {rule.jurisdiction.upper(): rule.jurisdiction for rule in ruleset.rules}
    unknown = sorted(code for code in jurisdictions if code.upper() not in known)
    if unknown:
        raise UsageError(f"--jurisdiction: no rule for {', '.join(unknown)} "
                         f"(the ruleset covers {', '.join(sorted(known.values()))})")
    source = RulesetSource(path, rule_ids, tuple(known[c.upper()] for c in jurisdictions))
    if rule_ids or jurisdictions:
        ruleset = ruleset.select(rule_ids=source.rule_ids, jurisdictions=source.jurisdictions)
    if not rule_count(ruleset):
        raise UsageError("no rule to run: the selection (--rule, --jurisdiction) is empty"
                         if rule_ids or jurisdictions else "the ruleset has no rules")
    return ruleset, source


@contextmanager
def _open_output(output: Path | None):
    if output is None:
        yield sys.stdout
        return
    try:
        stream = open(output, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"--output {output}: {exc.strerror or exc}") from None
    with stream:
        yield stream


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _progress(inputs: list[str], stream: TextIO):
    """A progress bar on stderr when it is a terminal, the report goes elsewhere and there
    are many messages; else nothing. Returns a context manager yielding `advance()`."""
    if not sys.stderr.isatty() or (hasattr(stream, "isatty") and stream.isatty()):
        return nullcontext(lambda: None)
    from checker.sources import count_sources

    total = count_sources(inputs)
    if total is not None and total < PROGRESS_MIN:
        return nullcontext(lambda: None)
    return _rich_progress(total)


@contextmanager
def _rich_progress(total: int | None):
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:  # rich comes with typer, but the bar is only a nicety
        yield lambda: None
        return
    with Progress(console=Console(file=sys.stderr), transient=True) as progress:
        task = progress.add_task("auditing", total=total)
        yield lambda: progress.advance(task)


def _exit_code(summary: Summary, fail_on: str, strict: bool) -> int:
    if summary.not_audited and (strict or summary.audited == 0):
        return exitcodes.USAGE
    if fail_on != "never" and summary.reached(Status(fail_on)):
        return exitcodes.FINDINGS
    return exitcodes.OK


def audit(
    inputs: Annotated[list[str], typer.Argument(
        metavar="INPUT...", show_default=False,
        help="Messages to audit; - reads standard input.")],
    rules: Annotated[Path | None, typer.Option(
        "--rules", metavar="DIR", help="Ruleset directory (default: the shipped rules).")] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="text, json or jsonl (one message object per line).")] = "text",
    fail_on: Annotated[str, typer.Option(
        "--fail-on", metavar="STATUS",
        help="Exit 1 on findings at or above: violation, needs_review (includes error) "
             "or never.")] = "violation",
    rule: Annotated[list[str] | None, typer.Option(
        "--rule", metavar="ID", help="Only this rule (repeatable).")] = None,
    jurisdiction: Annotated[list[str] | None, typer.Option(
        "--jurisdiction", metavar="CODE",
        help="Only rules of this jurisdiction (repeatable).")] = None,
    show_all: Annotated[bool, typer.Option(
        "--all", help="Also list compliant and not_applicable findings.")] = False,
    only: Annotated[str, typer.Option(
        "--only", metavar="WHAT",
        help="messages (every message) or findings (only messages with a finding to "
             "report, or that could not be audited).")] = "messages",
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Same as --only findings.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the report to FILE instead of stdout.")] = None,
    jobs: Annotated[str, typer.Option(
        "--jobs", "-j", metavar="N",
        help="Worker processes: a number or auto (one per CPU).")] = "1",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 2 if any input could not be audited.")] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", metavar="SECONDS",
        help="Time bound per message; 0 for none.")] = DEFAULT_TIMEOUT,
    max_bytes: Annotated[int | None, typer.Option(
        "--max-bytes", metavar="BYTES",
        help="Largest message read (default 50 MiB).")] = None,
    color: Annotated[str, typer.Option(
        "--color", metavar="WHEN", help="Colour the text report: auto, always or never.")] = "auto",
    case: Annotated[Path | None, typer.Option(
        "--case", metavar="FILE",
        help="Case settings (YAML): trap addresses and their states, trusted servers, opt-out "
             "log, child-protection registries. See docs/case-settings.md.")] = None,
    state: Annotated[str | None, typer.Option(
        "--state", metavar="CODE",
        help="Take every recipient to be in this US state (nexus for state law), e.g. MA; "
             "overrides the trap states of --case.")] = None,
) -> None:
    try:
        format = _choice("--format", format, tuple(FORMATTERS))
        fail_on = _choice("--fail-on", fail_on, FAIL_ON)
        color = _choice("--color", color, COLOR)
        only = "findings" if quiet else _choice("--only", only, ONLY)
        try:
            processes = jobs_from_option(jobs)
        except ValueError:
            raise UsageError(f"--jobs must be a positive number or auto, not {jobs!r}") from None
        if timeout < 0 or (max_bytes is not None and max_bytes < 1):
            raise UsageError("--timeout and --max-bytes must be positive")
        settings = case_settings_from_options(case, state)
        ruleset, source = _load_ruleset(str(rules) if rules else None, tuple(rule or ()),
                                        tuple(jurisdiction or ()))
        with _open_output(output) as stream:
            summary = _report(inputs, ruleset, source, stream, format=format,
                              statuses=ALL_STATUSES if show_all else DEFAULT_STATUSES,
                              color=_use_color(color, stream) and format == "text",
                              jobs=processes, timeout=timeout or None, max_bytes=max_bytes,
                              settings=settings, only_findings=only == "findings")
    except UsageError as exc:
        raise _fail(str(exc)) from None
    except BrokenPipeError:  # `spamlaw audit big.mbox | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(exitcodes.USAGE) from None
    if summary.not_audited:
        typer.echo(f"spamlaw audit: {summary.not_audited} of {summary.messages} message(s) "
                   "could not be audited; the report lists them with their errors", err=True)
    raise typer.Exit(_exit_code(summary, fail_on, strict))


def case_settings_from_options(path: Path | None, state: str | None):
    """The CaseSettings of --case and --state (the state overrides the file's trap
    mapping), or None when neither is given."""
    from checker.case import CaseSettings, CaseSettingsError, load_case_settings

    if path is None and state is None:
        return None
    try:
        settings = load_case_settings(path) if path is not None else CaseSettings()
    except CaseSettingsError as exc:
        raise UsageError(f"--case: {exc}") from None
    try:
        return settings.with_state(state.strip()) if state is not None else settings
    except CaseSettingsError as exc:
        raise UsageError(f"--state: {exc} (use a two-letter US state code such as MA)") from None


def with_case(items, settings):
    """Source items carrying the case settings in `metadata["case"]`, where the fields
    `recipient.*` and `case.*` read them."""
    from dataclasses import replace

    for item in items:
        if settings is None or item.error:
            yield item
        else:
            yield replace(item, metadata={**item.metadata, **settings.as_metadata()})


def _report(inputs, ruleset, source, stream, *, format, statuses, color, jobs, timeout,
            max_bytes, settings=None, only_findings=False) -> Summary:
    """Run the audit and write the report; returns the counts for the exit code."""
    from checker.sources import iter_sources

    formatter = FORMATTERS[format](stream, RulesetInfo(ruleset.sha256, rule_count(ruleset)),
                                   statuses=statuses, color=color)
    summary = Summary()
    not_applicable = NotApplicableTally()
    options = {} if max_bytes is None else {"max_bytes": max_bytes}
    items = with_case(iter_sources(inputs, **options), settings)
    formatter.start()
    with _progress(inputs, stream) as advance:
        for result in run_audit(items, ruleset, jobs, source=source, timeout=timeout):
            summary.add(result)
            not_applicable.add(result)
            if not only_findings or _has_something(result, statuses):
                formatter.handle(result)
            advance()
    formatter.stop(summary)
    if format == "text" and summary.messages > 1 and not_applicable.total:
        stream.write(not_applicable.line() + "\n")
    stream.flush()
    return summary


def _has_something(result, statuses) -> bool:
    """Whether --only findings keeps the message: a finding at a shown status, or the
    message could not be audited."""
    return not was_audited(result) or any(Status(f.status) in statuses for f in result.findings)


class NotApplicableTally:
    """Why rules were not applicable over a run, for the text report's last line (a big
    corpus is mostly "not applicable" and the reader must see why: dates before the law,
    no nexus with the state, preconditions not met)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.total = 0

    def add(self, result) -> None:
        for finding in result.findings:
            if str(finding.status) == "not_applicable":
                self.total += 1
                why = self.reason(finding)
                self.counts[why] = self.counts.get(why, 0) + 1

    @staticmethod
    def reason(finding) -> str:
        codes = tuple(getattr(finding, "reasons", ()) or ())
        if codes:
            try:
                from checker.reasons import describe
            except ImportError:  # the reason catalogue is not installed yet: the codes
                return ", ".join(codes)
            return "; ".join(describe(code) for code in codes)
        text = finding.finding or ""
        if "before the rule took effect" in text or "after the rule ceased" in text:
            return "the message is dated outside the rule's time in force"
        if "nexus" in text:
            return "no nexus with the state"
        return "a precondition did not hold"

    def line(self) -> str:
        parts = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = "; ".join(f"{n:,} {why}" for why, n in parts[:6])
        more = f"; {sum(n for _, n in parts[6:]):,} other" if len(parts) > 6 else ""
        return f"not applicable: {self.total:,} finding(s): {shown}{more}"


def register(app: typer.Typer) -> None:
    app.command("audit", help=HELP)(audit)
