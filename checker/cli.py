"""The `spamlaw` command line. Each command lives in `checker/commands/<name>.py`;
this module only assembles them and maps errors to the exit-code table."""

from __future__ import annotations

import typer

from checker import __version__
from checker.commands import audit as audit_command
from checker.commands import campaigns as campaigns_command
from checker.commands import exhibit as exhibit_command
from checker.commands import exhibits as exhibits_command
from checker.commands import fields as fields_command
from checker.commands import review as review_command
from checker.commands import rules as rules_command

EXIT_CODES_HELP = (
    "Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on "
    "(or failing rule tests); 2 usage or input error; 3 rule errors."
)

app = typer.Typer(
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
