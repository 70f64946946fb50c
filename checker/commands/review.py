"""`spamlaw review list|decide|log DIR`: counsel's decisions on findings that need review,
in a `spamlaw exhibits` case folder (its case.sqlite). The journal is append-only; the
next `spamlaw exhibits` run on the folder applies the decisions in force and re-renders
the exhibits they change."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from checker import exitcodes
from checker.commands.audit import UsageError
from checker.display import quoted

STATUSES = ("needs_review", "violation", "compliant", "not_applicable", "all")
FORMATS = ("text", "json")
SHOWN_MESSAGES = 8

app = typer.Typer(
    name="review", no_args_is_help=True, add_completion=False,
    help="Counsel's decisions on findings that need review, in a `spamlaw exhibits` case "
         "folder: list the open questions, record a decision for a message or a whole "
         "campaign (`spamlaw campaigns ... --out DIR` records the campaigns), print the "
         "append-only journal. Run `spamlaw exhibits` on the folder again to apply them.")


def _fail(command: str, message: str) -> typer.Exit:
    typer.echo(f"spamlaw review {command}: error: {message}", err=True)
    return typer.Exit(exitcodes.USAGE)


def _ledger(folder: Path) -> sqlite3.Connection:
    database = folder / "case.sqlite"
    if not database.is_file():
        raise UsageError(f"{folder}: not a case folder (no case.sqlite); make one with "
                         "`spamlaw exhibits INPUT... --out DIR`")
    try:
        db = sqlite3.connect(database, timeout=30)
        db.execute("SELECT COUNT(*) FROM inputs").fetchone()
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{database}: not a usable case file ({exc})") from None
    return db


def _ruleset(db: sqlite3.Connection, rules: Path | None):
    """The ruleset whose rule versions decisions are made under: --rules, else the one
    the folder's last exhibits run used."""
    from checker.batch import RulesetSource
    from checker.ruleset import RulesetError

    path = str(rules) if rules else None
    if path is None:
        found = db.execute("SELECT arguments FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        path = (json.loads(found[0] or "{}").get("rules") or None) if found else None
    try:
        return RulesetSource(path).load()
    except (RulesetError, OSError) as exc:
        raise UsageError(f"the ruleset {path or '(shipped)'} does not load: {exc}") from None


def _decisions(db, ruleset):
    from checker.review.casefolder import decisions_for

    return decisions_for(db, ruleset)


RULES_OPTION = typer.Option("--rules", metavar="DIR",
                            help="Ruleset (default: the one the folder's exhibits used).")


@app.command("list")
def list_questions(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The case folder.")],
    campaign: Annotated[str | None, typer.Option("--campaign", metavar="CID")] = None,
    rule: Annotated[str | None, typer.Option("--rule", metavar="RULE")] = None,
    status: Annotated[str, typer.Option(
        "--status", metavar="STATUS",
        help="needs_review (open questions, the default), violation (confirmed), compliant "
             "or not_applicable (dismissed), or all.")] = "needs_review",
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT")] = "text",
    rules: Annotated[Path | None, RULES_OPTION] = None,
) -> None:
    """List the findings the audit left for review, grouped by campaign (biggest first)."""
    from checker.review.queue import by_campaign, questions

    try:
        status, format = _one_of("--status", status, STATUSES), _one_of("--format", format, FORMATS)
        with closing(_ledger(folder)) as db:
            found = questions(db, _decisions(db, _ruleset(db, rules)))
            found = [q for q in found
                     if (campaign is None or q.campaign == campaign.upper())
                     and (rule is None or q.rule == rule)
                     and (status == "all" or q.status == status)]
            groups = by_campaign(found, db)
    except UsageError as exc:
        raise _fail("list", str(exc)) from None
    if format == "json":
        from checker.formatters.json import dumps

        typer.echo(dumps({"schema": "spamlaw.review-queue/1", "questions": [
            q.to_dict() for g in groups for q in g.questions]}, indent=2))
        return
    typer.echo(_queue_text(groups, status))


def _one_of(option: str, value: str, choices) -> str:
    value = value.strip().lower()
    if value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _short(text: str, width: int = 100) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _reason_text(codes: list[str]) -> str:
    try:
        from checker.reasons import describe
    except ImportError:
        return ", ".join(codes)
    return "; ".join(describe(code) for code in codes)


def _queue_text(groups, status: str) -> str:
    if not groups:
        return f"No finding with status {status}." if status != "all" else "No finding."
    lines = []
    for group in groups:
        messages = {q.sha256 for q in group.questions}
        subject = group.subject or group.questions[0].subject
        head = "No campaign" if group.id == "-" else f"{group.id} ({group.size} message(s))"
        lines.append(f"{head}: {len(messages)} message(s) here; representative subject "
                     f"{quoted(_short(subject, 70))}")
        by_rule: dict[str, list] = {}
        for q in group.questions:
            by_rule.setdefault(q.rule, []).append(q)
        for rule_id, items in sorted(by_rule.items()):
            first = items[0]
            lines.append(f"  {rule_id}: {len(items)} message(s), {first.status}")
            if first.reasons:
                lines.append(f"    review reason: {_short(_reason_text(first.reasons), 160)}")
            lines.extend(textwrap.wrap(_short(first.finding, 900), 100,
                                       initial_indent="    finding: ",
                                       subsequent_indent="      "))
            quotes = list(dict.fromkeys(quote for q in items for quote in q.quotes))[:3]
            for quote in quotes:
                lines.append(f"    evidence: {quoted(_short(quote, 120))}")
            for q in items[:SHOWN_MESSAGES]:
                note = ""
                if q.decision and not q.new_look:
                    note = (f"  [{q.decision['action']}ed by {q.decision['by']} on "
                            f"{q.decision['recorded'][:10]}, entry #{q.decision['entry']}]")
                elif q.new_look:
                    note = f"  [needs a new look: {q.new_look}]"
                lines.append(f"    {q.sha256}  {q.exhibit or '(no exhibit)'}{note}")
            if len(items) > SHOWN_MESSAGES:
                lines.append(f"    … and {len(items) - SHOWN_MESSAGES} more (--format json "
                             "lists all)")
        lines.append("")
    return "\n".join(lines).rstrip()


@app.command("decide")
def decide(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The case folder.")],
    rule: Annotated[str, typer.Option("--rule", metavar="RULE", help="The rule decided.")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT",
                                        help="Why (printed in the exhibits).")],
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who decides.")],
    message: Annotated[str | None, typer.Option(
        "--message", metavar="SHA256", help="One message (its SHA-256, or a unique prefix "
        "of at least 12 characters).")] = None,
    campaign: Annotated[str | None, typer.Option(
        "--campaign", metavar="CID", help="Every message of this campaign in the case.")] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="The finding is a violation.")]
        = False,
    dismiss: Annotated[bool, typer.Option("--dismiss", help="It is not.")] = False,
    rules: Annotated[Path | None, RULES_OPTION] = None,
) -> None:
    """Record a decision on a needs_review finding for one message or a whole campaign."""
    from checker.review.journal import CONFIRM, DISMISS, record
    from checker.review.queue import questions

    try:
        if (message is None) == (campaign is None):
            raise UsageError("give exactly one of --message SHA256 and --campaign CID")
        if confirm == dismiss:
            raise UsageError("give exactly one of --confirm and --dismiss")
        if not reason.strip() or not by.strip():
            raise UsageError("--reason and --by must not be empty")
        with closing(_ledger(folder)) as db:
            ruleset = _ruleset(db, rules)
            versions = {r.id: r.version for r in ruleset.rules}
            if rule not in versions:
                raise UsageError(f"--rule: no such rule in the ruleset: {rule}")
            open_ = [q for q in questions(db, None) if q.rule == rule]
            if message is not None:
                scope, target = "message", _message_hash(db, message)
                hashes = sorted({q.sha256 for q in open_ if q.sha256 == target})
                if not hashes:
                    raise UsageError(f"message {target[:16]}… has no needs_review finding of "
                                     f"{rule}; `spamlaw review list {folder}` shows the open "
                                     "questions")
            else:
                scope, target = "campaign", campaign.strip().upper()
                hashes = _campaign_hashes(db, target, open_, rule, folder)
            entry = record(db, by=by.strip(), action=CONFIRM if confirm else DISMISS,
                           rule=rule, rule_version=versions[rule], reason=reason.strip(),
                           scope=scope, target=target, ruleset_sha256=ruleset.sha256,
                           messages=hashes)
    except UsageError as exc:
        raise _fail("decide", str(exc)) from None
    verb = "confirmed" if entry.action == CONFIRM else "dismissed"
    typer.echo(f"journal entry #{entry.id}: {rule} (version {entry.rule_version}) {verb} by "
               f"{entry.by} on {entry.day} for {len(hashes)} message(s)"
               + (f" of campaign {target}" if scope == "campaign" else "")
               + f"; run `spamlaw exhibits` on {folder} again to apply it to the exhibits")


