"""`spamlaw exhibits INPUT... --out DIR`: many messages → numbered, Bates-stamped PDF exhibits.

This module turns options into a `BatchConfig`, opens the case folder and reports; the
work is done by `checker.exhibits.batch` (audit, render once, stamp), the ledger by
`checker.exhibits.casefile`, the manifests and index by `checker.exhibits.manifest` and
the load files by `checker.exhibits.production`.
Problems the user can fix are one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from checker import __version__, exitcodes
from checker.commands.audit import UsageError
from checker.exhibits.bates import CORNERS, DEFAULT_CORNER, BatesError, BatesSpec

FORMATS = ("text", "json")
INTERRUPTED = 130  # the shell's code for Ctrl-C; the folder resumes on the next run

HELP = (
    "Turn many messages into numbered, Bates-stamped PDF exhibits in a case folder.\n\n"
    "INPUT is a message file, a folder (searched recursively), an mbox, a Maildir or an ARF "
    "report (not standard input: the inputs are read more than once). Every input is "
    "audited as by `spamlaw audit` (same rules, --case, --state); the selected messages "
    "become exhibits numbered in input order, with Bates numbers continuous across "
    "exhibits on every page. DIR receives exhibits/exhibit-00001.pdf …, index.pdf (every "
    "input; its own page numbers INDEX-0001 …), schedule.pdf (the damages demonstrative), "
    "manifest.csv, manifest.json (one row per input: exhibit, slip_sheet, not_selected or "
    "error, with the reason), a production set (NATIVES/<BEGBATES>.eml, "
    "TEXT/<BEGBATES>.txt, DATA/<prefix>.dat Concordance and DATA/<prefix>.opt Opticon load "
    "files) and case.sqlite. With --documents both (the default) or analysis, each exhibit's "
    "analysis (attorney work product) goes to analysis/analysis-00001.pdf …, numbered in a "
    "series of its own (--analysis-prefix, default WP- before the Bates prefix, from 1) and "
    "listed in the manifest, never in the load files; the exhibits' numbers are the same "
    "with or without it, and a later run can add it.\n\n"
    "Running the same command on the same DIR resumes: exhibits already written (PDF "
    "present, SHA-256 unchanged) are kept with their numbers, new inputs get the next "
    "numbers. A DIR made with other output settings (rules, selection, Bates or label "
    "options, case settings) is refused; use a new DIR or --fresh. A selected message that "
    "cannot be rendered gets a one-page slip sheet in its place; --retry-slip-sheets "
    "renders those again on a later run (the exhibit keeps the slip sheet's Bates number; "
    "its further pages are numbered with a suffix, e.g. TRAP0000041.0001, so no later "
    "number moves). The same inputs and options give byte-identical PDFs and manifests.\n\n"
    "Exit codes: 0 every input is an exhibit or was not selected; 1 the batch completed but "
    "some inputs are errors or slip sheets (see the manifest); 2 usage or input error "
    "(including a DIR made with other settings); 3 rule errors (the ruleset does not load); "
    "130 interrupted (run the same command again to resume)."
)


def _fail(message: str, code: int = exitcodes.USAGE) -> typer.Exit:
    typer.echo(f"spamlaw exhibits: error: {message}", err=True)
    return typer.Exit(code)


def _choice(option: str, value: str, choices) -> str:
    normalised = value.strip().lower()
    if normalised not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, not {value!r}")
    return normalised


def _check_inputs(inputs: list[str]) -> None:
    for name in inputs:
        if name == "-":
            raise UsageError("standard input cannot be exhibited in a batch (the inputs are read "
                         "more than once); save it to a file first")
        if not Path(name).exists():
            raise UsageError(f"{name}: no such file or directory")


def _load_ruleset(rules: Path | None):
    from checker.batch import RulesetSource
    from checker.ruleset import RulesetError

    if rules is not None and not rules.exists():
        raise UsageError(f"--rules {rules}: no such file or directory")
    source = RulesetSource(str(rules) if rules else None)
    try:
        return source, source.load()
    except RulesetError as exc:
        problems = list(getattr(exc, "problems", ()) or [])
        for problem in problems or [exc]:
            typer.echo(str(problem), err=True)
        raise _fail(f"the ruleset has {len(problems) or 1} problem(s); no exhibit was made",
                    exitcodes.RULE_ERRORS) from None


PROGRESS_EVERY = 30.0  # seconds between progress lines when stderr is not a terminal


def _progress():
    """A rich progress bar per pass on stderr when it is a terminal, else a plain line
    at least every 30 s (a long run under nohup or cron must show it is alive)."""
    if not sys.stderr.isatty():
        return _progress_lines
    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:
        return None

    @contextmanager
    def bar(label: str, total: Any):
        total = total() if callable(total) else total
        with Progress(console=Console(file=sys.stderr), transient=True) as progress:
            task = progress.add_task(label, total=total)
            yield lambda: progress.advance(task)

    return bar


@contextmanager
def _progress_lines(label: str, total: Any, every: float = PROGRESS_EVERY):
    import threading
    import time

    total = total() if callable(total) else total
    done = [0]
    started = time.monotonic()
    stop = threading.Event()

    def report():
        while not stop.wait(every):
            of = f"/{total}" if total else ""
            sys.stderr.write(f"spamlaw exhibits: {label}: {done[0]}{of} after "
                             f"{time.monotonic() - started:.0f} s\n")
            sys.stderr.flush()

    thread = threading.Thread(target=report, name="progress", daemon=True)
    thread.start()
    try:
        yield lambda: done.__setitem__(0, done[0] + 1)
    finally:
        stop.set()
        thread.join()


def _config(inputs, out, *, select, first_exhibit, label_format, bates, label_corner,
            trusted_hops, case, state, jobs, timeout, max_bytes, fresh, ruleset_source,
            retry_slip_sheets=False, documents="both", analysis_prefix=None):
    from checker.batch import jobs_from_option
    from checker.commands.exhibit import exhibit_case_settings
    from checker.exhibits import ExhibitOptions
    from checker.exhibits.batch import (
        DOCUMENTS,
        SELECTIONS,
        BatchConfig,
        check_analysis_prefix,
        check_label_format,
    )
    from checker.exhibits.render import check_options

    select = _choice("--select", select, tuple(SELECTIONS))
    documents = _choice("--documents", documents, tuple(DOCUMENTS))
    try:
        processes = jobs_from_option(jobs)
    except ValueError:
        raise UsageError(f"--jobs must be a positive number or auto, not {jobs!r}") from None
    if timeout < 0 or (max_bytes is not None and max_bytes < 1) or first_exhibit < 1:
        raise UsageError("--timeout, --max-bytes and --first-exhibit must be positive")
    try:
        settings = exhibit_case_settings(case, state, trusted_hops)
        options = check_options(ExhibitOptions(
            bates=BatesSpec(*bates), label_corner=label_corner,
            trusted_hops=settings.trusted_hops,
            custodian=getattr(settings, "custodian", None),
            collection=getattr(settings, "collection", None)))
        check_label_format(label_format, first_exhibit)
        config = BatchConfig(
            inputs=tuple(inputs), out=out, ruleset=ruleset_source, options=options,
            case=settings, select=select, first_exhibit=first_exhibit,
            label_format=label_format, jobs=processes, timeout=timeout or None,
            max_bytes=max_bytes, fresh=fresh, retry_slip_sheets=retry_slip_sheets,
            documents=documents, analysis_prefix=analysis_prefix)
        check_analysis_prefix(config)
    except BatesError as exc:
        raise UsageError(str(exc)) from None
    return config


def _run(config, ruleset, arguments: dict):
    """Open the folder, run the three passes, write manifests and index."""
    from checker.exhibits.batch import SELECTIONS, Batch, BatchError, output_settings
    from checker.exhibits.casefile import CaseFolder, CaseFolderError
    from checker.exhibits.manifest import write_outputs

    settings = output_settings(config, ruleset.sha256)
    try:
        folder = CaseFolder.open(config.out, settings, fresh=config.fresh)
    except CaseFolderError as exc:
        raise UsageError(str(exc)) from None
    try:
        folder.start_run(__version__, arguments)
        report = Batch(config, folder, ruleset, _progress()).run()
        written = write_outputs(folder, settings, case_name=config.case.name,
                                selection=f"{config.select}: {SELECTIONS[config.select]}",
                                custodian=getattr(config.case, "custodian", None))
        folder.finish_run({"accounting": written.counts, "seconds": report.seconds})
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"--out {config.out}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        typer.echo(f"spamlaw exhibits: interrupted; run the same command again to resume "
                   f"({config.out})", err=True)
        raise typer.Exit(INTERRUPTED) from None
    finally:
        folder.close()
    return report, written


def _summary(config, report, written) -> dict:
    import json

    from checker.exhibits.casefile import (
        CASE_FILE,
        INDEX_FILE,
        MANIFEST_CSV,
        MANIFEST_JSON,
        SCHEDULE_FILE,
    )

    manifest = json.loads((config.out / MANIFEST_JSON).read_text(encoding="ascii"))
    done = [row for row in manifest["inputs"] if row["pdf_file"]]
    done.sort(key=lambda row: row["exhibit_number"])
    analysed = sorted((row for row in manifest["inputs"] if row.get("analysis_file")),
                      key=lambda row: row["analysis_bates_first"])
    return {
        "out": str(config.out),
        "accounting": written.counts,
        "bates_first": done[0]["bates_first"] if done else None,
        "bates_last": done[-1]["bates_last"] if done else None,
        "analyses": {  # work product: its own series, not in the load files
            "files": len(analysed), "pages": sum(row["analysis_pages"] for row in analysed),
            "bates_first": analysed[0]["analysis_bates_first"] if analysed else None,
            "bates_last": analysed[-1]["analysis_bates_last"] if analysed else None,
        },
        "this_run": {
            "inputs": report.inputs, "new": report.new, "audited": report.audited,
            "rendered": report.rendered, "slip_sheets": report.slip_sheets,
            "retried": report.retried, "reused": report.reused,
            "not_given": report.not_given, "seconds": report.seconds,
            "render_cpu_seconds": round(report.render_cpu, 3),
            "stamp_cpu_seconds": round(report.stamp_cpu, 3),
            "analyses": report.analyses, "analyses_kept": report.analyses_reused,
            "rerendered_after_decisions": list(report.redone),
        },
        "files": {
            "exhibits": str(config.out / "exhibits"),
            "analyses": str(config.out / "analysis")
            if (config.out / "analysis").is_dir() else None,
            "index": str(config.out / INDEX_FILE) if written.index else None,
            "schedule": str(config.out / SCHEDULE_FILE)
            if (config.out / SCHEDULE_FILE).is_file() else None,
            "manifest_csv": str(config.out / MANIFEST_CSV),
            "manifest_json": str(config.out / MANIFEST_JSON),
            "load_files": [str(config.out / name) for name in written.load_files],
            "case": str(config.out / CASE_FILE),
        },
        "problems": report.problems,
        "notes": list(written.notes),
    }


def _text(summary: dict) -> str:
    counts, run = summary["accounting"], summary["this_run"]
    lines = [
        f"{summary['out']}: {counts['inputs']} input(s): {counts['exhibit']} exhibit(s), "
        f"{counts['slip_sheet']} slip sheet(s), {counts['not_selected']} not selected, "
        f"{counts['error']} error(s); {counts['pages']} page(s)"
        + (f", Bates {summary['bates_first']}–{summary['bates_last']}"
           if summary["bates_first"] else ""),
        f"this run: {run['inputs']} input(s) read, {run['new']} new, {run['audited']} audited, "
        f"{run['rendered']} rendered, {run['slip_sheets']} slip sheet(s) made, "
        f"{run['retried']} slip sheet(s) replaced, {run['reused']} exhibit(s) kept, "
        f"{run['analyses']} analysis PDF(s) written; "
        f"{sum(run['seconds'].values()):.1f} s",
    ]
    analyses = summary["analyses"]
    if analyses["files"]:
        lines.append(f"analyses (work product, not in the load files): {analyses['files']} "
                     f"PDF(s) in analysis/, {analyses['pages']} page(s), "
                     f"{analyses['bates_first']}–{analyses['bates_last']}")
    if run["rerendered_after_decisions"]:
        lines.append("re-rendered after review decisions (same Bates range): "
                     + ", ".join(run["rerendered_after_decisions"]))
    if run["not_given"]:
        lines.append(f"{run['not_given']} input(s) recorded in the case were not given this "
                     "run; they stay in the manifest")
    files = summary["files"]
    lines.append("files: " + ", ".join(
        ", ".join(v) if isinstance(v, list) else str(v) for v in files.values() if v))
    return "\n".join(lines)


def exhibits(
    inputs: Annotated[list[str], typer.Argument(
        metavar="INPUT...", show_default=False, help="Messages: files, folders, mboxes, Maildirs.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", metavar="DIR", help="The case folder (created; resumed if it exists).")],
    select: Annotated[str, typer.Option(
        "--select", metavar="WHICH",
        help="Which messages become exhibits: findings (a violation or needs_review "
             "finding), violations, all, or representatives (one per campaign and set of "
             "findings; run `spamlaw campaigns INPUT... --out DIR` first).")] = "findings",
    first_exhibit: Annotated[int, typer.Option(
        "--first-exhibit", metavar="N", help="Number of the first exhibit.")] = 1,
    label_format: Annotated[str, typer.Option(
        "--label-format", metavar="TEXT",
        help='Exhibit label; {n} is the number, e.g. "Exhibit {n}" or "PX-{n:04d}".')]
        = "Exhibit {n}",
    bates_prefix: Annotated[str, typer.Option(
        "--bates-prefix", help="Text before the Bates counter, e.g. TRAP or ACME-.")] = "",
    bates_start: Annotated[int, typer.Option(
        "--bates-start", help="Bates number of the first page of the first exhibit.")] = 1,
    bates_digits: Annotated[int, typer.Option(
        "--bates-digits", help="Zero-padded counter width.")] = 7,
    label_corner: Annotated[str, typer.Option(
        "--label-corner", help=f"Corner of page 1 for the label: {', '.join(CORNERS)}.")]
        = DEFAULT_CORNER,
    trusted_hops: Annotated[int | None, typer.Option(
        "--trusted-hops", help="Received headers added by your own servers (default: the "
        "case file's trusted.hops, else 1).")] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", metavar="DIR", help="Ruleset directory (default: the shipped rules).")] = None,
    case: Annotated[Path | None, typer.Option(
        "--case", metavar="FILE",
        help="Case settings (YAML), as in `spamlaw audit`: trap states (nexus), trusted "
             "servers, opt-out log, registries.")] = None,
    state: Annotated[str | None, typer.Option(
        "--state", metavar="CODE",
        help="Take every recipient to be in this US state (nexus), e.g. MA.")] = None,
    jobs: Annotated[str, typer.Option(
        "--jobs", "-j", metavar="N", help="Worker processes: a number or auto.")] = "1",
    timeout: Annotated[float, typer.Option(
        "--timeout", metavar="SECONDS",
        help="Time bound per message for each step (audit, layout, rendering); 0 for "
             "none. A message past it gets a slip sheet.")] = 60.0,
    max_bytes: Annotated[int | None, typer.Option(
        "--max-bytes", metavar="BYTES", help="Largest message read (default 50 MiB).")] = None,
    retry_slip_sheets: Annotated[bool, typer.Option(
        "--retry-slip-sheets",
        help="Render slip-sheeted exhibits again (e.g. after time bounds on a busy "
             "machine). An exhibit that now renders keeps its slip sheet's Bates number; "
             "pages beyond it get suffixed numbers (TRAP0000041.0001 ...), so no other "
             "number changes.")] = False,
    documents: Annotated[str, typer.Option(
        "--documents", metavar="WHICH",
        help="Which documents per exhibit: both (the message exhibit and, as a separate PDF "
             "in analysis/ with a Bates series of its own, its analysis: attorney work "
             "product, never in the load files), message, or analysis (only the analyses: the "
             "selected messages are numbered and wait for a later run to make their "
             "exhibits).")] = "both",
    analysis_prefix: Annotated[str | None, typer.Option(
        "--analysis-prefix", metavar="TEXT",
        help="Bates prefix of the analyses' own series (default: WP- and the Bates "
             "prefix, e.g. WP-TRAP0000001).")] = None,
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Start over: delete this folder's exhibits, index, manifests and "
                        "case.sqlite first.")] = False,
    all_remedies: Annotated[bool, typer.Option(
        "--all-remedies", help="Schedule every plaintiff's remedies, not only those of the "
                               "case file's plaintiff.")] = False,
    format: Annotated[str, typer.Option(
        "--format", "-f", metavar="FORMAT", help="Summary format: text or json.")] = "text",
) -> None:
    try:
        format = _choice("--format", format, FORMATS)
        _check_inputs(inputs)
        ruleset_source, ruleset = _load_ruleset(rules)
        config = _config(inputs, out, select=select, first_exhibit=first_exhibit,
                         label_format=label_format,
                         bates=(bates_prefix, bates_start, bates_digits),
                         label_corner=label_corner, trusted_hops=trusted_hops, case=case,
                         state=state, jobs=jobs, timeout=timeout, max_bytes=max_bytes,
                         fresh=fresh, ruleset_source=ruleset_source,
                         retry_slip_sheets=retry_slip_sheets, documents=documents,
                         analysis_prefix=analysis_prefix)
        config = replace(config, all_remedies=all_remedies)
        arguments = {"inputs": inputs, "jobs": config.jobs, "timeout": timeout,
                     "max_bytes": max_bytes, "fresh": fresh, "case": str(case or ""),
                     "retry_slip_sheets": retry_slip_sheets, "documents": config.documents,
                     "state": state, "rules": str(rules or "")}
        report, written = _run(config, ruleset, arguments)
    except UsageError as exc:
        raise _fail(str(exc)) from None
    summary = _summary(config, report, written)
    if format == "json":
        from checker.formatters.json import dumps

        typer.echo(dumps(summary, indent=2))
    else:
        typer.echo(_text(summary))
    for line in report.problems + list(written.notes):
        typer.echo(f"spamlaw exhibits: {line}", err=True)
    counts = written.counts
    if counts["error"] or counts["slip_sheet"]:
        typer.echo(f"spamlaw exhibits: {counts['error']} error(s) and {counts['slip_sheet']} "
                   f"slip sheet(s); {config.out / 'manifest.csv'} gives each reason", err=True)
        if counts["slip_sheet"] and not config.retry_slip_sheets:
            typer.echo("spamlaw exhibits: to render slip-sheeted messages again (e.g. after "
                       "time bounds on a busy machine) run the same command with "
                       "--retry-slip-sheets; no other Bates number changes", err=True)
        raise typer.Exit(exitcodes.FINDINGS)
    raise typer.Exit(exitcodes.OK)


def register(app: typer.Typer) -> None:
    app.command("exhibits", help=HELP)(exhibits)
