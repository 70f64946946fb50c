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
    "Render one message as a PDF exhibit: label, Bates number and 'Page X of Y' on every "
    "page, hashes of the original bytes, key headers, the findings with their citations "
    "and evidence, the message as the recipient saw it (sanitized, nothing fetched), the "
    "escaped source, links, blocked resources, hidden text, attachments and the verbatim "
    "header block with the trust boundary marked. The original .eml is embedded in the "
    "PDF (PDF/A-3, relationship Source). The same message, rules and templates always "
    "give the same bytes.\n\n"
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


def make_exhibit(item, ruleset, options, settings=None):
    """What `spamlaw exhibit` does between reading the input and writing the PDF (also
    what bench/exhibit.py times): audit with the case settings (default: only the
    exhibit's trust boundary), then render. Raises ExhibitError when no PDF can be made."""
    from checker.case import CaseSettings
    from checker.exhibits import render_exhibit

    if settings is None:
        settings = CaseSettings(trusted_hops=options.trusted_hops)
    msg = _message(item, settings)
    result = _audit(ruleset, msg, item)
    return render_exhibit(msg, result, options, ruleset_sha256=ruleset.sha256)


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
) -> None:
    from checker.commands.audit import UsageError
    from checker.exhibits import ExhibitError, ExhibitOptions
    from checker.exhibits.render import check_options

    try:
        settings = exhibit_case_settings(case, state, trusted_hops)
        options = check_options(ExhibitOptions(
            label=label,
            bates=BatesSpec(bates_prefix, bates_start, bates_digits),
            label_corner=label_corner,
            trusted_hops=settings.trusted_hops,
        ))
    except (BatesError, UsageError) as exc:
        raise _fail(str(exc)) from None
    item = _read_message(message)
    ruleset = _load_ruleset(rules)
    try:
        made = make_exhibit(item, ruleset, options, settings)
    except ExhibitError as exc:
        raise _fail(f"{item.source_id}: cannot render the exhibit: {exc}") from None
    try:
        from checker.exhibits.casefile import write_atomically

        write_atomically(out, made.pdf)
    except OSError as exc:
        raise _fail(f"--out {out}: {exc.strerror or exc}") from None
    typer.echo(
        f"{out}: {made.pages} page(s), Bates {made.bates_first}–{made.bates_last}, "
        f"original SHA-256 {made.source_sha256}, PDF SHA-256 {made.pdf_sha256}"
    )


def register(app: typer.Typer) -> None:
    app.command("exhibit", help=HELP)(exhibit)
