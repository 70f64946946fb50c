"""Rules that travel (issue 14 §1): the shipped rules lint and pass from a copy in an
empty folder and from an installed wheel; `rules new` scaffolds a rule that lints and
passes as is; every rules command takes --rules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.cli import app
from checker.paths import project_root

ROOT = project_root()


def invoke(*args):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def copied_rules(tmp_path, monkeypatch):
    folder = tmp_path / "counsel" / "rules"
    shutil.copytree(ROOT / "rules", folder)
    monkeypatch.chdir(tmp_path / "counsel")
    return folder


def test_a_copy_of_the_rules_in_an_empty_folder_lints_and_passes(copied_rules):
    lint = invoke("rules", "lint", "--rules", str(copied_rules))
    assert lint.exit_code == 0, lint.output
    assert lint.output.startswith("0 error(s), 0 warning(s)")
    test = invoke("rules", "test", "--rules", str(copied_rules))
    assert test.exit_code == 0, test.output
    assert " 0 failed" in test.output.splitlines()[-1]


def test_a_missing_sample_fails_its_test_and_says_where_it_looked(copied_rules):
    rule = copied_rules / "us" / "can-spam.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace(
        "samples/can-spam/no-opt-out.eml", "samples/can-spam/nowhere.eml", 1), encoding="utf-8")
    lint = invoke("rules", "lint", str(copied_rules))
    assert lint.exit_code == 0 and "nowhere" not in lint.output  # not a lint error
    test = invoke("rules", "test", "--rules", str(copied_rules))
    assert test.exit_code == 1
    (line,) = [x for x in test.output.splitlines() if "nowhere.eml" in x]
    assert "FAIL" in line and "no such message file samples/can-spam/nowhere.eml (looked in: " in line
    assert "rules/samples/can-spam/nowhere.eml" in line


def test_counsels_own_samples_beside_their_rules_come_first(copied_rules):
    own = copied_rules / "samples" / "can-spam"
    own.mkdir(parents=True)
    (own / "no-opt-out.eml").write_bytes(b"not a message they expect\n")
    test = invoke("rules", "test", "--rules", str(copied_rules), "--rule", "CANSPAM-OPT-OUT-MISSING")
    assert test.exit_code == 1  # their (broken) copy was used, not the shipped one


def test_every_rules_command_takes_rules_and_explain_sees_counsels_rules(copied_rules, tmp_path):
    made = invoke("rules", "new", "OK-776-6", "--jurisdiction", "OK", "--dir", str(copied_rules))
    assert made.exit_code == 0, made.output
    listed = invoke("rules", "list", "--rules", str(copied_rules), "--format", "json")
    assert "OK-776-6" in listed.output
    sample = copied_rules / "samples" / "ok-776-6" / "violation.eml"
    explained = invoke("rules", "explain", "OK-776-6", str(sample), "--rules", str(copied_rules))
    assert explained.exit_code == 0, explained.output
    shipped = invoke("rules", "explain", "OK-776-6", str(sample))
    assert shipped.exit_code == 2
    assert "unknown rule 'OK-776-6' in the shipped rules (use --rules DIR for yours)" in shipped.output
    both = invoke("rules", "lint", str(copied_rules), "--rules", str(tmp_path))
    assert both.exit_code == 2 and "spamlaw rules lint: error: give the rules once" in both.output


def test_rules_new_in_an_empty_folder_lints_and_passes_as_is(tmp_path):
    folder = tmp_path / "okla"
    made = invoke("rules", "new", "OK-776-6", "--jurisdiction", "ok", "--dir", str(folder))
    assert made.exit_code == 0, made.output
    rule = folder / "us-ok" / "ok-776-6.yaml"
    text = rule.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema.json\n")
    assert (folder / "schema.json").is_file()
    assert sorted(p.name for p in (folder / "samples" / "ok-776-6").iterdir()) == ["compliant.eml", "violation.eml"]
    assert invoke("rules", "lint", "--rules", str(folder)).output.startswith("0 error(s), 0 warning(s) in 1 rule(s)")
    tested = invoke("rules", "test", "--rules", str(folder))
    assert tested.exit_code == 0 and "2 tests of 1 rules: 2 passed, 0 failed" in tested.output
    again = invoke("rules", "new", "OK-776-6", "--jurisdiction", "OK", "--dir", str(folder))
    assert again.exit_code == 2 and "spamlaw rules new: error: " in again.output and "already exists" in again.output
    second = invoke("rules", "new", "OK-776-7", "--jurisdiction", "OK", "--dir", str(folder))
    assert second.exit_code == 0
    assert invoke("rules", "test", "--rules", str(folder)).exit_code == 0
    bad = invoke("rules", "new", "ok lower", "--jurisdiction", "OK", "--dir", str(folder))
    assert bad.exit_code == 2 and "use upper-case letters" in bad.output


@pytest.mark.slow
def test_the_wheel_in_a_fresh_venv_lints_and_passes_the_shipped_rules(tmp_path):
    wheels, venv = tmp_path / "w", tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, cwd=tmp_path)
    (wheel,) = wheels.glob("spamlaw-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, cwd=tmp_path)
    spamlaw = str(venv / "bin" / "spamlaw")
    lint = subprocess.run([spamlaw, "rules", "lint"], capture_output=True, text=True, cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    test = subprocess.run([spamlaw, "rules", "test"], capture_output=True, text=True, cwd=tmp_path)
    assert test.returncode == 0, test.stdout[-2000:] + test.stderr
    assert " 0 failed" in test.stdout.splitlines()[-1]
    assert Path(venv).exists()


def test_a_rule_sets_own_cases_folder_is_test_material_not_rules(tmp_path):
    folder = tmp_path / "okla"
    assert invoke("rules", "new", "OK-776-6", "--jurisdiction", "OK", "--dir", str(folder)).exit_code == 0
    (folder / "cases").mkdir()
    (folder / "cases" / "ok-trap.yaml").write_text(
        "case: Oklahoma traps\ntraps:\n  - {address: recipient@example.org, state: OK}\n", encoding="utf-8")
    rule = folder / "us-ok" / "ok-776-6.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace(
        "        expect: violation\n", "        case: cases/ok-trap.yaml\n        expect: violation\n", 1),
        encoding="utf-8")
    lint = invoke("rules", "lint", "--rules", str(folder))
    assert lint.output.startswith("0 error(s), 0 warning(s) in 1 rule(s)"), lint.output
    assert invoke("rules", "test", "--rules", str(folder)).exit_code == 0
