"""What OCR of embedded pictures costs: per picture by binding, and on a corpus audit.

    .venv/bin/python bench/ocr.py [--rounds R] [--skip-binding] [--skip-corpus]

1. **Binding** (per picture, CPU time including process start-up): tesserocr (in-process,
   one Tesseract instance per language set, made once) against the `tesseract` command
   (what pytesseract runs: a process per picture, which loads the models every time), on
   pictures drawn with Pillow (a 600x120 address footer and a 600x800 text-heavy banner),
   for English alone and for the seven Latin languages the product uses by default.
2. **Corpus** (the headline): `spamlaw audit MBOX` of the spam corpus with every rule in
   force (a temporary ruleset copy with effective dates moved to 1970, as bench/audit.py
   does: an analysis device, never a product flag), in child processes, OCR on against
   OCR off (the child replaces `checker.ocr.read_picture` by a stub that reads nothing).
   Rounds are paired (order alternating) and the median of the within-round ratios is
   reported with its spread. Each child starts cold: empty OCR cache, models loaded once.
   Also, in this process: the CPU spent inside the OCR calls themselves (model loads
   included) as a share of the rest of the audit -- steadier on a loaded machine.

The last line is `ocr extra CPU on the corpus audit: +P%`.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.audit import MBOX, child_cpu, in_force_copy, paired  # noqa: E402
from checker import ocr  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# The audit as a user runs it, in a child process; "off" stubs out the OCR call.
CHILD = r"""
import sys
sys.path.insert(0, {root!r})
if sys.argv[1] == "off":
    from checker import ocr
    ocr.read_picture = lambda data, languages=ocr.LATIN: ocr.Reading(note="not read: OCR off")
from checker.cli import main
sys.argv = ["spamlaw", "audit", sys.argv[2], "--rules", sys.argv[3], "--format", "json",
            "--output", "/dev/null", "--fail-on", "never"]
