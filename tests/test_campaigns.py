"""`spamlaw campaigns`: near-duplicate grouping, landing-page joins, stable ids, who is
behind each campaign, exports and the case-folder record."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from campaign_support import near_duplicates
from typer.testing import CliRunner

from checker.campaigns.features import (
    clean_url,
    normalised_tokens,
    registrable_domain,
    sending_network,
)
from checker.campaigns.grouping import SIMILARITY
from checker.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
WATCHES = SAMPLES / "can-spam" / "no-opt-out.eml"


def _run(*args: str) -> dict:
    result = CliRunner().invoke(app, ["campaigns", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _campaign_of(report: dict, path: Path) -> str:
    return next(c["id"] for c in report["campaigns"]
                for m in c["members"] if m["source"] == str(path))


def test_near_duplicates_of_one_template_are_one_campaign(tmp_path):
    copies = near_duplicates(WATCHES.read_bytes(), 5, tmp_path, "watches")
    other = SAMPLES / "transactional" / next(p.name for p in
                                                 (SAMPLES / "transactional").glob("*.eml"))
    report = _run(*map(str, copies), str(other))
    ids = {_campaign_of(report, p) for p in copies}
    assert len(ids) == 1
    assert _campaign_of(report, other) not in ids
    campaign = next(c for c in report["campaigns"] if c["id"] in ids)
    assert campaign["size"] == 5
    assert campaign["subject_variant_count"] == 5  # numbers differ, the template does not
    assert campaign["representative"]["sha256"] in {m["sha256"] for m in campaign["members"]}


def test_different_offers_of_different_senders_are_not_joined(tmp_path):
    report = _run(str(SAMPLES / "can-spam"))
    subjects = [{v["subject"] for v in c["subject_variants"]} for c in report["campaigns"]]
    assert not any({"Swiss-style watches at 70% off", "Cheap meds, no prescription"} <= s
                   for s in subjects)
    assert len(report["campaigns"]) > len(list((SAMPLES / "can-spam").glob("*.eml"))) // 2


def test_a_shared_landing_page_joins_different_texts(tmp_path):
    head = ("From: a@sender{n}.example\nTo: trap@trap.example\nSubject: {subject}\n"
            "Date: Mon, 0{n} Jun 2025 10:00:00 +0000\n\n")
    bodies = ["Lose weight fast with our herbal formula. Doctors hate this simple trick. "
              "Order today at http://shop.pills-direct.example/order?uid=7731 and save.",
              "Refinance your mortgage at record low rates. Our brokers compete for your "
              "loan, apply now: http://shop.pills-direct.example/order?uid=9920 today."]
    paths = []
    for n, body in enumerate(bodies, 1):
        path = tmp_path / f"m{n}.eml"
        path.write_text(head.format(n=n, subject=f"offer {n}") + body)
        paths.append(path)
    report = _run(*map(str, paths))
    assert _campaign_of(report, paths[0]) == _campaign_of(report, paths[1])
    (campaign,) = report["campaigns"]
    assert campaign["dated_by_header"] == 2  # no Received line: the sender's Date only


def test_ids_follow_the_first_receipt(tmp_path):
    late = near_duplicates(WATCHES.read_bytes(), 2, tmp_path, "late", first_day=20)
    early = near_duplicates((SAMPLES / "can-spam" / "no-postal-address.eml").read_bytes(), 2,
                            tmp_path, "early", first_day=3)
    report = _run(*map(str, late + early))  # the later campaign is given first
    assert _campaign_of(report, early[0]) == "C0001"
    assert _campaign_of(report, late[0]) == "C0002"
    first = report["campaigns"][0]
    assert first["first_received"] < first["last_received"]
    assert first["dated_by_header"] == 0  # the trusted Received line dates them


def test_normalisation_hides_names_numbers_and_tracking_ids():
    a = normalised_tokens("Dear Alice, order 4711 at http://x.example/?id=1 code Zq81kLm0PqRsTuVw",
                          {"alice"})
    b = normalised_tokens("Dear Bob, order 9 at http://y.example/?id=2 code Ab12cd34Ef56gh78",
                          {"bob"})
    assert a == b
    assert SIMILARITY > 0


def test_indicator_normal_forms():
    assert registrable_domain("WWW.Shop.Example.co.uk") == "example.co.uk"
    assert registrable_domain("203.0.113.9") == "203.0.113.9"
    assert clean_url("http://Shop.Example.com/buy?utm_source=x&uid=9&item=42#top") == \
        "http://shop.example.com/buy?item=42"
    assert clean_url("mailto:a@b.example") is None
    assert sending_network("203.0.113.77") == "203.0.113.0/24"
    assert sending_network("2001:db8:1:2::5") == "2001:db8:1::/48"


def test_who_is_behind_it_lists_each_value_with_its_messages(tmp_path):
    copies = near_duplicates(WATCHES.read_bytes(), 3, tmp_path, "w")
    report = _run(*map(str, copies))
    indicators = report["indicators"]
    networks = {e["value"]: e for e in indicators["sending_network"]}
    assert networks["203.0.113.0/24"]["messages"] == 3
    assert len(networks["203.0.113.0/24"]["sha256"]) == 3
    assert {e["value"] for e in indicators["from_domain"]} == {"bargain-watches.example"}
    assert {e["value"] for e in indicators["return_path_domain"]} == {"bargain-watches.example"}


def test_phone_and_crypto_addresses_are_indicators(tmp_path):
    path = tmp_path / "p.eml"
    path.write_text("From: x@y.example\nTo: t@trap.example\nSubject: pay\n\n"
                    "Call (415) 555-2671 now or send bitcoin to "
                    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq to unlock your prize.\n")
    report = _run(str(path))
    assert [e["value"] for e in report["indicators"]["phone"]] == ["+1 415-555-2671"]
    assert [e["value"] for e in report["indicators"]["payment"]] == [
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]


def test_campaigns_sharing_a_network_are_linked_in_the_graph(tmp_path):
    a = near_duplicates(WATCHES.read_bytes(), 2, tmp_path, "a")
    b = near_duplicates((SAMPLES / "can-spam" / "no-postal-address.eml").read_bytes(), 2,
                        tmp_path, "b")
    report = _run(*map(str, a + b))
    ca, cb = _campaign_of(report, a[0]), _campaign_of(report, b[0])
    assert ca != cb
    edges = {(e["campaign"], e["infrastructure"]) for e in report["graph"]["edges"]}
    shared = {node for (cid, node) in edges if cid == ca} & {node for (cid, node) in edges
                                                              if cid == cb}
    assert shared
    first = next(c for c in report["campaigns"] if c["id"] == ca)
    assert cb in {link["campaign"] for link in first["linked"]}


def test_out_writes_exports_and_records_campaigns_in_a_case_folder(tmp_path):
    copies = near_duplicates(WATCHES.read_bytes(), 2, tmp_path, "w")
    out = tmp_path / "case"
    out.mkdir()
    with sqlite3.connect(out / "case.sqlite") as db:  # a case folder's ledger
        db.execute("CREATE TABLE inputs (position INTEGER PRIMARY KEY, source TEXT, "
                   "sha256 TEXT)")
    result = CliRunner().invoke(app, ["campaigns", *map(str, copies), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "campaign-members.csv").open()))
    assert {r["campaign"] for r in rows} == {"C0001"} and len(rows) == 2
    indicators = list(csv.DictReader((out / "indicators.csv").open()))
    assert any(r["kind"] == "sending_ip" and len(r["message_sha256"].split()) == 2
               for r in indicators)
    assert json.loads((out / "campaigns.json").read_text())["campaign_count"] == 1
    with sqlite3.connect(out / "case.sqlite") as db:
        assert db.execute("SELECT COUNT(*), MIN(campaign) FROM campaign_members").fetchone() \
            == (2, "C0001")


def test_an_unreadable_input_is_reported_not_dropped(tmp_path):
    copies = near_duplicates(WATCHES.read_bytes(), 1, tmp_path, "w")
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    result = CliRunner().invoke(app, ["campaigns", str(copies[0]), str(empty), "-f", "json"])
    report = json.loads(result.stdout)
    assert report["messages"] == 2
    assert [item["source"] for item in report["not_grouped"]] == [str(empty)]


def test_bad_format_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["campaigns", str(WATCHES), "--format", "xml"])
    assert result.exit_code == 2
    assert "error: --format" in result.output


def test_removal_and_list_links_are_landing_urls_but_not_advertised_domains(tmp_path):
    path = tmp_path / "m.eml"
    path.write_text("From: a@seller.example\nTo: t@trap.example\nSubject: deal\n\n"
                    "Great prices on toner at http://www.toner-deals.example/shop today.\n"
                    "To unsubscribe: http://lists.listhost.example/mailman/listinfo/deals\n")
    report = _run(str(path))
    assert [e["value"] for e in report["indicators"]["advertised_domain"]] == [
        "toner-deals.example"]
    assert len(report["indicators"]["landing_url"]) == 2


def test_a_mailing_services_click_redirector_joins_no_campaigns(tmp_path):
    head = "From: a@esp{n}.example\nTo: t@trap.example\nSubject: {subject}\n\n"
    bodies = ["Build a free website today with hundreds of designer templates and a free "
              "hosting trial: http://r.mailer-esp.example/?A%2F19fbb0eb2b= now.",
              "Listen to the new legal thriller on your free MP3 player, designed and "
              "manufactured to order: http://r.mailer-esp.example/?A%2F368b56677b= today."]
    paths = []
    for n, body in enumerate(bodies, 1):
        path = tmp_path / f"m{n}.eml"
        path.write_text(head.format(n=n, subject=f"offer {n}") + body)
        paths.append(path)
    report = _run(*map(str, paths))
    assert _campaign_of(report, paths[0]) != _campaign_of(report, paths[1])


def test_worker_processes_give_the_same_campaigns(tmp_path):
    copies = near_duplicates(WATCHES.read_bytes(), 3, tmp_path, "w")
    other = SAMPLES / "can-spam" / "no-postal-address.eml"
    one = _run(*map(str, copies), str(other))
    two = _run(*map(str, copies), str(other), "--jobs", "2")
    assert one == two


def test_the_json_report_is_written_in_pieces_with_the_same_bytes():
    """`write_indented` (campaigns.json and `--format json`, item by item so that 45,000
    messages never become one giant string) writes exactly what `dumps` would."""
    from checker.formatters.json import dumps, write_indented

    value = {"schema": "x", "empty": [], "none": {}, "campaigns": [
        {"id": "C0001", "members": [{"sha256": "ab", "received": None}], "rules": {}},
        {"id": "C0002", "subject": "a \"quoted\"\nline ☃ \ud800", "nested": [[1, 2], {"k": []}]}],
        "indicators": {"phone": [{"value": "+1 800", "n": 2.5}], "domain": []},
        "numbers": {1: "non-text key"}}
    pieces: list[str] = []
    write_indented(value, pieces.append)
    assert len(pieces) > 10 and "".join(pieces) == dumps(value, indent=2)
