"""Exhibit throughput of the batch path (`spamlaw exhibits`) beside bare WeasyPrint.

    .venv/bin/python bench/exhibit.py [--limit N] [--rounds R] [--documents both|message]

Takes N spam messages from the corpus (every 9th file of spam/ and spam_2/, sorted, as the
slow test does) and, in each round, times
(a) the batch path: `spamlaw exhibits FOLDER --out NEW --select all --jobs 1 --documents D`,
    run in this process through the command itself: ruleset load, audit pass, each exhibit
    (and with D=both, the default, its analysis) laid out once with Bates placeholders,
    stamped, written with its native and text, then manifests, load files, index and
    schedule -- everything a user waits for after start-up;
(b) bare WeasyPrint on the same messages: `weasyprint.HTML(string=html).render(
    presentational_hints=True).write_pdf()` of the very HTML the batch lays out for each
    document (the exhibit, and with both its analysis; built before timing).
(c) the same bare WeasyPrint with the product's PDF settings (`pdf_variant` PDF/A-3u, as
    every exhibit is written): the engine's own cost for the same kind of file, so the
    second ratio shows only what the batch adds (audit, HTML, stamping, ledger, load files,
    index, schedule). The headline (last line) stays (a) against plain (b).
Pages are all the PDFs' pages of the documents made (exhibits + analyses), on all sides.
Times are CPU seconds of this process (everything runs here, single-threaded). The two
sides alternate which goes first from round to round; each round gives one paired ratio
of pages per CPU-second, and the median of the rounds is reported (with the spread), so
machine noise and warm caches stay out of the figure. The target is >= 0.85. Also
printed: the projection for 45,000 messages, from the batch's CPU time per message.
The last line is `batch/bare pages per CPU-second: R`.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import weasyprint
from typer.testing import CliRunner

from checker.batch import RulesetSource
from checker.case import CaseSettings
from checker.cli import app
from checker.exhibits import ExhibitOptions
from checker.exhibits.batch import (
    WorkerSetup,
    _audited,
    _render,
    analysis_label,
    init_worker,
)
from checker.exhibits.bates import BatesSpec
from checker.exhibits.render import PDF_VARIANT
from checker.ruleset import load_ruleset
from checker.sources import iter_sources

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "spamassassin"
STEP = 9
TARGET = 0.85
PROJECTED = 45_000


def chosen(limit: int) -> list[Path]:
    files = sorted((CORPUS / "spam").glob("*.eml")) + sorted((CORPUS / "spam_2").glob("*.eml"))
    return files[::STEP][:limit]


def cpu(call):
    started = time.process_time()
    value = call()
    return time.process_time() - started, value


def batch_html(folder: Path, documents: str) -> list[str]:
    """The HTML the batch lays out for each document (Bates placeholders and all)."""
    ruleset = load_ruleset()
    options = ExhibitOptions(bates=BatesSpec(stamped=True), label="Exhibit 1")
    analysis = replace(options, label=analysis_label("Exhibit 1", 1),
                       bates=BatesSpec("WP-", stamped=True))
    init_worker(WorkerSetup(RulesetSource(), CaseSettings(), options, None, "."), ruleset)
    pages = []
    for item in iter_sources([str(folder)]):
        msg, result = _audited(item)
        pages.append(_render(msg, result, options, "message").html)
        if documents == "both":
            pages.append(_render(msg, result, analysis, "analysis").html)
    return pages


def run_batch(folder: Path, documents: str) -> int:
    """One `spamlaw exhibits` run into a fresh folder; returns the pages made."""
    import json

    out = Path(tempfile.mkdtemp(prefix="bench-exhibits-"))
    try:
        result = CliRunner().invoke(app, ["exhibits", str(folder), "--out", str(out / "case"),
                                          "--select", "all", "--jobs", "1", "--format", "json",
                                          "--documents", documents])
        if result.exit_code not in (0, 1):
            raise SystemExit(f"spamlaw exhibits failed ({result.exit_code}): {result.output}")
        text = result.output
        start = text.index("{\n") if not text.startswith("{") else 0
        summary = json.loads(text[start:text.rindex("}") + 1])
        return summary["accounting"]["pages"] + summary["analyses"]["pages"]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_bare(pages_html: list[str], variant: str | None = None) -> int:
    total = 0
    for html in pages_html:
        options = {"presentational_hints": True}
        if variant:
            options["pdf_variant"] = variant
        document = weasyprint.HTML(string=html).render(**options)
        document.write_pdf(**({"pdf_variant": variant} if variant else {}))
        total += len(document.pages)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="messages (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds (default 3)")
    parser.add_argument("--documents", choices=("both", "message"), default="both",
                        help="what the batch makes per message (default both, as the command)")
    args = parser.parse_args()
    paths = chosen(args.limit)
    if not paths:
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="bench-inputs-"))
    try:
        for path in paths:  # links, not copies: the corpus stays where it is
            os.symlink(path, folder / path.name)
        html = batch_html(folder, args.documents)
        # Warm up both sides alike (fonts, caches, first imports of pikepdf and
        # reportlab), so that whichever side runs first in round 1 is not charged them.
        warm = Path(tempfile.mkdtemp(prefix="bench-warm-"))
        os.symlink(paths[0], warm / paths[0].name)
        run_batch(warm, args.documents)
        run_bare(html[:2], PDF_VARIANT)
        run_bare(html[:2])
        shutil.rmtree(warm, ignore_errors=True)
        ratios, same_settings, rows = [], [], []
        calls = {"batch": lambda: run_batch(folder, args.documents),
                 "bare": lambda: run_bare(html),
                 "bare_pdfa": lambda: run_bare(html, PDF_VARIANT)}
        for index in range(args.rounds):
            order = ("batch", "bare", "bare_pdfa") if index % 2 == 0 else ("bare_pdfa", "bare", "batch")
            seconds, pages = {}, {}
            for side in order:
                gc.collect()
                seconds[side], pages[side] = cpu(calls[side])
            rate = {side: pages[side] / seconds[side] for side in seconds}
            ratios.append(rate["batch"] / rate["bare"])
            same_settings.append(rate["batch"] / rate["bare_pdfa"])
            rows.append((seconds, pages, rate))
            print(f"round {index + 1}: batch {pages['batch']} pages in {seconds['batch']:.2f} "
                  f"CPU-s ({rate['batch']:.2f}/s), bare {pages['bare']} pages in "
                  f"{seconds['bare']:.2f} CPU-s ({rate['bare']:.2f}/s), bare PDF/A "
                  f"{seconds['bare_pdfa']:.2f} CPU-s ({rate['bare_pdfa']:.2f}/s), ratios "
                  f"{ratios[-1]:.3f} / {same_settings[-1]:.3f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ratio = statistics.median(ratios)
    batch_cpu = statistics.median(r[0]["batch"] for r in rows)
    per_message = batch_cpu / len(paths)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    print(f"messages: {len(paths)}  documents: {args.documents}  rounds: {args.rounds}  "
          f"WeasyPrint {weasyprint.__version__}")
    print(f"paired ratios: median {ratio:.3f}, spread {min(ratios):.3f}-{max(ratios):.3f}")
    print(f"batch/bare with the product's PDF/A-3u settings: median "
          f"{statistics.median(same_settings):.3f}, spread {min(same_settings):.3f}-"
          f"{max(same_settings):.3f}")
    print(f"batch CPU per message: {per_message * 1000:.0f} ms; {PROJECTED:,} messages: "
          f"{PROJECTED * per_message / 3600:.1f} CPU-hours, about "
          f"{PROJECTED * per_message / 3600 / cores:.1f} h on {cores} core(s) with --jobs {cores}")
    verdict = "meets" if ratio >= TARGET else "BELOW"
    print(f"target {TARGET}: {verdict}")
    print(f"batch/bare pages per CPU-second: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
