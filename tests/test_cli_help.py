"""The CLI as a new user meets it (issue 14 §4): help without type names, one-line
command summaries, -j meaning one thing, every error prefixed with its command, `-` as
standard input for exhibit too."""

from __future__ import annotations

import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from checker.cli import app
from checker.paths import project_root

SAMPLE = project_root() / "samples" / "can-spam" / "no-opt-out.eml"


def invoke(*args, input=None):
    return CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": "100"})


def _commands(group, prefix=()):
    for name, command in getattr(group, "commands", {}).items():
        yield (*prefix, name), command
        yield from _commands(command, (*prefix, name))


COMMANDS = [path for path, _ in _commands(get_command(app))]


@pytest.mark.parametrize("path", [()] + COMMANDS, ids=lambda p: " ".join(p) or "spamlaw")
def test_help_shows_no_type_names(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert not re.search(r"<(bool|int|float|str|path|list\[[a-z]+\]|text|integer)>", result.output), result.output
    (usage,) = [line for line in result.output.splitlines() if "Usage:" in line]
    assert "{" not in usage and "[[" not in usage, usage
    assert "}..." not in result.output and "[[" not in result.output


def test_j_means_jobs_wherever_it_exists():
    for path, command in _commands(get_command(app)):
        for param in getattr(command, "params", ()):
            if "-j" in getattr(param, "opts", ()):
                assert "--jobs" in param.opts, (path, param.opts)


def test_spamlaw_help_gives_one_line_per_command():
    result = invoke("--help")
    listing = result.output.split("Commands")[1]
    for name in ("audit", "exhibit", "exhibits", "fields", "rules"):
        (line,) = [x for x in listing.splitlines() if re.match(rf"^\W*{name}\s", x)]
        following = listing.splitlines()[listing.splitlines().index(line) + 1]
        assert not re.match(r"^│\s{5,}\S", following), f"{name}'s summary runs over one line"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", str(SAMPLE), "--format", "xml"], "spamlaw audit: error: --format must be one of"),
        (["fields", "/nonexistent.eml"], "spamlaw fields: error: /nonexistent.eml: no such file or directory"),
        (["exhibit", "/nonexistent.eml", "--out", "/tmp/x.pdf"], "spamlaw exhibit: error: "),
        (["rules", "lint", "/nonexistent"], "spamlaw rules lint: error: /nonexistent: no such file"),
        (["rules", "test", "--format", "xml"], "spamlaw rules test: error: --format must be text or json"),
        (["rules", "list", "--format", "xml"], "spamlaw rules list: error: --format must be text or json"),
        (["rules", "explain", "NOPE", str(SAMPLE)], "spamlaw rules explain: error: unknown rule 'NOPE'"),
        (["rules", "new", "x y", "--jurisdiction", "OK"], "spamlaw rules new: error: rule id 'x y'"),
        (["rules", "book", "--out", "/tmp/x", "--format", "doc"], "spamlaw rules book: error: --format must be pdf or html"),
    ],
)
def test_every_command_prefixes_its_errors(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_exhibit_reads_standard_input_like_audit(tmp_path):
    out = tmp_path / "e.pdf"
    result = invoke("exhibit", "-", "--out", str(out), input=SAMPLE.read_bytes())
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["audit"], "spamlaw audit: error: Missing argument 'INPUT...'. (see spamlaw audit --help)"),
        (["rules", "lint", "--nope"], "spamlaw rules lint: error: No such option: --nope (see spamlaw rules lint --help)"),
        (["rules", "new"], "spamlaw rules new: error: Missing argument 'ID'. (see spamlaw rules new --help)"),
    ],
)
def test_usage_errors_are_one_line_prefixed_with_the_command(args, line):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() == line
    assert "╭" not in result.output  # no box drawn around it


def test_a_group_without_a_command_still_shows_its_help():
    result = invoke("rules")
    assert "Usage: spamlaw rules" in result.output and "error: " not in result.output
