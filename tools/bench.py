#!/usr/bin/env python3
"""Benchmarks: `python tools/bench.py --json` prints one JSON object of numbers.

Each `tools/bench_*.py` module exposes `run() -> dict[str, float | int]`; this script runs
them all (or those named with --only) and merges the results.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent


HELPERS = {"servers"}  # tools/bench_servers.py: BLE servers the benchmarks use, no run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", action="append", default=[], help="run only bench_NAME")
    args = parser.parse_args()
    sys.path.insert(0, str(TOOLS))
    results: dict[str, object] = {}
    for path in sorted(TOOLS.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if name in HELPERS or (args.only and name not in args.only):
            continue
        results.update(importlib.import_module(path.stem).run())
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    else:
        for key, value in sorted(results.items()):
            print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
