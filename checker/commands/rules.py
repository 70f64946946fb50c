"""`spamlaw rules lint|test|list|explain|book|new|schema`: counsel's workflow for the rule files.

    spamlaw rules lint [--rules DIR] [--strict]    load errors (exit 3) and warnings
    spamlaw rules test [--rules DIR] [--rule ID]   run the rules' tests (exit 1 on a failure)
    spamlaw rules list [--rules DIR]               id, jurisdiction, citations, severity, tests
    spamlaw rules explain RULE MESSAGE [--rules DIR]  one rule's evaluation on one message
    spamlaw rules book [--rules DIR] --out FILE    the rulebook (PDF or HTML) for counsel and court
    spamlaw rules new ID --jurisdiction XX [--dir DIR]  a new rule file with samples and tests
    spamlaw rules schema [-o FILE]                 the JSON Schema of the rule files

--rules is a ruleset folder (default: the shipped rules/) or one rule file inside it; lint,
test and list also take it as a positional PATH, as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from checker import exitcodes

rules_app = typer.Typer(
    help="Write, check and test the legal rules: lint, test, list, explain, book, new, schema.\n\n"
    "Exit codes: 0 ok; 1 failing rule tests; 2 usage or input error; 3 rule errors.",
    no_args_is_help=True,
)

PathArg = Annotated[
    Path | None,
    typer.Argument(metavar="PATH", show_default=False,
                   help="Same as --rules (a ruleset folder or one rule file in it)."),
]
RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", metavar="DIR", show_default=False,
                 help="A ruleset folder, or one rule file in it (default: the shipped rules)."),
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")]


def _fail(command: str, message: str, code: int = exitcodes.USAGE) -> typer.Exit:
    typer.echo(f"spamlaw rules {command}: error: {message}", err=True)
    return typer.Exit(code)


def _pick(command: str, positional: Path | None, option: Path | None) -> Path | None:
    if positional is not None and option is not None and positional != option:
        raise _fail(command, f"give the rules once: {positional} or --rules {option}")
    return option if option is not None else positional


def _target(command: str, path: Path | None) -> Path:
    if path is None:
        from checker.paths import rules_dir

        return rules_dir()
    if not path.exists():
        raise _fail(command, f"{path}: no such file or directory")
    return path


def _format(command: str, value: str) -> str:
    if value not in ("text", "json"):
        raise _fail(command, f"--format must be text or json, not {value!r}")
    return value


def _load(command: str, path: Path | None):
    """The ruleset, or exit 3 after printing every load error."""
    from checker.ruleset import RulesetError, load_ruleset

    try:
        return load_ruleset(_target(command, path))
    except RulesetError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        errors = sum(1 for p in exc.problems if p.level == "error")
        typer.echo(f"spamlaw rules {command}: the ruleset has {errors} error(s); run spamlaw rules lint", err=True)
        raise typer.Exit(exitcodes.RULE_ERRORS) from None


@rules_app.command("lint")
def lint_command(
    path: PathArg = None,
    rules: RulesOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 3).")] = False,
    format: FormatOpt = "text",
) -> None:
    """Check the rule files: every load error (exit 3) plus warnings (exit 0, or 3 with --strict)."""
    from checker.ruleset.lint import lint

    fmt = _format("lint", format)
    problems, build = lint(_target("lint", _pick("lint", path, rules)))
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    rules = len(build.ruleset.reported) if build.ruleset else 0
    if fmt == "json":
        typer.echo(json.dumps({"problems": [p.to_dict() for p in problems], "rules": rules}, indent=2))
    else:
        for problem in problems:
            typer.echo(str(problem))
        typer.echo(f"{len(errors)} error(s), {len(warnings)} warning(s) in {rules} rule(s)")
    if errors or (strict and warnings):
        raise typer.Exit(exitcodes.RULE_ERRORS)


@rules_app.command("test")
def test_command(
    path: PathArg = None,
    rules: RulesOpt = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only this rule (repeatable).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show every finding sentence.")] = False,
    format: FormatOpt = "text",
) -> None:
    """Run every rule's tests: each result, then a summary (exit 1 if a test fails)."""
    from checker.ruleset.runner import run_tests, summary

    fmt = _format("test", format)
    ruleset = _load("test", _pick("test", path, rules))
    wanted = tuple(rule or ())
    unknown = [r for r in wanted if r not in ruleset.reported]
    if unknown:
        raise _fail("test", f"unknown rule id(s): {', '.join(unknown)}")
    outcomes = run_tests(ruleset, wanted)
    if fmt == "json":
        data = {"tests": [o.to_dict() for o in outcomes], "summary": summary(outcomes)}
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for outcome in outcomes:
            typer.echo(outcome.line(verbose))
        typer.echo(summary(outcomes))
    if any(o.failed for o in outcomes):
        raise typer.Exit(exitcodes.FINDINGS)


