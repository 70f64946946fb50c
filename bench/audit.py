"""Audit throughput beside bare stdlib parsing of the same messages, in one run.

    .venv/bin/python bench/audit.py [--limit N] [--rounds R] [--per-rule]

Reads the corpus spam mbox (../shared/corpus/spamassassin-spam.mbox) once, loads the
shipped ruleset once (both outside the timing), then alternates rounds of
(a) `email.message_from_bytes(raw)` (compat32, the floor any audit pays) and
(b) the full audit of every message (a fresh lazy `Message`, every rule),
and reports msg/s for both (best round of each) and the ratio audit / parse.
Alternating rounds in one process keeps machine noise out of the ratio.

`--per-rule` adds each rule's cost on a sample: the time of an audit with that rule alone
minus the time of the same messages with no rule (message construction only); fields
that several rules share are charged to each of them, so the shares are an upper bound.
"""

from __future__ import annotations

import argparse
import email
import gc
import sys
import time
from pathlib import Path

from checker.engine import audit
from checker.ruleset import load_ruleset
from checker.sources import iter_sources

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "spamassassin-spam.mbox"


def parse_round(items) -> float:
    started = time.perf_counter()
    for item in items:
        email.message_from_bytes(item.raw)
    return time.perf_counter() - started


def audit_round(ruleset, items) -> float:
    started = time.perf_counter()
    for item in items:
        audit(ruleset, item.message())
    return time.perf_counter() - started


def per_rule(ruleset, items, sample: int) -> list[tuple[str, float]]:
    """(rule id, seconds per message) for each rule alone, construction cost removed."""
    items = items[:sample]
    base = min(_construct_round(items) for _ in range(3))
    costs = []
    for rule_id in sorted(ruleset.reported):
        alone = ruleset.select(rule_ids=[rule_id])
        seconds = min(audit_round(alone, items) for _ in range(2))
        costs.append((rule_id, max(seconds - base, 0.0) / len(items)))
    return sorted(costs, key=lambda pair: -pair[1])


def _construct_round(items) -> float:
    started = time.perf_counter()
    for item in items:
        item.message()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbox", type=Path, default=CORPUS)
    parser.add_argument("--rules", type=Path, default=None, help="ruleset (default: shipped)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N messages")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-rule", action="store_true", help="time each rule alone")
    parser.add_argument("--sample", type=int, default=300, help="messages for --per-rule")
    parser.add_argument("--as-if-in-force", action="store_true",
                        help="COUNTERFACTUAL: ignore the rules' effective dates, so every rule runs "
                             "on the 2002 corpus (Ruleset.ignoring_effective_dates)")
    args = parser.parse_args()

    if not args.mbox.is_file():
        print(f"corpus not found: {args.mbox}", file=sys.stderr)
        return 2
    items = [item for item in iter_sources([args.mbox]) if item.error is None]
    items = items[: args.limit] if args.limit else items
    ruleset = load_ruleset(args.rules)
    if args.as_if_in_force:
        ruleset = ruleset.ignoring_effective_dates()
        print("COUNTERFACTUAL: effective dates ignored, every rule evaluated")
    count, size = len(items), sum(item.size for item in items)
    print(f"{count} messages ({size / 1e6:.1f} MB) from {args.mbox.name}; "
          f"{len(ruleset.reported)} rules (ruleset {ruleset.sha256[:12]})")

    audit_round(ruleset, items[:50])  # warm up: imports, lazily compiled patterns
    parse_times, audit_times = [], []
    gc.collect()
    for number in range(1, args.rounds + 1):
        parse_times.append(parse_round(items))
        audit_times.append(audit_round(ruleset, items))
        print(f"  round {number}: parse {count / parse_times[-1]:8.0f} msg/s   "
              f"audit {count / audit_times[-1]:8.0f} msg/s")
    parse_rate, audit_rate = count / min(parse_times), count / min(audit_times)
    print(f"compat32 parse : {parse_rate:8.0f} msg/s")
    print(f"full audit     : {audit_rate:8.0f} msg/s  "
          f"({1000 / audit_rate:.2f} ms/msg)")
    print(f"ratio audit/parse: {audit_rate / parse_rate:.1%}")

    if args.per_rule:
        costs = per_rule(ruleset, items, args.sample)
        total = sum(cost for _, cost in costs) or 1.0
        print(f"per rule, alone, on {min(args.sample, count)} messages (upper bounds):")
        for rule_id, cost in costs:
            print(f"  {rule_id:<40} {cost * 1000:7.3f} ms/msg  {cost / total:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
