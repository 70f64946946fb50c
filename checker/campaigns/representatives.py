"""`spamlaw exhibits --select representatives`: one exhibit per campaign and per distinct
set of findings within it, and the FRE 1006-style summary of every message by campaign.

The campaigns come from the case folder (`spamlaw campaigns INPUT... --out DIR` records
them in its case.sqlite). Within a campaign the medoid represents the members whose
findings (the rules with a violation or needs_review finding, and which) are the same as
its own; the first member with each other set of findings is exhibited too, so every
message that has a finding is represented by an exhibit with exactly its findings. A
message that belongs to no recorded campaign is its own campaign. Members without any
violation or needs_review finding need no exhibit.

Numbers follow campaign order (C0001 first: the earliest receipt), the medoid first.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FINDING_STATUSES = ("violation", "needs_review")
PENDING = "not selected: waiting for the choice of campaign representatives"
NO_CAMPAIGNS = ("--select representatives needs the campaigns of the case: run `spamlaw "
                "campaigns INPUT... --out {out}` first (same inputs)")


class RepresentativesError(Exception):
    """The case records no campaigns."""


def signature(audit: dict) -> frozenset[tuple[str, str]]:
    """What a message's exhibit would show as findings: (rule, status) pairs."""
    return frozenset((str(f.get("rule")), str(f.get("status")))
                     for f in audit.get("findings") or ()
                     if isinstance(f, dict) and f.get("status") in FINDING_STATUSES)


@dataclass
class Choice:
    """Which ledger rows become exhibits (in order) and what represents the others."""

    selected: list[tuple[int, str]] = field(default_factory=list)  # (position, campaign)
    represented_by: dict[int, int] = field(default_factory=dict)  # position → position
    campaign_of: dict[int, str] = field(default_factory=dict)  # position → campaign


def membership(db: sqlite3.Connection) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(SHA-256 → campaign, campaign → medoid SHA-256, campaign ids in order)."""
    from checker.review.journal import has_table

    if not has_table(db, "campaigns"):
        return {}, {}, []
    members = dict(db.execute("SELECT sha256, campaign FROM campaign_members"))
    medoids = dict(db.execute("SELECT campaign, representative_sha256 FROM campaigns"))
    return members, medoids, sorted(medoids)


def choose(rows: Iterable[tuple[int, str, dict]], members: dict[str, str],
           medoids: dict[str, str], order: list[str]) -> Choice:
    """Pure: rows are (position, SHA-256, audit JSON) of audited messages."""
    groups: dict[str, list[tuple[int, str, frozenset]]] = defaultdict(list)
    choice = Choice()
    for position, sha256, audit in rows:
        campaign = members.get(sha256) or f"position {position}"
        choice.campaign_of[position] = campaign
        groups[campaign].append((position, sha256, signature(audit)))
    rank = {cid: i for i, cid in enumerate(order)}
    for campaign in sorted(groups, key=lambda c: (c not in rank, rank.get(c, 0),
                                                  groups[c][0][0])):
        group = groups[campaign]
        medoid = next((g for g in group if g[1] == medoids.get(campaign)), group[0])
        exhibit_for: dict[frozenset, int] = {}
        for position, _, found in [medoid] + [g for g in group if g is not medoid]:
            if not found:
                continue
            if found not in exhibit_for:
                exhibit_for[found] = position
                choice.selected.append((position, campaign))
            else:
                choice.represented_by[position] = exhibit_for[found]
    return choice


def select(folder, config, label_for) -> int:
    """Number the representatives among the ledger's pending rows; returns how many were
    numbered. Rows numbered by an earlier run keep their numbers."""
    from dataclasses import replace

    members, medoids, order = membership(folder.db)
    if not medoids:
        raise RepresentativesError(NO_CAMPAIGNS.format(out=config.out))
    rows = [row for row in folder.all_rows()
            if row.audit_json and row.status not in ("error",)]
    choice = choose(((r.position, r.sha256, r.audit()) for r in rows), members, medoids, order)
    by_position = {row.position: row for row in rows}
    numbered = 0
    for position, _campaign in choice.selected:
        row = by_position[position]
        if row.exhibit_number is None:
            number = folder.next_number(config.first_exhibit)
            row = replace(row, status="selected", exhibit_number=number,
                          label=label_for(config.label_format, number), reason="")
            folder.save(row)
            by_position[position] = row
            numbered += 1
    for row in by_position.values():
        if row.exhibit_number is not None:
            continue
        campaign = choice.campaign_of.get(row.position, "")
        target = by_position.get(choice.represented_by.get(row.position, -1))
        if target is not None:
            reason = (f"represented by {target.label} (campaign {campaign}: the same "
                      "findings)")
        else:
            reason = f"not selected: no violation or needs_review finding (campaign {campaign})"
        folder.save(replace(row, status="not_selected", reason=reason))
    folder.commit()
    return numbered


def summary(folder) -> list[dict[str, Any]]:
    """The FRE 1006-style summary: per campaign, its messages in the case, receipt
    range, findings per rule and the exhibits that show them (empty without campaigns)."""
    members, medoids, order = membership(folder.db)
    if not medoids:
        return []
    ranges = {cid: (first, last) for cid, first, last in folder.db.execute(
        "SELECT campaign, first_received, last_received FROM campaigns")}
    table: dict[str, dict[str, Any]] = {}
    for row in folder.all_rows():
        if not row.audit_json:
            continue
        cid = members.get(row.sha256)
        if cid is None:
            continue
        entry = table.setdefault(cid, {"campaign": cid, "messages": 0, "rules": {},
                                       "exhibits": [], "bates": []})
        entry["messages"] += 1
        for rule, status in signature(row.audit()):
            counts = entry["rules"].setdefault(rule, {"violation": 0, "needs_review": 0})
            counts[status] += 1
        if row.label and row.status in ("exhibit", "slip_sheet"):
            entry["exhibits"].append(row.label)
            entry["bates"].append(f"{row.bates_first}–{row.bates_last}")
    rank = {cid: i for i, cid in enumerate(order)}
    for cid, entry in table.items():
        first, last = ranges.get(cid, (None, None))
        entry["first_received"], entry["last_received"] = first, last
    return sorted(table.values(), key=lambda e: rank.get(e["campaign"], len(rank)))
