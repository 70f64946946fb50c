"""`spamlaw exhibits` on the command line: exit codes, selection, worker processes, hostile
input; and `spamlaw exhibit --case/--state` (state rules need nexus)."""

from __future__ import annotations

import json
import shutil

from exhibit_support import build_message, pdf_pages_text
from test_exhibits_batch import ROOT, copy_samples, manifest, run
from typer.testing import CliRunner

from checker import exitcodes
from checker.cli import app


def test_usage_errors_are_one_line_and_exit_2(tmp_path):
    inputs = copy_samples(tmp_path / "in", ["can-spam/no-opt-out.eml"])
    out = tmp_path / "out"
    cases = {
        "no such file": [str(tmp_path / "missing")],
        "standard input": ["-"],
        "{n}": [str(inputs), "--label-format", "Exhibit"],
        "--select": [str(inputs), "--select", "some"],
        "--jobs": [str(inputs), "--jobs", "zero"],
        "state": [str(inputs), "--state", "XX"],
        "--case": [str(inputs), "--case", str(tmp_path / "nope.yaml")],
        "Bates prefix": [str(inputs), "--bates-prefix", "<x>"],
    }
    for expected, args in cases.items():
        result = CliRunner().invoke(app, ["exhibits", *args, "--out", str(out)])
        assert result.exit_code == exitcodes.USAGE, (expected, result.output)
        assert expected in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (out / "case.sqlite").exists()


def test_a_ruleset_that_does_not_load_exits_3(tmp_path):
    inputs = copy_samples(tmp_path / "in", ["can-spam/no-opt-out.eml"])
    (tmp_path / "rules").mkdir()
    code, _, _ = run([inputs], tmp_path / "out", "--rules", str(tmp_path / "rules"))
    assert code == exitcodes.RULE_ERRORS
    assert not (tmp_path / "out" / "exhibits").exists()


def test_a_folder_with_exhibits_but_no_ledger_is_refused(tmp_path):
    inputs = copy_samples(tmp_path / "in", ["can-spam/no-opt-out.eml"])
    (tmp_path / "out" / "exhibits").mkdir(parents=True)
    (tmp_path / "out" / "exhibits" / "exhibit-00001.pdf").write_bytes(b"%PDF- someone's")
    code, _, text = run([inputs], tmp_path / "out")
    assert code == exitcodes.USAGE and "--fresh" in text
    assert (tmp_path / "out" / "exhibits" / "exhibit-00001.pdf").read_bytes() == b"%PDF- someone's"


def test_selection_label_format_and_first_number(tmp_path):
    names = ["can-spam/no-opt-out.eml", "states/forged-path.eml",
             "can-spam/compliant-newsletter.eml"]
    inputs = copy_samples(tmp_path / "in", names)
    code, _, text = run([inputs], tmp_path / "v", "--select", "violations",
                        "--first-exhibit", "101", "--label-format", "PX-{n:04d}")
    assert code == exitcodes.OK, text
    rows = manifest(tmp_path / "v")
    assert [row["label"] for row in rows] == ["PX-0101", None, None]
    assert "PX-0101" in pdf_pages_text((tmp_path / "v" / rows[0]["pdf_file"]).read_bytes())[0]
    code, summary, _ = run([inputs], tmp_path / "all", "--select", "all")
    assert code == exitcodes.OK and summary["accounting"]["exhibit"] == 3


def test_case_settings_decide_the_selection(tmp_path):
    """wine-club.eml breaks no federal rule; only Utah's registry law, which needs the
    case file's registry entry for the trap address."""
    inputs = copy_samples(tmp_path / "in", ["states/wine-club.eml"])
    code, summary, _ = run([inputs], tmp_path / "plain")
    assert code == exitcodes.OK and summary["accounting"]["exhibit"] == 0
    code, summary, _ = run([inputs], tmp_path / "ut", "--case", str(ROOT / "cases" / "ut-trap.yaml"))
    assert code == exitcodes.OK and summary["accounting"]["exhibit"] == 1
    assert manifest(tmp_path / "ut")[0]["rule_ids"] == ["UT-13-39-202-REGISTRY"]


def test_state_gives_nexus_so_state_rules_reach_the_exhibits(tmp_path):
    inputs = copy_samples(tmp_path / "in", ["can-spam/no-opt-out.eml"])
    run([inputs], tmp_path / "plain")
    run([inputs], tmp_path / "ma", "--case", str(ROOT / "cases" / "ma-trap.yaml"),
        "--state", "MA")
    plain, ma = manifest(tmp_path / "plain")[0], manifest(tmp_path / "ma")[0]
    assert "MA-93A-CANSPAM" not in plain["rule_ids"]
    assert "MA-93A-CANSPAM" in ma["rule_ids"]
    text = " ".join(" ".join(pdf_pages_text((tmp_path / "ma" / ma["pdf_file"]).read_bytes())).split())
    assert "Mass. Gen. Laws ch. 93A, § 2" in text  # the exhibit's findings in brief cite it


