"""Exhibit throughput beside bare WeasyPrint on the same HTML, in one run.

    .venv/bin/python bench/exhibit.py [--limit N] [--rounds R]

Takes N spam messages from the corpus (every 9th file of spam/ and spam_2/, sorted, as
the slow test does), loads the shipped ruleset once, then for each message times
(a) `spamlaw exhibit`'s code path (`checker.commands.exhibit.make_exhibit`: audit with
    the rules, sanitize, build the context, Jinja2, WeasyPrint with the evidence fetcher,
    PDF/A-3 with the .eml embedded) and
(b) bare `weasyprint.HTML(string=html).write_pdf(presentational_hints=True)` of the very
    HTML that (a) laid out (presentational hints on in both, so the layout work is the
    same; everything else at WeasyPrint's defaults).
Times are CPU seconds of this process (the work is single-threaded); per message the two
paths alternate which goes first, and the best of R rounds is kept, so machine noise
and warm caches stay out of the ratio. Reports pages per
CPU-second for both and the ratio (a)/(b); the target is >= 0.9.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import weasyprint

from checker.commands.exhibit import make_exhibit
from checker.exhibits import ExhibitOptions
from checker.ruleset import load_ruleset
from checker.sources import iter_sources

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "spamassassin"
STEP = 9
TARGET = 0.9


def chosen(limit: int) -> list[Path]:
    files = sorted((CORPUS / "spam").glob("*.eml")) + sorted((CORPUS / "spam_2").glob("*.eml"))
    return files[::STEP][:limit]


def cpu(call):
    started = time.process_time()
    value = call()
    return time.process_time() - started, value


def one_round(items, ruleset, options) -> tuple[float, float, int, int]:
    ours_seconds = bare_seconds = 0.0
    ours_pages = bare_pages = 0
    for index, item in enumerate(items):
        html = make_exhibit(item, ruleset, options).html  # the HTML (b) renders
        gc.collect()
        # alternate which path goes first, so neither gains from warm caches
        order = ("ours", "bare") if index % 2 else ("bare", "ours")
        for path in order:
            if path == "ours":
                seconds, made = cpu(lambda item=item: make_exhibit(item, ruleset, options))
                ours_seconds += seconds
                ours_pages += made.pages
            else:
                seconds, pages = cpu(lambda html=html: _bare(html))
                bare_seconds += seconds
                bare_pages += pages
    return ours_seconds, bare_seconds, ours_pages, bare_pages


def _bare(html: str) -> int:
    document = weasyprint.HTML(string=html).render(presentational_hints=True)
    document.write_pdf()
    return len(document.pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60, help="messages (default 60)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, best kept (default 2)")
    args = parser.parse_args()
    paths = chosen(args.limit)
    if not paths:
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    items = [item for path in paths for item in iter_sources([str(path)])]
    ruleset = load_ruleset()
    options = ExhibitOptions()
    _bare(make_exhibit(items[0], ruleset, options).html)  # warm up fonts, caches, imports
    rounds = [one_round(items, ruleset, options) for _ in range(args.rounds)]
    ours_seconds = min(r[0] for r in rounds)
    bare_seconds = min(r[1] for r in rounds)
    ours_pages, bare_pages = rounds[0][2], rounds[0][3]
    ours_rate, bare_rate = ours_pages / ours_seconds, bare_pages / bare_seconds
    ratio = ours_rate / bare_rate
    print(f"messages: {len(items)}  rounds: {args.rounds}  WeasyPrint {weasyprint.__version__}")
    print(f"spamlaw exhibit path: {ours_pages} pages in {ours_seconds:.2f} CPU-s = "
          f"{ours_rate:.2f} pages/CPU-s ({ours_seconds / len(items) * 1000:.0f} ms/message)")
    print(f"bare WeasyPrint:      {bare_pages} pages in {bare_seconds:.2f} CPU-s = "
          f"{bare_rate:.2f} pages/CPU-s ({bare_seconds / len(items) * 1000:.0f} ms/message)")
    verdict = "meets" if ratio >= TARGET else "BELOW"
    print(f"ratio (exhibit / bare): {ratio:.2f}  ({verdict} the {TARGET} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
