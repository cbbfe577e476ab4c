#!/usr/bin/env python3
"""Routine format size: bytes per step and compiled size vs minified JSON (whole library).

`routine_bytes_per_step`: the bytes of the step area (BEGIN, END and get-ready steps
included, header and labels not) divided by the steps the wearer follows (the one count,
unknot.routine.count.tally: BEGIN, END and get-ready are not steps), for the library as
compiled (format v2). `routine_bytes_per_step_v1`: the same steps in the v1 encoding
(no exercises, no get-ready steps), for comparison.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "host"))

from unknot.core import routine as fmt  # noqa: E402
from unknot.routine import model as m  # noqa: E402
from unknot.routine.compile import compile_ops, compile_routine  # noqa: E402
from unknot.routine.count import tally  # noqa: E402
from unknot.routine.parse import load_file  # noqa: E402


def run() -> dict[str, float | int]:
    files = sorted((REPO / "routines").glob("*.toml"))
    steps = step_bytes = v1_bytes = compiled = labelled = json_min = json_bare = 0
    exercises = transitions = 0
    for f in files:
        r = load_file(f)
        plain = compile_routine(r, labels=False)
        ops = r.ops()
        count = tally(ops)
        steps += count.steps
        exercises += count.exercises
        transitions += sum(op.kind == fmt.NEXT for op in ops)
        step_bytes += len(plain) - fmt.HEADER_SIZE
        v1 = compile_ops([m.Op(fmt.BEGIN), *r.steps, m.Op(fmt.END)], r.slug, r.name,
                         labels=False, version=1)
        v1_bytes += len(v1) - fmt.HEADER_SIZE
        compiled += len(plain)
        labelled += len(compile_routine(r, labels=True))
        source = tomllib.loads(f.read_text(encoding="utf-8"))
        json_min += len(json.dumps(source, separators=(",", ":"), ensure_ascii=False)
                        .encode("utf-8"))
        # the same without any text (ids, names, labels, safety): timings and kinds only
        raw_steps = [st for ex in source.get("exercises", []) for st in ex["steps"]]
        bare = [{k: v for k, v in st.items() if k not in ("label", "say")}
                for st in source.get("steps", raw_steps)]
        json_bare += len(json.dumps(bare, separators=(",", ":")).encode("utf-8"))
    return {
        "routine_count": len(files),
        "routine_steps": steps,
        "routine_exercises": exercises,
        "routine_transitions": transitions,
        "routine_bytes_per_step": round(step_bytes / steps, 3),
        "routine_bytes_per_step_v1": round(v1_bytes / steps, 3),
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