main()
"""


def pictures() -> dict[str, bytes]:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 22)
    address = Image.new("RGB", (600, 120), "white")
    draw = ImageDraw.Draw(address)
    for n, line in enumerate(["Acme Outdoor Supply, Inc.", "1440 Coral Ridge Road, Suite 210",
                              "Fort Lauderdale, FL 33304"]):
        draw.text((12, 14 + 34 * n), line, fill="black", font=font)
    banner = Image.new("RGB", (600, 800), (240, 240, 255))
    draw = ImageDraw.Draw(banner)
    for n in range(12):
        draw.text((20, 20 + 60 * n), f"SALE {n * 5}% OFF all tents and boots - order now",
                  fill="black", font=font)
    out = {}
    for name, image in (("address 600x120", address), ("banner 600x800", banner)):
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        out[name] = buffer.getvalue()
    return out


def command_cpu(data: bytes, languages: str, tmp: Path) -> float:
    path = tmp / "picture.png"
    path.write_bytes(data)
    return child_cpu(["tesseract", str(path), "stdout", "-l", languages, "--oem", "1"])


def tesserocr_cpu(data: bytes, languages: str, repeat: int) -> tuple[float, float]:
    """(first use including the model load, each further picture)."""
    from PIL import Image

    ocr._ENGINES.apis.pop(ocr._ENGINES.installed(languages), None)
    image = Image.open(io.BytesIO(data)).convert("L")
    started = time.process_time()
    ocr._ENGINES.recognize(image, languages)
    first = time.process_time() - started
    started = time.process_time()
    for _ in range(repeat):
        ocr._ENGINES.recognize(image, languages)
    return first, (time.process_time() - started) / repeat


def binding(repeat: int) -> None:
    print("per picture, CPU ms (tesseract command: process start-up and model load included)")
    if shutil.which("tesseract") is None or ocr.unavailable():
        print("  skipped: tesseract or tesserocr missing")
        return
    with tempfile.TemporaryDirectory(prefix="spamlaw-ocr-") as tmp:
        for languages in ("eng", ocr.LATIN):
            for name, data in pictures().items():
                command = statistics.median(command_cpu(data, languages, Path(tmp)) for _ in range(repeat))
                first, each = tesserocr_cpu(data, languages, repeat)
                print(f"  {languages:<28} {name:<16} tesseract command {command * 1000:6.0f}   "
                      f"tesserocr {each * 1000:5.0f} (first use with model load {first * 1000:5.0f})")


def corpus(rounds: int, mbox: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="spamlaw-ocr-") as tmp:
        rules = in_force_copy(Path(tmp))
        script = CHILD.format(root=str(ROOT))

        def side(mode: str):
            return lambda: child_cpu([sys.executable, "-c", script, mode, str(mbox), str(rules)])

        pairs = paired(rounds, side("off"), side("on"))
    extras = [on / off - 1 for off, on in pairs]
    print(f"corpus audit, every rule in force, {mbox.name}: OCR off "
          f"{statistics.median(off for off, _ in pairs):.1f} CPU-s, on "
          f"{statistics.median(on for _, on in pairs):.1f} CPU-s; extra "
          f"{statistics.median(extras):+.1%} [min {min(extras):+.1%}, max {max(extras):+.1%}]")
    return statistics.median(extras)


def inside(mbox: Path) -> float:
    """OCR's own CPU (every `read_picture` call, model loads included) as a share of the rest
    of an in-process audit of the corpus (every rule in force), from a cold cache. Less
    exposed to other load on the machine than the paired child processes."""
    from checker.engine import audit
    from checker.extract import images
    from checker.ruleset import load_ruleset
    from checker.sources import iter_sources

    spent = [0.0]
    read = ocr.read_picture

    def timed(data: bytes, languages: str = ocr.LATIN):
        started = time.process_time()
        try:
            return read(data, languages)
        finally:
            spent[0] += time.process_time() - started

    with tempfile.TemporaryDirectory(prefix="spamlaw-ocr-") as tmp:
        ruleset = load_ruleset(in_force_copy(Path(tmp)))
    items = [item for item in iter_sources([mbox]) if item.error is None]
    ocr.clear_cache()
    ocr._ENGINES.apis.clear()
    images.ocr.read_picture = timed
    try:
        started = time.process_time()
        for item in items:
            audit(ruleset, item.message())
        total = time.process_time() - started
    finally:
        images.ocr.read_picture = read
    share = spent[0] / (total - spent[0])
    print(f"in-process audit, every rule in force: {total:.1f} CPU-s, of which OCR "
          f"{spent[0]:.2f} CPU-s: +{share:.1%} over the audit without it")
    return share


def count_pictures(mbox: Path) -> None:
    from checker.message import Message
    from checker.sources import iter_sources

    messages = carried = read = 0
    for item in iter_sources([mbox]):
        if item.error is not None:
            continue
        messages += 1
        msg = Message(item.raw)
        found = [p for p in msg.get("pictures") if p["source"] in ("cid", "data", "attachment")]
        carried += bool(found)
        read += sum(p["read"] for p in found)
    print(f"{mbox.name}: {carried} of {messages} messages carry pictures; {read} pictures read")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mbox", type=Path, default=MBOX)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="pictures per binding measurement")
    parser.add_argument("--skip-binding", action="store_true")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--skip-command", action="store_true", help="no child-process rounds")
    args = parser.parse_args()
    if not args.skip_binding:
        binding(args.repeat)
    if args.skip_corpus:
        return 0
    if not args.mbox.is_file():
        print(f"corpus not found: {args.mbox}", file=sys.stderr)
        return 2
    if ocr.unavailable():
        print(f"corpus: skipped, {ocr.unavailable()}", file=sys.stderr)
        return 2
    count_pictures(args.mbox)
    extra = inside(args.mbox)
    if not args.skip_command:
        extra = corpus(args.rounds, args.mbox)
    print(f"ocr extra CPU on the corpus audit: {extra:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
