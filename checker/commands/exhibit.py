"""`spamlaw exhibit MESSAGE --out FILE.pdf`: one message as a litigation-grade PDF exhibit.

The message is audited with the ruleset, then rendered by `checker.exhibits` (Jinja2
templates in templates/, WeasyPrint). Problems the user can fix are one line on stderr:
exit 2 for usage and input errors (including a message that cannot be rendered), exit 3
when the ruleset does not load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from checker import exitcodes
from checker.exhibits.bates import CORNERS, DEFAULT_CORNER, BatesError, BatesSpec

HELP = (
    "Render one message as PDF documents. The message exhibit (offered as evidence): a "
    "cover saying when and where the message was received, its hashes, size and "
    "collection, and the findings in brief; the message as the recipient saw it (nothing "
    "fetched); the verbatim header block with the trust boundary marked; the escaped, "
    "line-numbered source; links and attachments. The original .eml is embedded (PDF/A-3, "
    "relationship Source). The analysis (work product): each finding with its rule, "
    "citation, sentence and the evidence it rests on, anchored to the exhibit's line "
    "numbers. Both carry a label, Bates number and 'Page X of Y' on every page; with "
    "--documents both (the default) they are two PDFs. The analysis is numbered in a Bates "
    "series of its own (--analysis-prefix, default WP- before the Bates prefix; "
    "--analysis-start, default 1), so that withholding it leaves no gap in the production's "
    "numbers. The same message, rules and templates always give the same bytes.\n\n"
    "Exit codes: 0 exhibit written; 2 usage or input error (including a message that "
    "cannot be rendered); 3 rule errors."
)


def _fail(message: str, code: int = exitcodes.USAGE) -> typer.Exit:
    typer.echo(f"spamlaw exhibit: error: {message}", err=True)
    return typer.Exit(code)


def _read_message(path: Path):
    """The one message in `path` as a SourceItem (exit 2 if there is not exactly one)."""
    import sys

    from checker.sources import iter_sources

    stdin = str(path) == "-"  # like `spamlaw audit -`
    if not stdin and not path.exists():
        raise _fail(f"{path}: no such file")
    if not stdin and path.is_dir():
        raise _fail(f"{path} is a folder; `spamlaw exhibit` takes one message file")
    items = []
    for item in iter_sources([str(path)], stdin=sys.stdin.buffer):
        items.append(item)
        if len(items) > 1:
            raise _fail(f"{path} holds more than one message; exhibit one message file")
    item = items[0]
    if item.error:
        raise _fail(f"{item.source_id}: {item.error}")
    return item


def _load_ruleset(rules: Path | None):
    from checker.ruleset import RulesetError, load_ruleset

    if rules is not None and not rules.exists():
        raise _fail(f"--rules {rules}: no such file or directory")
    try:
        return load_ruleset(rules)
    except RulesetError as exc:
        for problem in list(getattr(exc, "problems", ()) or []) or [exc]:
            typer.echo(str(problem), err=True)
        raise _fail("the ruleset does not load; no exhibit was made",
                    exitcodes.RULE_ERRORS) from None


def _message(item, settings):
    """The message with the case settings (`--case`/`--state`, and the trust boundary
    the exhibit shows) handed to the detectors, so findings and exhibit agree."""
    from checker.message import Message

    metadata = {**item.metadata, **settings.as_metadata()}
    return Message(item.raw, source_id=item.source_id, metadata=metadata)


def exhibit_case_settings(case: Path | None, state: str | None, trusted_hops: int | None):
    """The CaseSettings an exhibit is audited with: those of --case/--state (as in
    `spamlaw audit`), with --trusted-hops overriding the file's `trusted.hops`; without a
    case file, only the trust boundary (default 1 hop). Raises audit.UsageError."""
    from dataclasses import replace

    from checker.case import CaseSettings
    from checker.commands.audit import case_settings_from_options

    settings = case_settings_from_options(case, state)
    if settings is None:
        return CaseSettings(trusted_hops=1 if trusted_hops is None else trusted_hops)
    if trusted_hops is not None:
        settings = replace(settings, trusted_hops=trusted_hops)
    return settings


def _audit(ruleset, msg, item):
    """The audit result; an engine failure becomes an error on the exhibit, not a crash."""
    from checker.batch import INTERNAL_ERROR, failed
    from checker.engine import audit

    try:
        return audit(ruleset, msg)
    except Exception as exc:
        return failed(item, f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}")


DOCUMENTS = ("message", "analysis", "both")
DEFAULT_TIMEOUT = 60.0  # seconds per document, as in the batch


def make_exhibit(item, ruleset, options, settings=None):
    """What `spamlaw exhibit` does between reading the input and writing the message
    exhibit (also what bench/exhibit.py times): audit with the case settings (default:
    only the exhibit's trust boundary), then render. Raises ExhibitError when no PDF can
    be made."""
    return make_documents(item, ruleset, options, settings, "message")["message"]


def make_documents(item, ruleset, options, settings=None, documents: str = "both",
                   timeout: float | None = None, analysis_bates=None) -> dict:
    """{"message": Exhibit, "analysis": Exhibit} (those asked for). The analysis is
    numbered in its own series, `analysis_bates` (default: `analysis_series(options)`).
    Each render is bounded by `timeout` seconds (ExhibitError when it runs out)."""
    from dataclasses import replace

    from checker.case import CaseSettings
    from checker.exhibits import ExhibitError, render_analysis, render_message_exhibit
    from checker.exhibits.bates import MAX_LABEL
    from checker.exhibits.render import rule_statuses
    from checker.pool import MessageTimeout, time_bound

    if settings is None:
        settings = CaseSettings(trusted_hops=options.trusted_hops)
    msg = _message(item, settings)
    result = _audit(ruleset, msg, item)
    statuses = rule_statuses(ruleset)
    made = {}
    try:
        if documents in ("message", "both"):
            with time_bound(timeout):
                made["message"] = render_message_exhibit(
                    msg, result, options, ruleset_sha256=ruleset.sha256, rule_statuses=statuses)
        if documents in ("analysis", "both"):
            label = f"Analysis of {options.label or 'Exhibit ' + options.bates.number(0)}"
            analysis = replace(options, bates=analysis_bates or analysis_series(options),
                               label=label if len(label) <= MAX_LABEL else None)
            with time_bound(timeout):
                made["analysis"] = render_analysis(
                    msg, result, analysis, ruleset_sha256=ruleset.sha256, rule_statuses=statuses)
    except MessageTimeout:
        raise ExhibitError(f"rendering stopped after {timeout:g} s (time bound)") from None
    return made


def analysis_series(options, prefix: str | None = None, start: int = 1):
    """The analysis's Bates series: `prefix` (default WP- before the exhibit's prefix)
    from `start`, as wide as the exhibit's; refused when it is the exhibit's own series
    (a withheld analysis would leave a gap in the production's numbers)."""
    from checker.exhibits.batch import ANALYSIS_PREFIX
    from checker.exhibits.bates import BatesError, BatesSpec

    bates = options.bates
    series = BatesSpec(ANALYSIS_PREFIX + bates.prefix if prefix is None else prefix, start,
                       bates.digits)
    if series.prefix == bates.prefix:
        raise BatesError("--analysis-prefix must differ from --bates-prefix (the analysis is "
                         "numbered in a series of its own)")
    return series


def analysis_path(out: Path) -> Path:
    """Where the analysis goes beside the message exhibit: NAME-analysis.pdf."""
    return out.with_name(f"{out.stem}-analysis{out.suffix or '.pdf'}")


def check_output(path: Path, option: str = "--out") -> None:
    """Refuse an existing target that is not a regular file (a device, FIFO, socket or
    folder would be replaced or written through), and a missing folder."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise _fail(f"{option} {path}: the folder {path.parent} does not exist") from None
        return
    except OSError as exc:
        raise _fail(f"{option} {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise _fail(f"{option} {path}: exists and is not a regular file; refusing to replace it")


def exhibit(
    message: Annotated[Path, typer.Argument(
        metavar="MESSAGE",
        help="The message file (.eml; an ARF report gives the reported message); - reads "
             "standard input.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the PDF.")],
    label: Annotated[str | None, typer.Option(
        "--label", help='Exhibit label, e.g. "Exhibit 12" (default: "Exhibit " and the first '
        "Bates number).")] = None,
    bates_prefix: Annotated[str, typer.Option(
        "--bates-prefix", help="Text before the Bates counter, e.g. TRAP or ACME-.")] = "",
    bates_start: Annotated[int, typer.Option(
        "--bates-start", help="Bates number of page 1.")] = 1,
    bates_digits: Annotated[int, typer.Option(
        "--bates-digits", help="Zero-padded counter width.")] = 7,
    label_corner: Annotated[str, typer.Option(
        "--label-corner",
        help=f"Corner of page 1 for the label: {', '.join(CORNERS)}. The Bates number is at "
        "the bottom right; bottom-right stacks the label above it.")] = DEFAULT_CORNER,
    trusted_hops: Annotated[int | None, typer.Option(
        "--trusted-hops", help="How many of the topmost Received headers were added by your "
        "own mail servers (the trust boundary; the receipt time is taken from the lowest of "
        "them). 0 trusts none. Default: the case file's trusted.hops, else 1.")] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", help="Ruleset folder (default: the shipped rules/).")] = None,
    case: Annotated[Path | None, typer.Option(
        "--case", metavar="FILE",
        help="Case settings (YAML), as in `spamlaw audit`: trap addresses and their states "
             "(nexus, so state rules apply), trusted servers, opt-out log, registries.")] = None,
    state: Annotated[str | None, typer.Option(
        "--state", metavar="CODE",
        help="Take the recipient to be in this US state (nexus for state law), e.g. MA; "
             "overrides the trap states of --case.")] = None,
    documents: Annotated[str, typer.Option(
        "--documents", help="Which documents to make: message (the exhibit offered as "
        "evidence), analysis (the work-product appendix) or both (two PDFs: --out and "
        "--analysis-out).")] = "both",
    analysis_out: Annotated[Path | None, typer.Option(
        "--analysis-out", help="Where to write the analysis with --documents both "
        "(default: beside --out, NAME-analysis.pdf).")] = None,
    analysis_prefix: Annotated[str | None, typer.Option(
        "--analysis-prefix", metavar="TEXT", help="Bates prefix of the analysis's own series "
        "(default: WP- before --bates-prefix).")] = None,
    analysis_start: Annotated[int, typer.Option(
        "--analysis-start", metavar="N", help="First Bates number of the analysis.")] = 1,
    legend: Annotated[str | None, typer.Option(
        "--legend", metavar="TEXT", help='A confidentiality legend printed at the top of '
        'every page, e.g. "CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER".')] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Seconds allowed to render each document (0: no bound).")] = DEFAULT_TIMEOUT,
) -> None:
    from checker.commands.audit import UsageError
    from checker.exhibits import ExhibitError, ExhibitOptions
    from checker.exhibits.render import check_options

    if documents not in DOCUMENTS:
        raise _fail(f"--documents must be one of {', '.join(DOCUMENTS)}, not {documents!r}")
    if timeout < 0:
        raise _fail("--timeout must be 0 (no bound) or more seconds")
    try:
        settings = exhibit_case_settings(case, state, trusted_hops)
        options = check_options(ExhibitOptions(
            label=label,
            bates=BatesSpec(bates_prefix, bates_start, bates_digits),
            label_corner=label_corner,
            trusted_hops=settings.trusted_hops,
            legend=" ".join(legend.split()) if legend else None,
            custodian=getattr(settings, "custodian", None),
            collection=getattr(settings, "collection", None),
        ))
        analysis_bates = analysis_series(options, analysis_prefix, analysis_start)
    except (BatesError, UsageError) as exc:
        raise _fail(str(exc)) from None
    targets = {"message": out} if documents == "message" else {"analysis": out}
    if documents == "both":
        targets = {"message": out, "analysis": analysis_out or analysis_path(out)}
        if targets["analysis"].resolve() == out.resolve():
            raise _fail("--analysis-out must differ from --out")
    for target in targets.values():
        check_output(target, "--out" if target == out else "--analysis-out")
    item = _read_message(message)
    ruleset = _load_ruleset(rules)
    try:
        made = make_documents(item, ruleset, options, settings, documents, timeout or None,
                              analysis_bates)
    except ExhibitError as exc:
        raise _fail(f"{item.source_id}: cannot render the exhibit: {exc}") from None
    from checker.exhibits.casefile import write_atomically

    for name, target in targets.items():
        document = made[name]
        try:
            write_atomically(target, document.pdf)
        except OSError as exc:
            raise _fail(f"{target}: {exc.strerror or exc}") from None
        what = "message exhibit" if name == "message" else "analysis"
        typer.echo(
            f"{target}: {what}, {document.pages} page(s), Bates {document.bates_first}–"
            f"{document.bates_last}, original SHA-256 {document.source_sha256}, PDF SHA-256 "
            f"{document.pdf_sha256}"
        )


def register(app: typer.Typer) -> None:
    app.command("exhibit", help=HELP)(exhibit)
