"""Audit throughput against the stdlib parsing floor, in CPU time, side by side.

    .venv/bin/python bench/audit.py [--limit N] [--rounds R] [--jobs N] [--per-rule]

What it measures, on the corpus spam mbox (../shared/corpus/spamassassin-spam.mbox):

- **whole command** (the headline): `spamlaw audit MBOX --format json` as a user runs it
  (start-up, ruleset load, parsing, every rule, JSON output), in a child process, CPU time
  (user + system of the child, `RUSAGE_CHILDREN`), against a child process that reads the
  same mbox and parses each message with stdlib `compat32` (the floor any audit pays);
- **per-message loop**: in this process, the audit of each message (a fresh lazy `Message`,
  every rule) against `email.message_from_bytes` (compat32) and against stdlib
  `policy.default` plus decoding the preferred body (what a "modern" stdlib reader pays).

Both modes are reported, **every rule in force first** (the headline: the corpus is from
2002, so with the shipped `effective:` dates nearly every rule short-circuits to
not_applicable, which measures a shortcut, not the work users have), then the shipped
dates. "In force" uses a temporary COPY of the ruleset whose `effective:` start dates are
moved to 1970 -- an analysis device of this benchmark, never a flag of the product.

Rounds are paired: each round runs both sides back to back (the order alternates between
rounds), the ratio is taken within the round, and the median of the rounds' ratios is
reported with its spread. CPU time, not wall time, so other load on the machine costs
little; ratios measured side by side cancel most of what remains.
The last line is `audit/compat32 (all rules in force): R` (whole command).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._corpus import CORPUS  # noqa: E402
from checker.engine import audit  # noqa: E402
from checker.ruleset import load_ruleset  # noqa: E402
from checker.sources import iter_sources  # noqa: E402

MBOX = CORPUS / "spamassassin-spam.mbox"
RULES = ROOT / "rules"

# The floor, as a child process: read the mbox, parse every message with compat32.
PARSE_SCRIPT = r"""
import email, mailbox, sys
for msg in mailbox.mbox(sys.argv[1], factory=None):
    email.message_from_bytes(bytes(msg))
