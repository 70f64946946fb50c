"""`spamlaw audit --case FILE --state CODE` (and `rules explain`, `rules schema --case`):
case settings reach every message, state rules apply only with nexus, and bad settings are
one clear line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.case import CASE_SCHEMA, CaseSettings
from checker.cli import app
from checker.commands.audit import with_case
from checker.sources import iter_sources

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
NO_OPT_OUT = str(SAMPLES / "can-spam" / "no-opt-out.eml")
FORGED = str(SAMPLES / "states" / "forged-path.eml")
MA_CASE = str(SAMPLES.parent / "cases" / "ma-trap.yaml")
CA_CASE = str(SAMPLES.parent / "cases" / "ca-trap.yaml")


# Nine levels of nine aliases: 387 million strings if expanded (the "billion laughs").
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def findings(*args: str) -> dict[str, dict]:
    """rule id -> finding of the one message audited with `args` (every status)."""
    result = invoke("audit", "--all", "--format", "json", "--fail-on", "never", *args)
    assert result.exit_code == 0, result.output
    messages = json.loads(result.stdout)["messages"]
    assert len(messages) == 1
    return {f["rule"]: f for f in messages[0]["findings"]}


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    return lines[0]


def test_without_case_settings_state_rules_say_recipient_state_unknown():
    found = findings(NO_OPT_OUT)
    ma = found["MA-93A-CANSPAM"]
    assert ma["status"] == "not_applicable"
    assert "recipient state unknown" in ma["finding"]
    assert found["CANSPAM-OPT-OUT-MISSING"]["status"] == "violation"


def test_not_applicable_state_findings_are_listed_only_with_all():
    result = invoke("audit", "--fail-on", "never", NO_OPT_OUT)
    assert "MA-93A-CANSPAM" not in result.stdout
    result = invoke("audit", "--all", "--fail-on", "never", NO_OPT_OUT)
    assert "MA-93A-CANSPAM" in result.stdout and "recipient state unknown" in result.stdout


def test_state_alone_sets_the_nexus_for_a_quick_run():
    found = findings("--state", "ma", NO_OPT_OUT)
    ma = found["MA-93A-CANSPAM"]
    assert ma["status"] == "needs_review"
    assert "recipient state set to MA for this run (--state)" in ma["finding"]
    assert found["CA-17529.5-A2-HEADER"]["status"] == "not_applicable"


def test_case_file_maps_the_trap_to_its_state():
    found = findings("--case", CA_CASE, FORGED)
    header = found["CA-17529.5-A2-HEADER"]
    assert header["status"] == "needs_review"
    assert "mapped to CA by the case settings" in header["finding"] and "ca-trap.yaml" in header["finding"]
    # the analyst's folder is no part of the evidence: the file is named, its path is not
    assert str(Path(CA_CASE).resolve().parent) not in header["finding"]
    assert "cases/" not in header["finding"]
    assert header["penalty"]["remedies"][0]["cap_unit"] == "incident"
    assert found["TX-321.051-FALSITY"]["status"] == "not_applicable"
    assert "mapped to CA" in found["TX-321.051-FALSITY"]["finding"]


def test_state_overrides_the_case_files_trap_mapping():
    found = findings("--case", MA_CASE, "--state", "TX", FORGED)
    assert found["TX-321.051-FALSITY"]["status"] == "needs_review"
    assert found["MA-93A-CANSPAM"]["status"] == "not_applicable"


def test_the_case_files_trust_settings_reach_the_detectors(tmp_path):
    """An A-R header from a server the file does not trust is ignored."""
    raw = (SAMPLES / "states" / "webmail-forged.eml").read_bytes()
    # handed over by a real Hotmail server, so that the A-R failures are the only indicators
    raw = raw.replace(b"from hotmail.com (adsl-198-51-100-77.dyn.isp.example",
                      b"from bay4-f12.bay4.hotmail.com (bay4-f12.bay4.hotmail.com")
    case = tmp_path / "case.yaml"
    case.write_text("trusted: {authserv_ids: [mx.other.example]}\n"
                    "traps: [{address: trap1@trap.example, state: CA}]\n")
    (tmp_path / "m.eml").write_bytes(raw)
    found = findings("--case", str(case), str(tmp_path / "m.eml"))
    assert found["CA-17529.5-A1-THIRD-PARTY-DOMAIN"]["status"] == "compliant"
    found = findings("--case", CA_CASE, str(tmp_path / "m.eml"))
    assert found["CA-17529.5-A1-THIRD-PARTY-DOMAIN"]["status"] == "needs_review"


def test_jobs_give_the_same_findings_with_case_settings(tmp_path):
    inputs = [str(p) for p in sorted((SAMPLES / "states").glob("*.eml"))]
    args = ["audit", "--all", "--format", "jsonl", "--fail-on", "never", "--case", CA_CASE]
    one = invoke(*args, *inputs)
    two = invoke(*args, "--jobs", "2", *inputs)
    assert one.exit_code == two.exit_code == 0, two.output

    def statuses(output: str):
        rows = [json.loads(line) for line in output.splitlines() if line.strip()]
        return [(r["source"], f["rule"], f["status"], f["finding"])
                for r in rows if "findings" in r for f in r["findings"]]

    assert statuses(one.stdout) == statuses(two.stdout)
    assert any(rule.startswith("CA-") and status == "needs_review" for _s, rule, status, _f in statuses(one.stdout))


@pytest.mark.parametrize(
    "text, words",
    [
        ("traps: [{address: trap1@trap.example, state: ZZ}]\n", "traps/0/state"),
        ("traps: [{state: MA}]\n", "'address' is a required property"),
        ("traps: [{address: trap.example, state: MA}]\n", "does not match '@'"),
        ("trapz: []\n", "trapz"),
        ("traps: [\n", "invalid YAML"),
        (BILLION_LAUGHS, "aliases"),  # refused at once, never expanded
        ("case: !!python/object/apply:os.system ['true']\n", "tag"),
    ],
)
def test_a_bad_case_file_is_one_line_naming_the_file(tmp_path, text, words):
    case = tmp_path / "case.yaml"
    case.write_text(text)
    line = one_line_error(invoke("audit", "--case", str(case), NO_OPT_OUT))
    assert line.startswith("spamlaw audit: error: --case: ") and str(case) in line and words in line


def test_a_missing_case_file_and_a_bad_state_are_usage_errors(tmp_path):
    line = one_line_error(invoke("audit", "--case", str(tmp_path / "nope.yaml"), NO_OPT_OUT))
    assert "nope.yaml" in line and "cannot read" in line
    line = one_line_error(invoke("audit", "--state", "ZZ", NO_OPT_OUT))
    assert "--state" in line and "'ZZ'" in line
    line = one_line_error(invoke("audit", "--case", MA_CASE, "--state", "Massachusetts", NO_OPT_OUT))
    assert "--state" in line


def test_with_case_leaves_unreadable_items_alone(tmp_path):
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "ok.eml").write_bytes(Path(NO_OPT_OUT).read_bytes())
    case = CaseSettings().with_state("MA")
    items = list(with_case(iter_sources([str(tmp_path)]), case))
    by_name = {Path(i.source_id).name: i for i in items}
    assert by_name["ok.eml"].metadata["case"] is case
    assert by_name["empty.eml"].error and "case" not in by_name["empty.eml"].metadata
    assert by_name["ok.eml"].metadata.get("format") == "eml"  # the source's metadata is kept
    assert list(with_case(iter_sources([str(tmp_path)]), None)) == list(iter_sources([str(tmp_path)]))


def test_explain_takes_case_settings():
    result = invoke("rules", "explain", "MA-93A-CANSPAM", NO_OPT_OUT, "--case", MA_CASE)
    assert result.exit_code == 0, result.output
    assert "MA-93A-CANSPAM: needs_review" in result.stdout
    assert "requires[1]: TRUE" in result.stdout
    result = invoke("rules", "explain", "MA-93A-CANSPAM", NO_OPT_OUT)
    assert "MA-93A-CANSPAM: not_applicable" in result.stdout and "recipient state unknown" in result.stdout
    result = invoke("rules", "explain", "MA-93A-CANSPAM", NO_OPT_OUT, "--state", "XX")
    assert result.exit_code == 2 and "--state" in result.stderr


def test_schema_case_prints_the_case_settings_schema(tmp_path):
    result = invoke("rules", "schema", "--case")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == CASE_SCHEMA
    out = tmp_path / "case.schema.json"
    assert invoke("rules", "schema", "--case", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == CASE_SCHEMA


def test_the_sample_case_trusts_both_mx_hosts_of_the_trap_network():
    """The sample trap network receives on mx and mx1; with the sample case, the DMARC
    failure mx1 recorded for a bank-impersonating phish is the operator's own evidence
    (it was ignored as sender-supplied while only mx was trusted)."""
    phish = str(SAMPLES / "modern" / "phish-bank-verify.eml")
    finding = findings(phish, "--case", MA_CASE)["CANSPAM-HEADER-FROM-UNAUTHENTICATED"]
    assert finding["status"] == "needs_review"
    assert "DMARC fail for wellsfargo.com" in finding["finding"]
    assert "authserv-id mx1.trap.example" in finding["finding"]
