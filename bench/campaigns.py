"""Campaign grouping on the corpus: CPU time, peak memory, campaign count, the five largest
campaigns and a sample of campaigns to read.

    .venv/bin/python bench/campaigns.py --as-if-in-force                     # spam mbox
    .venv/bin/python bench/campaigns.py --as-if-in-force --all               # all 6,046
    .venv/bin/python bench/campaigns.py --as-if-in-force --read 10 --seed 7  # to review

`--as-if-in-force` evaluates the rules as if CAN-SPAM had been in force when the 2002 mail
was sent (`Ruleset.ignoring_effective_dates`, a counterfactual ruleset copy, never a
product flag), so the per-rule counts show what the rules would find.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"


def main() -> int:
    from checker.batch import run_audit
    from checker.campaigns.analysis import audit_and_describe, build
    from checker.ruleset import load_ruleset
    from checker.sources import iter_sources

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-if-in-force", action="store_true")
    parser.add_argument("--all", action="store_true", help="all 6,046 messages")
    parser.add_argument("--read", type=int, default=0, help="print N random campaigns")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ruleset = load_ruleset(None)
    if args.as_if_in_force:
        ruleset = ruleset.ignoring_effective_dates()
    inputs = ([str(p) for p in sorted((CORPUS / "spamassassin").iterdir()) if p.is_dir()]
              if args.all else [str(CORPUS / "spamassassin-spam.mbox")])
    started, cpu = time.monotonic(), time.process_time()
    capture = build(run_audit(iter_sources(inputs), ruleset, 1, audit=audit_and_describe),
                    ruleset.sha256)
    cpu, wall = time.process_time() - cpu, time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = Counter(c["size"] for c in capture.campaigns)
    print(f"{capture.messages} messages, {len(capture.campaigns)} campaigns "
          f"({sizes[1]} single messages; {len(capture.campaigns) - sizes[1]} campaigns of 2+ "
          f"hold {sum(c['size'] for c in capture.campaigns if c['size'] > 1)} messages), "
          f"{len(capture.not_grouped)} not audited")
    print(f"CPU {cpu:.1f} s (audit + describe + group), wall {wall:.1f} s, peak RSS "
          f"{peak:.0f} MiB, {capture.comparisons} signature comparisons")
    print("five largest:")
    for c in sorted(capture.campaigns, key=lambda c: (-c["size"], c["id"]))[:5]:
        _show(c)
    if args.read:
        print(f"\n{args.read} random campaigns of 2+ messages (seed {args.seed}):")
        several = [c for c in capture.campaigns if c["size"] > 1]
        for c in random.Random(args.seed).sample(several, min(args.read, len(several))):
            _show(c)
    return 0


def _show(c: dict) -> None:
    reviews = {rule: n["needs_review"] for rule, n in c["rules"].items() if n.get("needs_review")}
    violations = {rule: n["violation"] for rule, n in c["rules"].items() if n.get("violation")}
    domains = [i["value"] for i in c["indicators"].get("advertised_domain", [])[:3]]
    print(f"  {c['id']} {c['size']} msgs {str(c['first_received'])[:10]}..."
          f"{str(c['last_received'])[:10]} {c['subject_variant_count']} subjects; "
          f"rep {c['representative']['subject'][:60]!r}; domains {domains}")
    print(f"      subjects: {[v['subject'][:40] for v in c['subject_variants'][:4]]}")
    print(f"      violation {violations}; needs_review {reviews}")


if __name__ == "__main__":
    sys.exit(main())