@rules_app.command("list")
def list_command(
    path: PathArg = None,
    rules: RulesOpt = None,
    jurisdiction: Annotated[
        list[str] | None, typer.Option("--jurisdiction", metavar="CODE",
                                       help="Only this jurisdiction (repeatable).")
    ] = None,
    format: FormatOpt = "text",
) -> None:
    """List the rules: id, jurisdiction, citations, severity, status and test count."""
    fmt = _format("list", format)
    ruleset = _load("list", _pick("list", path, rules)).select(jurisdictions=tuple(jurisdiction or ()))
    rows = [
        {
            "id": r.id,
            "jurisdiction": r.jurisdiction,
            "severity": r.severity,
            "status": r.status,
            "tests": len(r.tests),
            "citations": list(r.citation_texts),
            "title": r.title,
            "file": r.file,
        }
        for r in ruleset.reported_rules
    ]
    if fmt == "json":
        typer.echo(json.dumps({"ruleset_sha256": ruleset.sha256, "rules": rows}, indent=2, ensure_ascii=False))
        return
    headers = ("ID", "JURISDICTION", "SEVERITY", "STATUS", "TESTS", "CITATIONS")
    table = [(r["id"], r["jurisdiction"], r["severity"], r["status"], str(r["tests"]), "; ".join(r["citations"]))
             for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(headers)]
    for row in [headers, *table]:
        typer.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    typer.echo(f"{len(rows)} rule(s); ruleset sha256 {ruleset.sha256}")


@rules_app.command("explain")
def explain_command(
    rule: Annotated[str, typer.Argument(metavar="RULE", help="The rule id.")],
    message: Annotated[Path, typer.Argument(metavar="MESSAGE", help="The message file (.eml).")],
    rules: RulesOpt = None,
    format: FormatOpt = "text",
    case: Annotated[Path | None, typer.Option("--case", metavar="FILE",
                                              help="Case settings file, as for spamlaw audit.")] = None,
    state: Annotated[str | None, typer.Option("--state", metavar="CODE",
                                              help="Recipient's US state, as for spamlaw audit.")] = None,
) -> None:
    """Show how RULE evaluates MESSAGE: every condition, true or false, and the values it saw."""
    import difflib

    from checker.engine import explain
    from checker.message import Message

    fmt = _format("explain", format)
    if not message.is_file():
        raise _fail("explain", f"{message}: no such file")
    ruleset = _load("explain", rules)
    if rule not in ruleset.reported:
        close = difflib.get_close_matches(rule, sorted(ruleset.reported), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        where = f"the rule set {_target('explain', rules)}" if rules else "the shipped rules (use --rules DIR for yours)"
        raise _fail("explain", f"unknown rule {rule!r} in {where}{hint}")
    from checker.commands.audit import UsageError, case_settings_from_options

    try:
        settings = case_settings_from_options(case, state)
    except UsageError as exc:
        raise _fail("explain", str(exc)) from None
    metadata = settings.as_metadata() if settings else {}
    msg = Message(message.read_bytes(), source_id=str(message), metadata=metadata)
    tree = explain(ruleset, rule, msg)
    if fmt == "json":
        typer.echo(json.dumps(tree.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(tree.render_text())


@rules_app.command("new")
def new_command(
    rule_id: Annotated[str, typer.Argument(metavar="ID", help="The new rule's id, e.g. OK-776-6.")],
    jurisdiction: Annotated[str, typer.Option(
        "--jurisdiction", metavar="CODE", help="US, a state code such as OK, or policy.")],
    directory: Annotated[Path, typer.Option(
        "--dir", metavar="DIR", help="The rule set folder (created if needed; default: here).")] = Path("."),
) -> None:
    """Scaffold a rule: a rule file with a commented skeleton, two sample messages and their tests, which lint and pass as they are."""
    from checker.ruleset.compile import display_path
    from checker.ruleset.scaffold import ScaffoldError, new_rule

    try:
        made = new_rule(rule_id, jurisdiction, directory)
    except ScaffoldError as exc:
        raise _fail("new", str(exc)) from None
    except OSError as exc:
        raise _fail("new", f"{exc.filename}: {exc.strerror}") from None
    for path in made.written:
        typer.echo(f"wrote {display_path(path.resolve())}")
    typer.echo(f"next: edit {display_path(made.rule_file.resolve())}, then "
               f"spamlaw rules test --rules {directory}")


@rules_app.command("book")
def book_command(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write the rulebook.")],
    rules: RulesOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="pdf or html.")] = "pdf",
) -> None:
    """Write the rulebook: every rule with its citations, elements in plain English, outcomes, penalties and tests."""
    from checker.ruleset.book import BookError, write_book

    if format not in ("pdf", "html"):
        raise _fail("book", f"--format must be pdf or html, not {format!r}")
    ruleset = _load("book", rules)
    try:
        pages = write_book(ruleset, out, format)
    except BookError as exc:
        raise _fail("book", str(exc)) from None
    what = f"{pages} page(s)" if format == "pdf" else "HTML"
    typer.echo(f"wrote {out} ({len(ruleset.reported)} rule(s), {what}; ruleset sha256 {ruleset.sha256})")


@rules_app.command("schema")
def schema_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Write to this file instead.")] = None,
    case: Annotated[bool, typer.Option(
        "--case", help="The schema of case settings files instead (docs/case-settings.schema.json).")] = False,
) -> None:
    """Print the JSON Schema of the rule files (rules/schema.json is this output)."""
    from checker.ruleset.schema import schema_text

    if case:
        from checker.case import case_schema_text

        text = case_schema_text()
    else:
        text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
