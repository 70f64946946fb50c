"""What the CAN-SPAM rules find on the shared 2002 corpus: a per-rule × status table.

    .venv/bin/python bench/corpus_report.py --as-if-in-force              # the table
    .venv/bin/python bench/corpus_report.py --as-if-in-force --sample 20 --rule CANSPAM-OPT-OUT-MISSING
    .venv/bin/python bench/corpus_report.py                               # the law as it was

Sets: spam = spam/ + spam_2/ (1,896 messages), ham = easy_ham/ + easy_ham_2/ (3,900).
For each federal rule (jurisdiction US) it counts the messages of each set per outcome,
and it reports the share of spam the commercial-purpose detector judges commercial
(`commercial` or `commercial_uncertain`).

The corpus was collected in 2002, before CAN-SPAM took effect (2004-01-01), so with the
shipped rules every finding is `not_applicable`. `--as-if-in-force` evaluates the rules
as if they had been in force when the mail was sent (`Ruleset.ignoring_effective_dates`):
the table is then COUNTERFACTUAL -- what the rules *would* find -- and says so. It is an
analysis of the rules and detectors, never evidence about these messages.

`--sample N --rule ID` (repeatable) prints N findings of the rule drawn at random (fixed
seed: the same draw every run) from the `violation` and `needs_review` findings (or those
of `--status`), with what a reviewer needs to judge them by eye.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import textwrap
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._corpus import CORPUS  # noqa: E402

SETS = {"spam": ("spam", "spam_2"), "ham": ("easy_ham", "easy_ham_2")}
STATUSES = ("violation", "needs_review", "compliant", "not_applicable", "error")
COMMERCIAL_STATUSES = ("commercial", "commercial_uncertain", "transactional", "non_commercial")
SEED = 2002
BANNER = (
    "COUNTERFACTUAL: the rules are evaluated as if CAN-SPAM had been in force when this "
    "2002 mail was sent (effective dates ignored). These are not findings about the "
    "messages; they show what the rules would find."
)

_worker: dict = {}


def _init(as_if_in_force: bool, jurisdiction: str, state: str | None = None) -> None:
    from checker.case import CaseSettings
    from checker.ruleset import load_ruleset

    ruleset = load_ruleset().select(jurisdictions=[jurisdiction])
    _worker["ruleset"] = ruleset.ignoring_effective_dates() if as_if_in_force else ruleset
    # --state: every recipient is taken to be in that state (nexus for the state rules).
    _worker["metadata"] = CaseSettings().with_state(state).as_metadata() if state else {}


def _audit(path: str) -> dict:
    """One message's outcomes (plain data, cheap to send back from a worker)."""
    from checker.engine import audit
    from checker.message import Message

    msg = Message(Path(path).read_bytes(), source_id=path, metadata=_worker["metadata"])
    result = audit(_worker["ruleset"], msg)
    return {
        "path": path,
        "subject": result.subject,
        "sender": result.sender,
        "commercial": msg.get("commercial.status"),
        "findings": {f.rule: f.to_dict() for f in result.findings},
    }


def corpus_paths(set_name: str) -> list[str]:
    paths = []
    for folder in SETS[set_name]:
        directory = CORPUS / "spamassassin" / folder
        if not directory.is_dir():
            raise SystemExit(f"corpus not found: {directory}")
        paths += sorted(str(p) for p in directory.glob("*.eml"))
    return paths


def run(paths: list[str], as_if_in_force: bool, jurisdiction: str, jobs: int,
        state: str | None = None) -> list[dict]:
    if jobs <= 1:
        _init(as_if_in_force, jurisdiction, state)
        return [_audit(p) for p in paths]
    with ProcessPoolExecutor(jobs, initializer=_init,
                             initargs=(as_if_in_force, jurisdiction, state)) as pool:
        return list(pool.map(_audit, paths, chunksize=32))


def table(results: dict[str, list[dict]]) -> str:
    rules = sorted({rule for rows in results.values() for row in rows for rule in row["findings"]})
    short = {"violation": "viol", "needs_review": "review", "compliant": "compl",
             "not_applicable": "n/a", "error": "error"}
    width = 7 * len(STATUSES) - 1
    lines = [
        f"{'':<38}" + "".join(f" | {f'{name} ({len(rows)})':^{width}}" for name, rows in results.items()),
        f"{'rule':<38}" + " | ".join(["", *[" ".join(f"{short[s]:>6}" for s in STATUSES)] * len(results)]),
    ]
    lines.append("-" * len(lines[0]))
    for rule in rules:
        cells = []
        for rows in results.values():
            counts = Counter(row["findings"][rule]["status"] for row in rows if rule in row["findings"])
            cells.append(" ".join(f"{counts[s]:>6}" for s in STATUSES))
        lines.append(f"{rule:<38}" + " | ".join(["", *cells]))
    return "\n".join(lines)


