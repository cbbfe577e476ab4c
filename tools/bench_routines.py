#!/usr/bin/env python3
"""Routine format size: bytes per step and compiled size vs minified JSON (whole library)."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "host"))

from unknot.core import routine as fmt  # noqa: E402
from unknot.routine.compile import compile_routine  # noqa: E402
from unknot.routine.parse import load_file  # noqa: E402


def run() -> dict[str, float | int]:
    files = sorted((REPO / "routines").glob("*.toml"))
    steps = step_bytes = compiled = labelled = json_min = json_bare = 0
    for f in files:
        r = load_file(f)
        plain = compile_routine(r, labels=False)
        steps += len(r.ops())
        step_bytes += len(plain) - fmt.HEADER_SIZE
        compiled += len(plain)
        labelled += len(compile_routine(r, labels=True))
        source = tomllib.loads(f.read_text(encoding="utf-8"))
        json_min += len(json.dumps(source, separators=(",", ":"), ensure_ascii=False)
                        .encode("utf-8"))
        # the same without any text (ids, names, labels, safety): timings and kinds only
        bare = [{k: v for k, v in st.items() if k not in ("label", "say")}
                for st in source["steps"]]
        json_bare += len(json.dumps(bare, separators=(",", ":")).encode("utf-8"))
    return {
        "routine_count": len(files),
        "routine_steps": steps,
        "routine_bytes_per_step": round(step_bytes / steps, 3),
        "routine_bytes_per_step_with_header": round(compiled / steps, 3),
        "library_bytes_compiled": compiled,
        "library_bytes_compiled_with_labels": labelled,
        "library_bytes_json_min": json_min,
        "library_json_to_compiled_ratio": round(json_min / compiled, 1),
        "library_bytes_json_min_steps_only": json_bare,
        "library_json_steps_only_to_compiled_ratio": round(json_bare / compiled, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
