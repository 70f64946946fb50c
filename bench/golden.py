"""Record the golden digest of audit findings (see tests/golden_support.py).

    .venv/bin/python bench/golden.py --update --reason "why the findings changed"
    .venv/bin/python bench/golden.py            # compare only, print what moved
    .venv/bin/python bench/golden.py --orders   # also: does one audit change a later one?
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import golden_support  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden/findings.json")
    parser.add_argument("--reason", help="why the findings changed (required with --update)")
    parser.add_argument("--orders", action="store_true",
                        help="then audit every message again in reverse order in this process, "
                             "after loading the exhibit renderer (as exhibit workers do), and "
                             "list the messages whose audit JSON differs")
    args = parser.parse_args()
    if args.update and not (args.reason and args.reason.strip()):
        print("golden: --update needs --reason saying why the findings changed", file=sys.stderr)
        return 2
    actual = golden_support.compute()
    if "corpus" not in actual["sets"]:
        print(f"golden: corpus not found at {golden_support.CORPUS}; it is part of the digest", file=sys.stderr)
        return 2
    previous = golden_support.load() if golden_support.GOLDEN.is_file() else {"sets": {}, "history": []}
    for line in golden_support.differences(previous, actual) or ["no change"]:
        print(line)
    if args.update:
        history = previous.get("history", [])
        history.append({"date": dt.date.today().isoformat(), "reason": args.reason.strip()})
        actual["history"] = history
        golden_support.GOLDEN.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"golden: wrote {golden_support.GOLDEN.relative_to(ROOT)}")
    if args.orders:
        differ = order_dependent()
        print(f"orders: {len(differ)} message(s) audited differently the second time")
        for source in differ:
            print(f"  {source}")
        return 1 if differ else 0
    return 0


def order_dependent() -> list[str]:
    """Sources whose audit JSON differs between a first pass in this process and a second,
    in reverse order, after the exhibit renderer (WeasyPrint) is loaded and the OCR cache
    emptied: any difference is state one audit or import leaves for a later one."""
    from checker import ocr
    from checker.ruleset import load_ruleset
    from checker.sources import iter_sources

    shipped = load_ruleset()
    sets = [(shipped, golden_support.SAMPLES, ROOT),
            (shipped.ignoring_effective_dates(), golden_support.CORPUS, golden_support.CORPUS.parent)]
    files = [(ruleset, Path(item.source_id), base) for ruleset, folder, base in sets
             for item in iter_sources([folder])]

    def fingerprints(order) -> dict[str, str]:
        out = {}
        with golden_support.time_bounds_lifted():
            for ruleset, path, base in order:
                for record in golden_support.records(ruleset, [path], base):
                    text = json.dumps(record, sort_keys=True, ensure_ascii=False)
                    out[record["source"]] = hashlib.sha256(text.encode()).hexdigest()
        return out

    first = fingerprints(files)
    import checker.exhibits.render  # noqa: F401  (imports WeasyPrint, as exhibit workers do)

    ocr.clear_cache()
    second = fingerprints(files[::-1])
    return sorted(source for source in first if first[source] != second.get(source))


if __name__ == "__main__":
    sys.exit(main())
