"""Parse throughput: the lazy message view against bare stdlib parsing.

    .venv/bin/python bench/parse.py [--limit N] [--rounds R] [--mbox PATH] [--profile]

Times, over the corpus spam mbox, (a) `email.message_from_bytes` (compat32) of every
message and (b) building `checker.message.Message` and reading subject, from.address,
from.display_name, from.domain, body.visible_text, links and received. Rounds of (a)
and (b) alternate (a b, b a, ...) so a noisy machine hurts both alike; each side's best
round counts. Exits 1 when (b) reaches less than TARGET of (a)'s messages per second.
"""

from __future__ import annotations

import argparse
import cProfile
import email
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._corpus import SPAM_MBOX, load_mbox  # noqa: E402
from checker.fields import all_fields  # noqa: E402
from checker.message import Message  # noqa: E402

TARGET = 0.25
FIELDS_READ = (
    "subject",
    "from.address",
    "from.display_name",
    "from.domain",
    "body.visible_text",
    "links",
    "received",
)


def stdlib_parse(raws: list[bytes]) -> None:
    for raw in raws:
        email.message_from_bytes(raw)


def message_view(raws: list[bytes]) -> None:
    for raw in raws:
        msg = Message(raw)
        for name in FIELDS_READ:
            msg.get(name)


def _timed(run, raws: list[bytes]) -> float:
    start = time.perf_counter()
    run(raws)
    return time.perf_counter() - start


def measure(raws: list[bytes], rounds: int) -> tuple[float, float]:
    """Best seconds per side over `rounds` alternating rounds."""
    best = {stdlib_parse: float("inf"), message_view: float("inf")}
    for n in range(rounds):
        order = (stdlib_parse, message_view) if n % 2 == 0 else (message_view, stdlib_parse)
        for run in order:
            best[run] = min(best[run], _timed(run, raws))
    return best[stdlib_parse], best[message_view]


def profile(raws: list[bytes]) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(message_view, raws)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbox", type=Path, default=SPAM_MBOX)
    parser.add_argument("--limit", type=int, default=None, help="only the first N messages")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile side (b) and exit")
    args = parser.parse_args(argv)
    if not args.mbox.is_file():
        print(f"error: no corpus mbox at {args.mbox}", file=sys.stderr)
        return 2
    raws = load_mbox(args.mbox, args.limit)
    all_fields()  # import the extractors before timing
    message_view(raws[:50])  # warm caches (regex compilation, codec lookups)
    if args.profile:
        profile(raws)
        return 0
    seconds_a, seconds_b = measure(raws, args.rounds)
    rate_a, rate_b = len(raws) / seconds_a, len(raws) / seconds_b
    ratio = rate_b / rate_a
    print(f"messages: {len(raws)} from {args.mbox.name}, best of {args.rounds} rounds")
    print(f"(a) stdlib compat32 parse:          {rate_a:8.0f} msg/s")
    print(f"(b) Message + {len(FIELDS_READ)} fields:             {rate_b:8.0f} msg/s")
    print(f"    fields: {', '.join(FIELDS_READ)}")
    verdict = "meets" if ratio >= TARGET else "BELOW"
    print(f"ratio (b)/(a): {ratio:.1%} ({verdict} the {TARGET:.0%} target)")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