def commercial_share(results: dict[str, list[dict]]) -> str:
    lines = ["commercial.status (the commercial-purpose detector):"]
    for name, rows in results.items():
        counts = Counter(row["commercial"] for row in rows)
        judged = counts["commercial"] + counts["commercial_uncertain"]
        parts = ", ".join(f"{s} {counts[s]}" for s in COMMERCIAL_STATUSES)
        lines.append(f"  {name} ({len(rows)}): {parts}; judged commercial "
                     f"{judged} = {100 * judged / max(len(rows), 1):.1f} %")
    return "\n".join(lines)


SNIPPET = 500  # characters of the visible text shown with each sampled finding


def _visible_text(path: str) -> str:
    from checker.message import Message

    return " ".join((Message(Path(path).read_bytes()).get("body.visible_text") or "").split())


def sample(rows: list[dict], rule: str, count: int, statuses: tuple[str, ...]) -> str:
    pool = [row for row in rows if row["findings"].get(rule, {}).get("status") in statuses]
    picked = random.Random(f"{SEED}:{rule}:{','.join(statuses)}").sample(pool, min(count, len(pool)))
    out = [f"{rule}: {len(picked)} of {len(pool)} findings with status {'/'.join(statuses)}"]
    for number, row in enumerate(picked, 1):
        finding = row["findings"][rule]
        out.append(f"\n[{number}] {os.path.relpath(row['path'], CORPUS)}  ->  {finding['status']}")
        out.append(f"    subject: {row['subject']!r}   from: {row['sender']}")
        out.append(f"    commercial.status: {row['commercial']}")
        out.append(textwrap.fill(finding["finding"], 100, initial_indent="    finding: ",
                                 subsequent_indent="      "))
        out.append(textwrap.fill(_visible_text(row["path"])[:SNIPPET], 100, initial_indent="    text: ",
                                 subsequent_indent="      "))
        for ev in finding["evidence"][:8]:
            where = f"[{ev['start']}:{ev['end']}]" if ev.get("start") is not None else ""
            what = f"searched {ev['searched']}" if ev.get("searched") else repr(ev.get("quote"))[:160]
            out.append(f"      - {ev['field']}{where} {what}" + (f" ({ev['note']})" if ev.get("note") else ""))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-if-in-force", action="store_true",
                        help="COUNTERFACTUAL: ignore the rules' effective dates (analysis only)")
    parser.add_argument("--jurisdiction", default="US", help="rules of this jurisdiction (default US)")
    parser.add_argument("--state", default=None, metavar="CODE",
                        help="take every recipient to be in this US state (nexus), e.g. --jurisdiction "
                             "US-CA --state CA")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--limit", type=int, default=None, help="only the first N messages per set")
    parser.add_argument("--sample", type=int, default=0, metavar="N", help="findings to print per --rule")
    parser.add_argument("--rule", action="append", default=[], help="rule to sample (repeatable)")
    parser.add_argument("--set", choices=sorted(SETS), default=None, help="sample from this set only")
    parser.add_argument("--status", action="append", default=[], choices=STATUSES,
                        help="sample findings with this status (default: violation and needs_review)")
    args = parser.parse_args()

    results = {}
    for name in SETS:
        paths = corpus_paths(name)[: args.limit]
        results[name] = run(paths, args.as_if_in_force, args.jurisdiction, args.jobs, args.state)
    if args.as_if_in_force:
        print(textwrap.fill(BANNER, 100) + "\n")
    else:
        print("The rules as shipped: the 2002 corpus predates CAN-SPAM, so every finding is "
              "not_applicable (use --as-if-in-force for what the rules would find).\n")
    print(table(results))
    print()
    print(commercial_share(results))
    statuses = tuple(args.status) or ("violation", "needs_review")
    for rule in args.rule:
        if args.sample:
            rows = [row for name, set_rows in results.items() if args.set in (None, name) for row in set_rows]
            print("\n" + sample(rows, rule, args.sample, statuses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