def _message_hash(db, given: str) -> str:
    given = given.strip().lower()
    if len(given) < 12:
        raise UsageError("--message needs the SHA-256 (or at least its first 12 characters)")
    found = sorted({sha for (sha,) in db.execute(
        "SELECT sha256 FROM inputs WHERE sha256 LIKE ?", (given + "%",))})
    if not found:
        raise UsageError(f"--message {given}: no such message in the case")
    if len(found) > 1:
        raise UsageError(f"--message {given}: {len(found)} messages start so; give more of it")
    return found[0]


def _campaign_hashes(db, campaign: str, open_, rule: str, folder: Path) -> list[str]:
    from checker.review.queue import campaigns_of

    members, info = campaigns_of(db)
    if not info:
        raise UsageError(f"{folder} records no campaigns; run `spamlaw campaigns INPUT... "
                         f"--out {folder}` first")
    if campaign not in info:
        raise UsageError(f"--campaign {campaign}: no such campaign in {folder}")
    hashes = sorted({q.sha256 for q in open_ if members.get(q.sha256) == campaign})
    if not hashes:
        raise UsageError(f"campaign {campaign} has no needs_review finding of {rule} in the case")
    return hashes


@app.command("log")
def log(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The case folder.")],
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT")] = "text",
) -> None:
    """Print the decisions journal, oldest first (a later entry supersedes an earlier one
    for the messages they share; nothing is ever deleted)."""
    from checker.review.journal import entries

    try:
        format = _one_of("--format", format, FORMATS)
        with closing(_ledger(folder)) as db:
            journal = list(entries(db))
    except UsageError as exc:
        raise _fail("log", str(exc)) from None
    superseded = _superseded(journal)
    if format == "json":
        from checker.formatters.json import dumps

        typer.echo(dumps({"schema": "spamlaw.review-journal/1", "entries": [
            e.to_dict() | {"superseded_for": superseded.get(e.id, {})} for e in journal]},
            indent=2))
        return
    if not journal:
        typer.echo("The journal is empty.")
        return
    for e in journal:
        verb = "confirmed" if e.action == "confirm" else "dismissed"
        typer.echo(f"#{e.id} {e.recorded} {e.by}: {e.rule} (version {e.rule_version}) {verb} "
                   f"for {e.scope} {e.target} ({len(e.messages)} message(s))")
        typer.echo(f"    reason: {e.reason}")
        typer.echo(f"    ruleset {e.ruleset_sha256}")
        for sha256 in e.messages:
            later = superseded.get(e.id, {}).get(sha256)
            typer.echo(f"    {sha256}" + (f"  (superseded by #{later})" if later else ""))


def _superseded(journal) -> dict[int, dict[str, int]]:
    """entry id → {message SHA-256: id of the later entry that replaced it there}."""
    last: dict[tuple[str, str], int] = {}
    found: dict[int, dict[str, int]] = {}
    for e in journal:
        for sha256 in e.messages:
            earlier = last.get((sha256, e.rule))
            if earlier is not None:
                found.setdefault(earlier, {})[sha256] = e.id
            last[(sha256, e.rule)] = e.id
    return found


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="review")
