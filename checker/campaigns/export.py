"""Write a grouping to a folder (CSV/JSON for subpoenas and spreadsheets) and record each
message's campaign in the folder's case ledger (`case.sqlite`, tables `campaign_members`
and `campaigns`; created when the folder has none yet), so that `spamlaw review` can act
on a whole campaign and `spamlaw exhibits --select representatives` can choose one
exhibit per campaign."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from checker.campaigns.analysis import Capture
from checker.campaigns.features import KINDS

CAMPAIGNS_JSON = "campaigns.json"
CAMPAIGNS_CSV = "campaigns.csv"
MEMBERS_CSV = "campaign-members.csv"
INDICATORS_CSV = "indicators.csv"
CASE_FILE = "case.sqlite"


def _csv(rows: list[list]) -> bytes:
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def write_exports(capture: Capture, out: Path) -> list[Path]:
    from checker.exhibits.casefile import write_atomically

    out.mkdir(parents=True, exist_ok=True)
    files = {
        CAMPAIGNS_JSON: lambda stream: _write_report(capture, stream),
        CAMPAIGNS_CSV: _csv([["campaign", "size", "first_received", "last_received",
                              "representative_sha256", "representative_subject",
                              "subject_variants", "advertised_domains", "linked_campaigns"]]
                            + [[c["id"], c["size"], c["first_received"] or "",
                                c["last_received"] or "", c["representative"]["sha256"],
                                c["representative"]["subject"], c["subject_variant_count"],
                                " ".join(i["value"] for i in
                                         c["indicators"].get("advertised_domain", [])),
                                " ".join(link["campaign"] for link in c["linked"])]
                               for c in capture.campaigns]),
        MEMBERS_CSV: _csv([["campaign", "sha256", "source", "received"]]
                          + [[c["id"], m["sha256"], m["source"], m["received"] or ""]
                             for c in capture.campaigns for m in c["members"]]),
        INDICATORS_CSV: _csv([["kind", "value", "messages", "campaigns", "campaign_ids",
                               "message_sha256"]]
                             + [[kind, e["value"], e["messages"], len(e["campaigns"]),
                                 " ".join(e["campaigns"]), " ".join(e["sha256"])]
                                for kind in KINDS for e in capture.indicators.get(kind, ())]),
    }
    written = []
    for name, data in files.items():
        write_atomically(out / name, data)
        written.append(out / name)
    return written


def _write_report(capture: Capture, stream) -> None:
    """campaigns.json, written campaign by campaign (see `write_indented`)."""
    from checker.formatters.json import write_indented

    write_indented(capture.to_dict(), lambda text: stream.write(text.encode("ascii")))
    stream.write(b"\n")


def is_case_folder(folder: Path) -> bool:
    return (folder / CASE_FILE).is_file()


def record_in_case(capture: Capture, folder: Path) -> int:
    """Replace the case's campaign membership with this grouping (derived data: the
    decisions journal keeps the message hashes each decision applied to). Returns the
    number of ledger rows whose message was grouped."""
    with sqlite3.connect(folder / CASE_FILE, timeout=30) as db:
        create_tables(db)
        db.execute("DELETE FROM campaign_members")
        db.execute("DELETE FROM campaigns")
        db.executemany(
            "INSERT OR REPLACE INTO campaigns (campaign, size, representative_sha256, "
            "subject, first_received, last_received) VALUES (?, ?, ?, ?, ?, ?)",
            [(c["id"], c["size"], c["representative"]["sha256"], c["representative"]["subject"],
              c["first_received"], c["last_received"]) for c in capture.campaigns])
        db.executemany(
            "INSERT OR REPLACE INTO campaign_members (sha256, source, campaign) "
            "VALUES (?, ?, ?)",
            [(m["sha256"], m["source"], c["id"]) for c in capture.campaigns
             for m in c["members"]])
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'inputs'").fetchone():
            return 0
        found = db.execute("SELECT COUNT(*) FROM inputs WHERE sha256 IN "
                           "(SELECT sha256 FROM campaign_members)").fetchone()[0]
    return found


def create_tables(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS campaigns (campaign TEXT PRIMARY KEY, size INTEGER, "
               "representative_sha256 TEXT, subject TEXT, first_received TEXT, "
               "last_received TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS campaign_members (sha256 TEXT NOT NULL, "
               "source TEXT NOT NULL, campaign TEXT NOT NULL, PRIMARY KEY (sha256, source))")
