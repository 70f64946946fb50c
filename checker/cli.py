"""The `spamlaw` command line. Each command lives in `checker/commands/<name>.py`;
this module only assembles them and maps errors to the exit-code table."""

from __future__ import annotations

import sys

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from checker import __version__
from checker.commands import audit as audit_command
from checker.commands import campaigns as campaigns_command
from checker.commands import exhibit as exhibit_command
from checker.commands import exhibits as exhibits_command
from checker.commands import fields as fields_command
from checker.commands import review as review_command
from checker.commands import rules as rules_command

# Click's exception classes, whichever click Typer uses (its own copy since Typer 0.2x):
# BadParameter is public and derives from both.
_MRO = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
UsageError, ClickException = _MRO["UsageError"], _MRO["ClickException"]

EXIT_CODES_HELP = (
    "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on "
    "(or failing rule tests); 2 usage or input error; 3 rule errors."
)



SUMMARY_WIDTH = 64  # characters of a command's summary that fit beside its name in 80 columns


def _plain_help(command) -> None:
    """Help a person reads: no type names (`<bool>`, `<list[str]>`), no `{INPUT...}...`.
    A flag shows no value; an option without a metavar shows its name (--rule RULE); an
    argument reads INPUT... (optional ones [PATH]). Applied to every command and group,
    including those other modules register."""
    for param in command.params:
        if isinstance(param, TyperOption):
            if param.is_flag:
                param.metavar = ""
            elif param.metavar is None:
                param.metavar = (param.name or "value").upper()
        elif isinstance(param, TyperArgument):
            name = (param.metavar or param.name or "ARG").upper()
            if param.nargs != 1 and not name.endswith("..."):
                name += "..."
            usage = name if param.required else f"[{name}]"
            param._usage_display_name = lambda usage=usage: usage
            param.display_type_rich = lambda ctx: None
    original = command.get_help_option

    def help_option(ctx, original=original):
        option = original(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        if not sub.short_help and sub.help:
            sub.short_help = _first_sentence(sub.help)
        _plain_help(sub)


def _first_sentence(text: str, width: int = SUMMARY_WIDTH) -> str:
    """The one-line summary `spamlaw --help` lists: the help's first sentence, cut at its
    colon when it is too long for one line."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    sentence = paragraph.split(". ")[0].rstrip(".")
    if len(sentence) > width and ": " in sentence:
        sentence = sentence.split(": ")[0]
    return sentence + "."


class _PlainHelpGroup(TyperGroup):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain_help(self)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Usage errors (a missing argument, an unknown option) as one line prefixed with
        the command, like every other error: `spamlaw audit: error: Missing argument ...`."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `spamlaw rules`: the help, as before
                exc.show()
                sys.exit(exc.exit_code)
            where = exc.ctx.command_path if getattr(exc, "ctx", None) else "spamlaw"
            hint = f" (see {where} --help)" if isinstance(exc, UsageError) else ""
            typer.echo(f"{where}: error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_PlainHelpGroup,
    name="spamlaw",
    help="Check email messages against anti-spam law and turn findings into evidence.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spamlaw {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Check email messages against anti-spam law and turn findings into evidence."""


audit_command.register(app)
campaigns_command.register(app)
exhibit_command.register(app)
exhibits_command.register(app)
fields_command.register(app)
review_command.register(app)
rules_command.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
