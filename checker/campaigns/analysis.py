"""Audit and describe every message once, group them, and summarise each campaign.

The audit runs through `checker.batch.run_audit` (the same engine, pool, time bounds and
crash isolation as `spamlaw audit`); its audit function also describes the message
(`features.describe`), so each message is parsed once. Only small facts are kept per
message (hashes, subject, legal date, rule statuses, indicators, a 1 KiB signature).
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from checker.campaigns.features import KINDS, MessageFacts, describe
from checker.campaigns.grouping import Grouping, medoid
from checker.findings import AuditResult

LINK_KINDS = ("advertised_domain", "sending_network")  # what links two campaigns
MAX_LINKED = 25  # linked campaigns listed per campaign
MAX_VARIANTS = 10  # subject variants listed per campaign
TOP_INDICATORS = 10  # values per kind listed per campaign


@dataclass(frozen=True)
class DescribedAudit(AuditResult):
    """An audit result that also carries the message's campaign facts."""

    facts: MessageFacts | None = None


def audit_and_describe(ruleset, message) -> AuditResult:
    """The audit function handed to `run_audit` (module level: workers pickle it)."""
    from checker.engine import audit

    result = audit(ruleset, message)
    try:
        facts = describe(message)
    except Exception as exc:  # a bug on hostile input: audited, but not described
        return DescribedAudit(**{**_shallow(result), "errors": result.errors + (
            f"campaign facts: {type(exc).__name__}: {exc}"[:300],)})
    return DescribedAudit(**_shallow(result), facts=facts)


def _shallow(result: AuditResult) -> dict[str, Any]:
    from dataclasses import fields

    return {f.name: getattr(result, f.name) for f in fields(AuditResult)}


@dataclass
class Member:
    index: int
    source: str
    sha256: str
    subject: str
    received: str | None
    date_source: str | None  # trusted_received | date_header | None (legal_date.source)
    statuses: array  # codes of (rule, status) pairs, see _Outcomes
    indicators: dict[str, tuple[str, ...]]
    signature: bytes | None = field(default=None, repr=False)


@dataclass
class Capture:
    """Everything the grouping produced, for reports and exports."""

    campaigns: list[dict[str, Any]]
    indicators: dict[str, list[dict[str, Any]]]
    graph: dict[str, Any]
    not_grouped: list[dict[str, str]]
    messages: int
    ruleset_sha256: str = ""
    comparisons: int = 0
    shared_pages: dict[str, int] = field(default_factory=dict)  # page → templates it spans
    members: dict[str, list[Member]] = field(default_factory=dict, repr=False)

    def to_dict(self, with_members: bool = True) -> dict[str, Any]:
        campaigns = self.campaigns if with_members else [
            {k: v for k, v in c.items() if k != "members"} for c in self.campaigns]
        return {
            "schema": "spamlaw.campaigns/1",
            "ruleset_sha256": self.ruleset_sha256,
            "messages": self.messages,
            "grouped": self.messages - len(self.not_grouped),
            "campaign_count": len(self.campaigns),
            "campaigns": campaigns,
            "indicators": self.indicators,
            "graph": self.graph,
            "shared_pages": [{"page": page, "templates": n} for page, n in
                             sorted(self.shared_pages.items(), key=lambda x: (-x[1], x[0]))],
            "not_grouped": self.not_grouped,
        }


def build(results: Iterable[AuditResult], ruleset_sha256: str = "") -> Capture:
    """Group audited messages (results of `audit_and_describe`, in input order)."""
    from checker.formatters.base import was_audited

    grouping = Grouping()
    outcomes = _Outcomes()
    members: list[Member | None] = []
    not_grouped: list[dict[str, str]] = []
    for result in results:
        facts = getattr(result, "facts", None)
        if not was_audited(result):
            not_grouped.append({"source": result.source, "sha256": result.sha256,
                                "reason": "; ".join(result.errors)})
            continue
        index = grouping.add(facts)
        members.append(Member(
            index=index, source=result.source, sha256=result.sha256,
            subject=(facts.subject if facts else (result.subject or "")),
            received=facts.received if facts else None,
            date_source=facts.date_source if facts else None,
            statuses=outcomes.encode(result.findings),
            indicators=dict(facts.indicators) if facts else {},
            signature=facts.signature if facts else None))
    campaigns, by_id = _campaigns(grouping.groups(), members, outcomes)
    indicators = _overall(by_id)
    graph = _graph(campaigns, indicators)
    return Capture(campaigns=campaigns, indicators=indicators, graph=graph,
                   not_grouped=not_grouped, messages=len(members) + len(not_grouped),
                   ruleset_sha256=ruleset_sha256, comparisons=grouping.comparisons,
                   shared_pages=dict(grouping.shared_pages),
                   members=by_id)