"""


# ------------------------------------------------------------------ measuring


def child_cpu(argv: list[str]) -> float:
    """CPU seconds (user + system) a child process spends running `argv` to the end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loop_cpu(work: Callable[[], None]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def paired(rounds: int, floor: Callable[[], float], side: Callable[[], float]) -> list[tuple[float, float]]:
    """(floor seconds, side seconds) per round; the order within a round alternates."""
    pairs = []
    for number in range(rounds):
        if number % 2 == 0:
            a = floor()
            b = side()
        else:
            b = side()
            a = floor()
        pairs.append((a, b))
    return pairs


def summary(label: str, count: int, pairs: list[tuple[float, float]]) -> float:
    """Print msgs per CPU-second for both sides and the ratio (median, spread); return it."""
    ratios = [floor / side for floor, side in pairs]
    floor_rate = statistics.median(count / f for f, _ in pairs)
    side_rate = statistics.median(count / s for _, s in pairs)
    ratio = statistics.median(ratios)
    print(f"  {label:<44} {side_rate:8.0f} msg/CPU-s  (floor {floor_rate:7.0f})  "
          f"ratio {ratio:.4f}  [min {min(ratios):.4f}, max {max(ratios):.4f}]")
    return ratio


# ------------------------------------------------------------------ the sides


def in_force_copy(destination: Path) -> Path:
    """A copy of the shipped rules with every `effective:` start moved to 1970-01-01."""
    target = destination / "rules"
    shutil.copytree(RULES, target)
    pattern = re.compile(r"(effective:\s*\{\s*from:\s*)\d{4}-\d{2}-\d{2}")
    for path in target.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        moved = pattern.sub(r"\g<1>1970-01-01", text)
        if moved != text:
            path.write_text(moved, encoding="utf-8")
    return target


def command_side(mbox: Path, rules: Path, jobs: int) -> Callable[[], float]:
    argv = [sys.executable, "-m", "checker", "audit", str(mbox), "--rules", str(rules),
            "--format", "json", "--output", "/dev/null", "--fail-on", "never"]
    if jobs > 1:
        argv += ["--jobs", str(jobs)]
    return lambda: child_cpu(argv)


def parse_command(mbox: Path) -> Callable[[], float]:
    return lambda: child_cpu([sys.executable, "-c", PARSE_SCRIPT, str(mbox)])


def compat32_loop(raws: list[bytes]) -> Callable[[], float]:
    def work() -> None:
        for raw in raws:
            email.message_from_bytes(raw)
    return lambda: loop_cpu(work)


def default_policy_loop(raws: list[bytes]) -> Callable[[], float]:
    """stdlib `policy.default` parse plus the preferred body decoded: a modern reader's floor."""
    def work() -> None:
        for raw in raws:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            try:
                body = msg.get_body(("html", "plain"))
                if body is not None:
                    body.get_content()
            except Exception:  # broken MIME is common in spam; the floor pays for trying
                pass
    return lambda: loop_cpu(work)


def audit_loop(ruleset, items) -> Callable[[], float]:
    def work() -> None:
        for item in items:
            audit(ruleset, item.message())
    return lambda: loop_cpu(work)


# ------------------------------------------------------------------ per rule


def per_rule(ruleset, items, sample: int) -> list[tuple[str, float]]:
    """(rule id, CPU seconds per message) for each rule alone, construction cost removed."""
    items = items[:sample]
    base = min(loop_cpu(lambda: [item.message() for item in items]) for _ in range(3))
    costs = []
    for rule_id in sorted(ruleset.reported):
        alone = ruleset.select(rule_ids=[rule_id])
        seconds = min(audit_loop(alone, items)() for _ in range(2))
        costs.append((rule_id, max(seconds - base, 0.0) / len(items)))
    return sorted(costs, key=lambda pair: -pair[1])


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbox", type=Path, default=MBOX)
    parser.add_argument("--limit", type=int, default=None,
                        help="only the first N messages (the whole-command side then reads a trimmed mbox copy)")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds (median reported)")
    parser.add_argument("--jobs", type=int, default=1, help="--jobs for the whole-command side")
    parser.add_argument("--per-rule", action="store_true", help="time each rule alone (in force)")
    parser.add_argument("--sample", type=int, default=300, help="messages for --per-rule")
    parser.add_argument("--skip-command", action="store_true", help="per-message loop only")
    args = parser.parse_args()

    if not args.mbox.is_file():
        print(f"corpus not found: {args.mbox}", file=sys.stderr)
        return 2
    items = [item for item in iter_sources([args.mbox]) if item.error is None]
    items = items[: args.limit] if args.limit else items
    raws = [item.raw for item in items]
    count = len(items)

    with tempfile.TemporaryDirectory(prefix="spamlaw-bench-") as tmp:
        tmp_path = Path(tmp)
        mbox = args.mbox
        if args.limit:  # the same messages for the child processes
            mbox = tmp_path / "limited.mbox"
            with mbox.open("wb") as out:
                for raw in raws:
                    out.write(b"From bench@localhost Thu Jan  1 00:00:00 1970\n" + raw.rstrip(b"\n") + b"\n\n")
        rules_in_force = in_force_copy(tmp_path)
        shipped = load_ruleset(RULES)
        in_force = load_ruleset(rules_in_force)
        print(f"{count} messages ({sum(len(r) for r in raws) / 1e6:.1f} MB) from {args.mbox.name}; "
              f"{len(shipped.reported)} rules; {args.rounds} paired rounds, CPU time")
        print("COUNTERFACTUAL for 'in force': a temporary ruleset copy with effective dates moved to 1970")

        audit_loop(in_force, items[:50])()  # warm up: imports, lazily compiled patterns
        print("per-message loop (this process):")
        loop_ratio = summary("audit, every rule in force / compat32", count,
                             paired(args.rounds, compat32_loop(raws), audit_loop(in_force, items)))
        summary("audit, shipped dates / compat32", count,
                paired(args.rounds, compat32_loop(raws), audit_loop(shipped, items)))
        summary("policy.default + body / compat32", count,
                paired(args.rounds, compat32_loop(raws), default_policy_loop(raws)))

        command_ratio = None
        if not args.skip_command:
            print(f"whole command (child processes: start-up, rules, output; --jobs {args.jobs}):")
            command_ratio = summary("spamlaw audit, every rule in force / compat32", count,
                                    paired(args.rounds, parse_command(mbox),
                                           command_side(mbox, rules_in_force, args.jobs)))
            summary("spamlaw audit, shipped dates / compat32", count,
                    paired(args.rounds, parse_command(mbox), command_side(mbox, RULES, args.jobs)))

        if args.per_rule:
            costs = per_rule(in_force, items, args.sample)
            total = sum(cost for _, cost in costs) or 1.0
            print(f"per rule, alone, in force, on {min(args.sample, count)} messages (upper bounds):")
            for rule_id, cost in costs:
                print(f"  {rule_id:<40} {cost * 1000:7.3f} ms/msg  {cost / total:6.1%}")

    print(f"audit/compat32 loop (all rules in force): {loop_ratio:.4f}")
    if command_ratio is not None:
        print(f"audit/compat32 (all rules in force): {command_ratio:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
