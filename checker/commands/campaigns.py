"""`spamlaw campaigns INPUT...`: group messages into campaigns and show who is behind them.

Options become a ruleset, source items and case settings exactly as in `spamlaw audit`;
the work is `checker.campaigns` (describe, group, summarise, export)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from checker import exitcodes
from checker.commands.audit import (
    UsageError,
    _load_ruleset,
    case_settings_from_options,
    with_case,
)
from checker.display import quoted, reveal

FORMATS = ("text", "json")


def _require_inputs(inputs: list[str]) -> None:
    """Campaigns are formed over the whole capture: a missing input is a usage error."""
    for name in inputs:
        if name != "-" and not os.path.exists(name):
            raise UsageError(f"{name}: no such file or directory")
SHOWN_VALUES = 5  # values per indicator kind in the text report

HELP = (
    "Group messages into campaigns (near-copies of one template, joined with shared landing "
    "pages) and list who is behind them: advertised domains, landing URLs, phone numbers, "
    "payment addresses, From/Return-Path domains, sending IPs and networks (trusted hop), "
    "reply addresses.\n\n"
    "Campaign ids C0001… follow the first receipt (trusted Received time, else the Date "
    "header). Every message is audited as by `spamlaw audit` (same --rules, --case, --state) "
    "for the per-rule counts.\n\n"
    "--out DIR writes campaigns.json, campaigns.csv, campaign-members.csv and indicators.csv "
    "(each indicator with its messages' SHA-256), and records each message's campaign in "
    "DIR/case.sqlite: DIR is (or becomes) the `spamlaw exhibits` case folder, for "
    "`spamlaw review decide --campaign` and `spamlaw exhibits --select representatives`."
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"spamlaw campaigns: error: {message}", err=True)
    return typer.Exit(exitcodes.USAGE)


def campaigns(
    inputs: Annotated[list[str], typer.Argument(
        metavar="INPUT...", show_default=False, help="Messages: files, folders, mboxes.")],
    case: Annotated[Path | None, typer.Option(
        "--case", metavar="FILE", help="Case settings (YAML), as in `spamlaw audit`.")] = None,
    state: Annotated[str | None, typer.Option(
        "--state", metavar="CODE", help="Every recipient is in this US state (nexus).")] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", metavar="DIR", help="Ruleset directory (default: the shipped rules).")] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", metavar="FORMAT", help="text or json.")] = "text",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="DIR",
        help="Write CSV/JSON exports here (and record campaigns in a case folder).")] = None,
    jobs: Annotated[str, typer.Option(
        "--jobs", "-j", metavar="N", help="Worker processes: a number or auto.")] = "1",
) -> None:
    from checker.batch import jobs_from_option, run_audit
    from checker.campaigns.analysis import audit_and_describe, build
    from checker.sources import iter_sources

    try:
        if format.strip().lower() not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
        try:
            processes = jobs_from_option(jobs)
        except ValueError:
            raise UsageError(f"--jobs must be a positive number or auto, not {jobs!r}") from None
        _require_inputs(inputs)
        if out is not None and out.exists() and not out.is_dir():
            raise UsageError(f"--out {out}: exists and is not a folder")
        settings = case_settings_from_options(case, state)
        ruleset, source = _load_ruleset(str(rules) if rules else None, (), ())
        started, cpu = time.monotonic(), time.process_time()
        results = run_audit(with_case(iter_sources(inputs), settings), ruleset, processes,
                            source=source, audit=audit_and_describe)
        capture = build(_progress(results), ruleset.sha256)
        seconds = time.monotonic() - started
        cpu = time.process_time() - cpu
        notes = _export(capture, out) if out is not None else []
    except UsageError as exc:
        raise _fail(str(exc)) from None
    if format.strip().lower() == "json":
        from checker.formatters.json import write_indented

        write_indented(capture.to_dict(), sys.stdout.write)
        sys.stdout.write("\n")
        sys.stdout.flush()
    else:
        typer.echo(text_report(capture))
    typer.echo(f"spamlaw campaigns: {capture.messages} message(s) in {len(capture.campaigns)} "
               f"campaign(s) in {seconds:.1f} s ({cpu:.1f} CPU-s in this process)", err=True)
    for note in notes:
        typer.echo(f"spamlaw campaigns: {note}", err=True)
    raise typer.Exit(exitcodes.USAGE if capture.not_grouped and not capture.campaigns
                     else exitcodes.OK)


def _progress(results):
    if not sys.stderr.isatty():
        yield from results
        return
    done = 0
    for result in results:
        done += 1
        if done % 500 == 0:
            typer.echo(f"\r{done} messages read", err=True, nl=False)
        yield result
    typer.echo("", err=True)


def _export(capture, out: Path) -> list[str]:
    from checker.campaigns.export import is_case_folder, record_in_case, write_exports

    try:
        written = write_exports(capture, out)
        notes = [f"wrote {', '.join(str(p) for p in written)}"]
        known = is_case_folder(out)
        rows = record_in_case(capture, out)
        notes.append(f"recorded the campaigns in {out / 'case.sqlite'}"
                     + (f" ({rows} case input(s) matched)" if known else ""))
    except OSError as exc:
        raise UsageError(f"--out {out}: {exc.strerror or exc}") from None
    return notes


def _short(text: str, width: int = 70) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def text_report(capture) -> str:
    from checker.campaigns.features import KINDS

    lines = [f"{capture.messages} message(s), {len(capture.campaigns)} campaign(s)"
             + (f", {len(capture.not_grouped)} not audited" if capture.not_grouped else "")]
    for c in capture.campaigns:
        span = (f"{c['first_received'][:10]} – {c['last_received'][:10]}"
                if c["first_received"] else "no date")
        if c["dated_by_header"]:
            span += f" ({c['dated_by_header']} dated by the Date header only)"
        lines.append("")
        lines.append(f"{c['id']}  {c['size']} message(s)  {span}  "
                     f"{c['subject_variant_count']} subject(s)")
        lines.append(f"  representative: {c['representative']['sha256'][:16]}  "
                     f"{quoted(reveal(_short(c['representative']['subject'])))}")
        worst = {rule: counts for rule, counts in c["rules"].items()
                 if counts.get("violation") or counts.get("needs_review")}
        if worst:
            lines.append("  findings: " + "; ".join(
                f"{rule} " + ", ".join(f"{n} {s}" for s, n in counts.items()
                                       if s in ("violation", "needs_review"))
                for rule, counts in worst.items()))
        for kind in ("advertised_domain", "phone", "sending_network"):
            values = c["indicators"].get(kind)
            if values:
                lines.append(f"  {kind.replace('_', ' ')}: " + ", ".join(
                    f"{v['value']} ({v['messages']})" for v in values[:SHOWN_VALUES]))
        if c["linked_via"]:
            lines.append("  shares " + "; ".join(
                f"{v['infrastructure'].split(':', 1)[1]} with {v['campaigns'] - 1} other "
                "campaign(s)" for v in c["linked_via"][:3])
                + (f"; {len(c['linked_via']) - 3} more" if len(c["linked_via"]) > 3 else ""))
    lines.append("")
    lines.append("Who is behind the capture")
    for kind, heading in KINDS.items():
        entries = capture.indicators.get(kind)
        if not entries:
            continue
        lines.append(f"  {heading} ({len(entries)}):")
        for e in entries[:SHOWN_VALUES]:
            lines.append(f"    {reveal(_short(e['value'], 90))}  {e['messages']} message(s), "
                         f"{len(e['campaigns'])} campaign(s)")
    for item in capture.not_grouped:
        lines.append(f"not audited: {item['source']}: {item['reason']}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("campaigns", help=HELP)(campaigns)
