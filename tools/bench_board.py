"""Board-model benchmarks (run by tools/bench.py): `run() -> dict`. See tools/board/README.md
and docs/firmware.md "Board model" / "CPU budget".

Heap (KiB above the VM's floor, the firmware as `unknot device install` writes it, .mpy):
- fw_board_heap_live_kb: live heap after boot, worst board;
- fw_board_heap_peak_kb: safe peak, worst board: the smallest heap at which each of 5 runs
  with different allocation orders passes every phase (scanned upward, never bisected);
- fw_board_heap: {board: {"live": .., "peak": .., phase: live after it, ...}};
- fw_board_heap_free_estimate_kb: HEAP_AT_REPL_KIB - fw_board_heap_peak_kb, the heap left
  free at the worst moment on the board (derivation in docs/firmware.md);
- fw_board_heap_groups: {board: {group: KiB}} (tools/board/groups.py) and
  fw_board_heap_over_budget: how many (board, group) pairs exceed docs/firmware.md's
  "Heap budget" table (0 is the rule).

Interned names (qstrs; micropython.qstr_info() in the model, one run through every mode and
the self-test, scenario.NAME_PHASES; docs/firmware.md "Interned names"):
- fw_board_qstr: {board: {"names": the most after any phase, "pools", "kib" (the pools'
  tables and strings), "floor" (the stand-ins alone), "firmware" (names - floor), "margin"
  (model.NAMES_LINE - names), phase: names after it}};
- fw_board_qstr_margin: the worst board's margin (model.NAMES_MARGIN is the rule: under the
  line the qstr pool's 1280-entry doubling, ~9 KiB in one block, never comes).

CPU (board milliseconds: wasm instructions counted by wasmtime fuel on the unspilled VM
with a heap so large that no collection runs, divided by FUEL_PER_MS; worst board):
- fw_cpu_ms_boot: code.py to the first wait (less the VM's and stand-ins' own start);
- fw_cpu_ms_hmac: one sha256.hmac_sha256 of a 64-byte message;
- fw_cpu_ms_auth: the device's side of one authentication (AUTH_BEGIN + AUTH);
- fw_cpu_ms_request: one authenticated request and its answer (SET_CLOCK);
- fw_cpu_ms_sync_1000: the device's side of a READ, per record, times 1000;
- fw_cpu_ms_cue_max: the longest main-loop step (wait to wait, less the model's own wait)
  that starts or ends while a routine plays or its last cue is felt (App.busy), in the
  `routine` and `linked` phases (scenario.CPU_PHASES; tools/board/profile.py says where a
  step's fuel goes).
"""

from __future__ import annotations

import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS / "board"))

import cpu  # noqa: E402
import groups  # noqa: E402
import model  # noqa: E402

HEAP_AT_REPL_KIB = 140  # 144,080 B free at the REPL (adafruit/circuitpython#3030)


def heap(m: model.Model, runs: int = model.RUNS) -> dict[str, object]:
    per_board = {}
    for board in model.BOARDS:
        fig = model.measure(m, board, runs)
        per_board[board] = {"live": fig.live_kib, "peak": fig.peak_kib, **fig.phases}
    live = max(float(v["live"]) for v in per_board.values())  # type: ignore[arg-type]
    peak = max(int(v["peak"]) for v in per_board.values())  # type: ignore[call-overload]
    qstr = {board: model.names(m, board) for board in model.BOARDS}
    by_group: dict[str, dict[str, float]] = {}
    over = 0
    for board in model.BOARDS:
        g = groups.measure(m, board)
        by_group[board] = {**g["groups"], "objects": g["objects"]}  # type: ignore[dict-item]
        over += len(groups.check(by_group[board]))
    return {
        "fw_board_heap_live_kb": live,
        "fw_board_heap_peak_kb": peak,
        "fw_board_heap": per_board,
        "fw_board_heap_free_estimate_kb": HEAP_AT_REPL_KIB - peak,
        "fw_board_heap_groups": by_group,
        "fw_board_heap_over_budget": over,
        "fw_board_qstr": {board: q.report() for board, q in qstr.items()},
        "fw_board_qstr_margin": min(q.margin for q in qstr.values()),
    }


def run() -> dict[str, object]:
    m = model.Model()
    out = heap(m)
    out.update(cpu.budget())
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
