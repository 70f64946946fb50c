"""Record the golden digest of audit findings (see tests/golden_support.py).

    .venv/bin/python bench/golden.py --update --reason "why the findings changed"
    .venv/bin/python bench/golden.py            # compare only, print what moved
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
