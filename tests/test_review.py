"""Counsel's decisions (`spamlaw review`) and what they change in a case folder.

The acceptance test builds a case folder from samples and generated near-duplicates,
records the campaigns, confirms one campaign's needs_review finding and dismisses
another's, reruns `spamlaw exhibits`, and checks the audit JSON, the exhibits' text and
the schedule."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from campaign_support import near_duplicates
from exhibit_support import pdf_pages_text
from test_exhibits_batch import ROOT, manifest, run
from typer.testing import CliRunner

from checker.cli import app
from checker.review.decisions import Decisions, apply_to_message
from checker.review.journal import Entry, keep_on_fresh, open_journal, record

SAMPLES = ROOT / "samples"
POSTAL = "CANSPAM-POSTAL-ADDRESS"
SUBJECT = "CANSPAM-SUBJECT-MISLEADING-CLAIM"
CANSPAM_REMEDY = "state-ag-damages"


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def _queue(case: Path, *options: str) -> list[dict]:
    result = _cli("review", "list", str(case), "--format", "json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["questions"]


def _by_source(case: Path) -> dict[str, dict]:
    return {Path(row["source"]).name: row for row in manifest(case)}


def _ledger_findings(case: Path) -> dict[str, dict[str, dict]]:
    with sqlite3.connect(case / "case.sqlite") as db:
        rows = db.execute("SELECT source, audit_json FROM inputs").fetchall()
    return {Path(source).name: {f["rule"]: f for f in json.loads(text)["findings"]}
            for source, text in rows}


def _remedy(case: Path, prefix: str) -> dict:
    schedule = json.loads((case / "manifest.json").read_text())["schedule"]
    return next(r for r in schedule["remedies"] if r["remedy"].startswith(prefix))


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Path:
    """A case folder: three copies of a P.O.-box-only ad (postal: needs_review), two of a
    prize-subject ad (subject: needs_review), one sample with a plain violation."""
    root = tmp_path_factory.mktemp("review")
    inputs = root / "in"
    inputs.mkdir()
    near_duplicates((SAMPLES / "can-spam" / "po-box-2006.eml").read_bytes(), 3, inputs, "pobox")
    near_duplicates((SAMPLES / "can-spam" / "prize-subject.eml").read_bytes(), 2, inputs, "prize")
    shutil.copy(SAMPLES / "can-spam" / "no-opt-out.eml", inputs / "watches.eml")
    out = root / "case"
    code, summary, text = run([inputs], out)
    assert code == 0, text
    result = _cli("campaigns", str(inputs), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_confirm_and_dismiss_a_campaign_then_rerun_exhibits(case):
    inputs = case.parent / "in"
    open_ = _queue(case)
    campaigns = {q["rule"]: q["campaign"] for q in open_}
    assert {q["campaign"] for q in open_ if q["rule"] == POSTAL} == {campaigns[POSTAL]}
    assert len([q for q in open_ if q["rule"] == POSTAL]) == 3
    assert campaigns[POSTAL] != campaigns[SUBJECT]
    before = _by_source(case)
    established = _remedy(case, CANSPAM_REMEDY)["established"]["messages"]

    confirm = _cli("review", "decide", str(case), "--campaign", campaigns[POSTAL],
                   "--rule", POSTAL, "--confirm", "--by", "A. Counsel",
                   "--reason", "The P.O. box is not registered under USPS rules")
    assert confirm.exit_code == 0, confirm.output
    dismiss = _cli("review", "decide", str(case), "--campaign", campaigns[SUBJECT],
                   "--rule", SUBJECT, "--dismiss", "--by", "A. Counsel",
                   "--reason", "The prize was awarded as described")
    assert dismiss.exit_code == 0, dismiss.output
    assert not [q for q in _queue(case) if q["rule"] in (POSTAL, SUBJECT)]
    assert {q["status"] for q in _queue(case, "--status", "violation")} == {"violation"}

    code, summary, text = run([inputs], case)
    assert code == 0, text
    changed = {before[f"pobox-{n}.eml"]["label"] for n in (1, 2, 3)} | {
        before[f"prize-{n}.eml"]["label"] for n in (1, 2)}
    # Each changed exhibit is re-rendered in its own Bates range (pages a decision adds carry
    # suffixes after the range's last number, so no other number moves), or, when it would
    # have fewer pages, kept as made, and the run says so.
    redone = set(summary["this_run"]["rerendered_after_decisions"])
    kept = {label for label in changed if f"{label} (" in text and "not re-rendered" in text}
    assert redone | kept == changed and not redone & kept
    after = _by_source(case)
    assert {after[f"pobox-{n}.eml"]["label"] for n in (1, 2, 3)} <= redone  # confirmations shown
    for name, row in after.items():  # same numbers and Bates ranges
        assert row["bates_first"] == before[name]["bates_first"]
        last = before[name]["bates_last"]
        assert row["bates_last"] == last or row["bates_last"].startswith(last + "."), row
        assert (row["pdf_sha256"] == before[name]["pdf_sha256"]) == (row["label"] not in redone)
    opt = "\n".join(p.read_text(encoding="utf-8") for p in (case / "DATA").glob("*.opt"))
    for name in ("pobox-1.eml", "pobox-2.eml", "pobox-3.eml"):
        if after[name]["bates_last"] != before[name]["bates_last"]:
            assert f"{after[name]['label']} (" in text and "with suffixes" in text
            assert after[name]["bates_last"] + "," in opt  # the load file lists the new page
    findings = _ledger_findings(case)  # the ledger says what each exhibit shows
    for name, row in after.items():
        rule = POSTAL if name.startswith("pobox") else SUBJECT
        assert ("decision" in findings[name].get(rule, {})) == (row["label"] in redone)
    for name in ("prize-1.eml", "pobox-1.eml"):
        if after[name]["label"] in redone:
            pdf = (case / after[name]["pdf_file"]).read_bytes()
            words = " ".join(" ".join(pdf_pages_text(pdf)).split())
            assert ("dismissed by A. Counsel" if name.startswith("prize")
                    else "confirmed by A. Counsel") in words
    code, summary, _ = run([inputs], case)  # nothing new: nothing more re-rendered
    assert set(summary["this_run"]["rerendered_after_decisions"]) <= kept

    # A fresh production applies every decision (the journal survives --fresh).
    code, summary, text = run([inputs], case, "--fresh")
    assert code == 0, text
    after = _by_source(case)
    findings = _ledger_findings(case)
    confirmed = findings["pobox-2.eml"][POSTAL]
    assert confirmed["status"] == "violation"
    assert confirmed["decision"]["action"] == "confirmed"
    assert confirmed["decision"]["by"] == "A. Counsel"
    assert confirmed["decision"]["engine_status"] == "needs_review"
    day = confirmed["decision"]["date"]
    assert confirmed["finding"].startswith(
        f"Confirmed by A. Counsel on {day}: The P.O. box is not registered under USPS rules.")
    dismissed = findings["prize-1.eml"][SUBJECT]
    assert dismissed["status"] in ("compliant", "not_applicable")
    assert dismissed["decision"]["action"] == "dismissed"

    pdf = (case / after["pobox-1.eml"]["pdf_file"]).read_bytes()
    text = " ".join(" ".join(pdf_pages_text(pdf)).split())
    assert f"confirmed by A. Counsel on {day}: The P.O. box is not registered under USPS" in text
    # dismissed, the prize ads carry no finding left to show: no exhibit in a new production
    assert after["prize-1.eml"]["status"] == "not_selected"

    remedy = _remedy(case, CANSPAM_REMEDY)
    assert remedy["established"]["messages"] == established + 3
    assert after["pobox-1.eml"]["label"] in remedy["established"]["exhibits"]
    assert len(json.loads(_cli("review", "log", str(case), "--format", "json").stdout)
               ["entries"]) == 2


def test_log_is_append_only_and_later_decisions_supersede(case):
    message = next(q["sha256"] for q in _queue(case, "--status", "all")
                   if q["rule"] == POSTAL)
    result = _cli("review", "decide", str(case), "--message", message[:16], "--rule", POSTAL,
                  "--dismiss", "--by", "B. Partner", "--reason", "Second look: registered box")
    assert result.exit_code == 0, result.output
    mine = [q for q in _queue(case, "--status", "all") if q["sha256"] == message
            and q["rule"] == POSTAL]
    assert mine[0]["status"] in ("compliant", "not_applicable")
    log = json.loads(_cli("review", "log", str(case), "--format", "json").stdout)["entries"]
    first = next(e for e in log if e["rule"] == POSTAL and e["scope"] == "campaign")
    assert first["superseded_for"] == {message: log[-1]["entry"]}
    assert log[-1]["by"] == "B. Partner" and log[-1]["messages"] == [message]
    with sqlite3.connect(case / "case.sqlite") as db, pytest.raises(sqlite3.DatabaseError):
        db.execute("DELETE FROM review_decisions")
    assert "B. Partner" in _cli("review", "log", str(case)).stdout


def test_a_changed_rule_version_puts_the_decision_up_for_a_new_look(case, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "us" / "can-spam.yaml"
    text = path.read_text()
    start = text.index(f"id: {SUBJECT}")
    version = text.index("version:", start)
    end = text.index("\n", version)
    path.write_text(text[:version] + "version: 99" + text[end:])
    stale = [q for q in _queue(case, "--rules", str(rules)) if q["rule"] == SUBJECT]
    assert stale and all(q["status"] == "needs_review" for q in stale)
    assert all("needs a new look" in q["needs_new_look"] for q in stale)
    assert all(q["decision"]["action"] == "dismiss" for q in stale)


def test_decide_refuses_what_it_cannot_record(case):
    cases = {
        "exactly one of --message": ["--rule", POSTAL, "--confirm"],
        "no such campaign": ["--campaign", "C9999", "--rule", POSTAL, "--confirm"],
        "no such rule": ["--campaign", "C0001", "--rule", "NOPE", "--confirm"],
        "exactly one of --confirm": ["--campaign", "C0001", "--rule", POSTAL],
    }
    for expected, args in cases.items():
        result = _cli("review", "decide", str(case), *args, "--by", "X", "--reason", "Y")
        assert result.exit_code == 2, (expected, result.output)
        assert expected in result.output and len(result.output.strip().splitlines()) == 1
    result = _cli("review", "list", str(case.parent / "in"))
    assert result.exit_code == 2 and "not a case folder" in result.output


def test_review_list_text_groups_by_campaign_biggest_first(case):
    text = _cli("review", "list", str(case), "--status", "all").stdout
    heads = [line for line in text.splitlines() if line.startswith("C0")]
    sizes = [int(h.split("(")[1].split()[0]) for h in heads]
    assert sizes == sorted(sizes, reverse=True)
    assert 'evidence: "P.O. Box' in text and "representative subject" in text


# --- the pure parts ------------------------------------------------------------------------


def _entry(action: str, version: int | None = 2, rule: str = POSTAL) -> Entry:
    return Entry(id=7, recorded="2026-01-05T10:00:00+00:00", by="C. Lee", action=action,
                 rule=rule, rule_version=version, reason="Because.", scope="message",
                 target="ab", ruleset_sha256="r", messages=("ab",))


def _message(status="needs_review", reasons=()):
    return {"sha256": "ab", "findings": [{"rule": POSTAL, "status": status,
                                          "finding": "Needs review: P.O. box only.",
                                          "reasons": list(reasons)}]}


def test_dismissing_an_applicability_question_reads_not_applicable():
    decisions = Decisions({"ab": {POSTAL: _entry("dismiss")}}, {POSTAL: 2})
    assert apply_to_message(_message(), decisions)["findings"][0]["status"] == "compliant"
    uncertain = apply_to_message(_message(reasons=["commercial_uncertain"]), decisions)
    assert uncertain["findings"][0]["status"] == "not_applicable"


def test_decisions_touch_only_needs_review_findings_and_undo_cleanly():
    decisions = Decisions({"ab": {POSTAL: _entry("confirm")}}, {POSTAL: 2})
    assert apply_to_message(_message("violation"), decisions) == _message("violation")
    decided = apply_to_message(_message(), decisions)
    assert decided["findings"][0]["finding"].startswith("Confirmed by C. Lee on 2026-01-05: ")
    assert apply_to_message(decided, None) == _message()  # the engine's view comes back
    assert apply_to_message(decided, decisions) == decided  # applying twice changes nothing


def test_fresh_keeps_a_ledger_with_decisions(tmp_path):
    database = tmp_path / "case.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE inputs (position INTEGER PRIMARY KEY)")
        open_journal(db)
        record(db, by="X", action="confirm", rule=POSTAL, rule_version=2, reason="R",
               scope="message", target="ab", ruleset_sha256="r", messages=["ab"])
    assert keep_on_fresh(database)
    with sqlite3.connect(database) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table'")}
        assert "inputs" not in tables
        assert db.execute("SELECT COUNT(*) FROM review_decisions").fetchone() == (1,)
    empty = tmp_path / "other.sqlite"
    sqlite3.connect(empty).close()
    assert not keep_on_fresh(empty)


def test_a_decided_finding_matches_the_audit_json_schema():
    import jsonschema

    schema = json.loads((ROOT / "docs" / "audit-json.schema.json").read_text())
    decisions = Decisions({"ab": {POSTAL: _entry("confirm")}}, {POSTAL: 2})
    finding = {"jurisdiction": "US", "citations": [], "title": "t", "evidence": [],
               "penalty": None, **_message()["findings"][0]}
    decided = apply_to_message({"sha256": "ab", "findings": [finding]}, decisions)
    validator = jsonschema.Draft202012Validator(
        {"$defs": schema["$defs"], "$ref": "#/$defs/finding"})
    validator.validate(decided["findings"][0])
    decided["findings"][0]["decision"]["action"] = "maybe"
    assert list(validator.iter_errors(decided["findings"][0]))


def test_select_representatives_makes_one_exhibit_per_campaign_and_findings(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    near_duplicates((SAMPLES / "can-spam" / "po-box-2006.eml").read_bytes(), 3, inputs, "pobox")
    shutil.copy(SAMPLES / "can-spam" / "no-opt-out.eml", inputs / "watches.eml")
    shutil.copy(SAMPLES / "can-spam" / "compliant-newsletter.eml", inputs / "newsletter.eml")
    out = tmp_path / "case"
    code, _, text = run([inputs], out, "--select", "representatives")
    assert code == 2 and "spamlaw campaigns" in text  # the campaigns come first
    assert _cli("campaigns", str(inputs), "--out", str(out)).exit_code == 0
    code, summary, text = run([inputs], out, "--select", "representatives")
    assert code == 0, text
    rows = _by_source(out)
    pobox = [rows[f"pobox-{n}.eml"] for n in (1, 2, 3)]
    exhibited = [r for r in pobox if r["status"] == "exhibit"]
    assert len(exhibited) == 1 and exhibited[0]["exhibit_number"] == 1  # C0001 is earliest
    label = exhibited[0]["label"]
    assert all(r["reason"].startswith(f"represented by {label} (campaign C0001")
               for r in pobox if r is not exhibited[0])
    assert rows["watches.eml"]["status"] == "exhibit"
    assert rows["newsletter.eml"]["status"] == "not_selected"  # no finding: nothing to show
    assert {r["campaign"] for r in pobox} == {"C0001"}
    index = " ".join(" ".join(pdf_pages_text((out / "index.pdf").read_bytes())).split())
    assert "Summary by campaign (Fed. R. Evid. 1006)" in index
    assert f"{label} ({exhibited[0]['bates_first']}–{exhibited[0]['bates_last']})" in index