def test_single_exhibit_takes_case_and_state(tmp_path):
    message = ROOT / "samples" / "can-spam" / "no-opt-out.eml"
    texts = {}
    for name, extra in (("plain", []), ("ma", ["--state", "MA"]),
                        ("case", ["--case", str(ROOT / "cases" / "ma-trap.yaml")])):
        out = tmp_path / f"{name}.pdf"
        result = CliRunner().invoke(app, ["exhibit", str(message), "--out", str(out), *extra])
        assert result.exit_code == exitcodes.OK, result.output
        texts[name] = " ".join(" ".join(pdf_pages_text(out.read_bytes())).split())
    assert "Mass. Gen. Laws ch. 93A, § 2" not in texts["plain"]
    assert "Mass. Gen. Laws ch. 93A, § 2" in texts["ma"]  # the findings in brief cite it
    bad = CliRunner().invoke(app, ["exhibit", str(message), "--out", str(tmp_path / "x.pdf"),
                                   "--state", "ZZ"])
    assert bad.exit_code == exitcodes.USAGE and "Traceback" not in bad.output


def test_two_worker_processes_give_the_same_files_as_one(tmp_path):
    names = ["can-spam/no-opt-out.eml", "states/forged-path.eml",
             "can-spam/compliant-newsletter.eml", "can-spam/no-postal-address.eml",
             "can-spam/dmarc-fail.eml"]
    inputs = copy_samples(tmp_path / "in", names)
    (inputs / "zz-garbage.eml").write_bytes(b"not mail at all\x00")
    one = run([inputs], tmp_path / "one", "--jobs", "1")
    two = run([inputs], tmp_path / "two", "--jobs", "2")
    assert one[0] == two[0] == exitcodes.FINDINGS  # the garbage file is an error row
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*")
                   if p.is_file() and p.suffix in (".pdf", ".csv", ".json"))
    assert len(files) >= 7
    for name in files:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name




def test_hostile_messages_fetch_nothing_from_worker_processes(tmp_path, server):
    base = f"http://127.0.0.1:{server.server_port}"
    html = (f"<html><head><link rel=stylesheet href='{base}/a.css'><style>@import "
            f"url({base}/b.css); body {{ background: url({base}/c.png) }}</style></head>"
            f"<body background='{base}/d.png'><img src='{base}/pixel.gif'>"
            f"<img src='//127.0.0.1:{server.server_port}/e.png'>Buy now</body></html>")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "hostile.eml").write_bytes(build_message(html, "Buy now"))
    shutil.copy(ROOT / "samples" / "can-spam" / "no-opt-out.eml", inputs / "plain.eml")
    code, summary, text = run([inputs], tmp_path / "out", "--select", "all", "--jobs", "2")
    assert code == exitcodes.OK, text
    assert server.seen == []
    row = next(r for r in manifest(tmp_path / "out") if r["source"].endswith("hostile.eml"))
    assert row["status"] == "exhibit"
    pdf_text = "\n".join(pdf_pages_text((tmp_path / "out" / row["pdf_file"]).read_bytes()))
    assert "pixel.gif" in pdf_text  # listed as blocked, not loaded
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["accounting"][
        "exhibit"] == 2


def test_without_a_terminal_long_passes_print_progress_lines(capsys, monkeypatch):
    """Under nohup or cron (stderr not a terminal) a pass says how far it got at a fixed
    interval even while one message holds it up (30 s in use; shortened here)."""
    import time

    from checker.commands import exhibits as command

    monkeypatch.setattr(command.sys.stderr, "isatty", lambda: False, raising=False)
    progress = command._progress()
    assert progress is command._progress_lines
    with progress("rendering", 40, every=0.05) as advance:
        advance()
        advance()
        time.sleep(0.3)  # a slow message: no advance, the lines keep coming
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("spamlaw exhibits: rendering")]
    assert len(lines) >= 2 and "2/40" in lines[-1]


def test_the_schedule_shows_the_case_plaintiffs_remedies_unless_all_are_asked_for(tmp_path):
    inputs = copy_samples(tmp_path / "in", ["can-spam/no-opt-out.eml"])
    case = tmp_path / "ag.yaml"
    case.write_text((ROOT / "cases" / "ma-trap.yaml").read_text() + "plaintiff: state_ag\n")

    def remedies(folder):
        schedule = json.loads((folder / "manifest.json").read_text())["schedule"]
        return {r["remedy"] for r in schedule["remedies"]}, schedule

    run([inputs], tmp_path / "ag", "--case", str(case), "--state", "MA")
    shown, schedule = remedies(tmp_path / "ag")
    assert "state-ag-damages" in shown and "ma-ag-civil-penalty" in shown
    assert not shown & {"ma-consumer-damages", "isp-damages"}  # not the AG's to recover
    assert "ma-consumer-damages" in {r["remedy"] for r in schedule["remedies_left_out"]}
    run([inputs], tmp_path / "all", "--case", str(case), "--state", "MA", "--all-remedies")
    assert {"ma-consumer-damages", "isp-damages"} <= remedies(tmp_path / "all")[0]