class _Outcomes:
    """(rule, status) pairs as small integers: 2 bytes per finding kept per message."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, str], int] = {}
        self.pairs: list[tuple[str, str]] = []

    def encode(self, findings) -> array:
        codes = array("H")
        for finding in findings:
            pair = (finding.rule, str(finding.status))
            if pair not in self.codes:
                self.codes[pair] = len(self.pairs)
                self.pairs.append(pair)
            codes.append(self.codes[pair])
        return codes


def _campaigns(groups: dict[int, list[int]], members: list[Member], outcomes: _Outcomes):
    ordered = sorted(groups.values(), key=lambda ms: (_first(members, ms) is None,
                                                      _first(members, ms) or "", ms[0]))
    campaigns, by_id = [], {}
    for number, indexes in enumerate(ordered, 1):
        cid = f"C{number:04d}"
        group = [members[i] for i in indexes]
        by_id[cid] = group
        campaigns.append(_summary(cid, group, outcomes))
    return campaigns, by_id


def _first(members: list[Member], indexes: list[int]) -> str | None:
    dates = [members[i].received for i in indexes if members[i].received]
    return min(dates) if dates else None


def _summary(cid: str, group: list[Member], outcomes: _Outcomes) -> dict[str, Any]:
    signatures = {m.index: m.signature for m in group}
    representative = next(m for m in group if m.index == medoid([m.index for m in group],
                                                                 signatures))
    dates = sorted(m.received for m in group if m.received)
    subjects = Counter(m.subject for m in group)
    rules: dict[str, Counter] = defaultdict(Counter)
    for m in group:
        for code in m.statuses:
            rule, status = outcomes.pairs[code]
            rules[rule][status] += 1
    return {
        "id": cid,
        "size": len(group),
        "first_received": dates[0] if dates else None,
        "last_received": dates[-1] if dates else None,
        "undated": len(group) - len(dates),
        # dates taken from the Date header (the sender's claim), not a trusted Received line
        "dated_by_header": sum(1 for m in group if m.received and m.date_source == "date_header"),
        "representative": {"sha256": representative.sha256, "source": representative.source,
                           "subject": representative.subject},
        "subject_variants": [{"subject": s, "messages": n}
                             for s, n in subjects.most_common(MAX_VARIANTS)],
        "subject_variant_count": len(subjects),
        "rules": {rule: dict(sorted(counts.items())) for rule, counts in sorted(rules.items())},
        "indicators": _campaign_indicators(group),
        "linked_via": [],
        "linked": [],
        "members": [{"sha256": m.sha256, "source": m.source, "received": m.received}
                    for m in group],
    }


def _campaign_indicators(group: list[Member]) -> dict[str, list[dict[str, Any]]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for m in group:
        for kind, values in m.indicators.items():
            counts[kind].update(set(values))
    return {kind: [{"value": v, "messages": n} for v, n in
                   sorted(counts[kind].items(), key=lambda x: (-x[1], x[0]))[:TOP_INDICATORS]]
            for kind in KINDS if kind in counts}


def _overall(by_id: dict[str, list[Member]]) -> dict[str, list[dict[str, Any]]]:
    """Per kind and value: messages (count and SHA-256 list) and campaigns."""
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for cid, group in by_id.items():
        for m in group:
            for kind, values in m.indicators.items():
                for value in set(values):
                    entry = table[kind].setdefault(value, {"value": value, "messages": 0,
                                                           "campaigns": [], "sha256": []})
                    entry["messages"] += 1
                    entry["sha256"].append(m.sha256)
                    if not entry["campaigns"] or entry["campaigns"][-1] != cid:
                        entry["campaigns"].append(cid)
    return {kind: sorted(table[kind].values(), key=lambda e: (-e["messages"], e["value"]))
            for kind in KINDS if kind in table}


def _graph(campaigns: list[dict[str, Any]], indicators) -> dict[str, Any]:
    """Campaigns and the infrastructure they share: one edge per (campaign, shared value)
    for advertised domains and sending networks used by two or more campaigns (a
    bipartite graph: linear in size however many campaigns share one value). Each
    campaign lists what links it (`linked_via`) and up to MAX_LINKED linked campaigns,
    those sharing the rarest values first."""
    by_id = {c["id"]: c for c in campaigns}
    nodes, edges = [], []
    via: dict[str, list[tuple[int, str, list[str]]]] = defaultdict(list)
    for kind in LINK_KINDS:
        for entry in indicators.get(kind, ()):
            shared = entry["campaigns"]
            if len(shared) < 2:
                continue
            node = f"{kind}:{entry['value']}"
            nodes.append({"id": node, "kind": kind, "value": entry["value"],
                          "campaigns": len(shared), "messages": entry["messages"]})
            edges.extend({"campaign": cid, "infrastructure": node} for cid in shared)
            for cid in shared:
                via[cid].append((len(shared), node, shared))
    for cid, values in via.items():
        values.sort(key=lambda v: (v[0], v[1]))
        linked: dict[str, list[str]] = {}
        for _, node, shared in values:
            for other in shared:
                if other != cid and (other in linked or len(linked) < MAX_LINKED):
                    linked.setdefault(other, []).append(node)
        by_id[cid]["linked_via"] = [{"infrastructure": node, "campaigns": n}
                                    for n, node, _ in values]
        by_id[cid]["linked"] = [{"campaign": other, "via": nodes_}
                                for other, nodes_ in sorted(linked.items())]
    return {"nodes": nodes, "edges": edges}
