"""Firmware benchmarks (run by tools/bench.py): `run() -> dict`.

- fw_unix64_min_heap_kb: on the 64-bit MicroPython unix port, NOT the board (the board's
  figures are tools/bench_board.py's fw_board_heap_*): the heap (KiB) the firmware core
  (as .mpy, see tools/mp/mpbuild.py, without hw/ or the adafruit libraries) adds to the
  harness floor: the smallest `micropython -X heapsize` (bisected) with which routines
  are decoded and played, 1000 journal records written and read, the App plays the library,
  the sync protocol serves INFO and the full history, and the library is uploaded over it
  and reloaded, less the smallest heap of the runner alone (tools/mp/fw_heap.py).
  fw_unix64_heap_kb_<group>: what each group (core, journal, app, protocol, upload) adds;
  fw_unix64_heap_kb_harness the floor (VM + runner), fw_unix64_heap_kb_with_harness the
  whole heap. Bisected, so a lucky low end: success is not monotonic in the heap size.
- fw_wakeups_per_idle_hour: App.step() calls in one simulated hour with no break due.
- fw_wakeups_per_routine_minute: App.step() calls per minute while playing the library.
- fw_cue_error_ms_max / _p99: cue send time minus its deadline, under MicroPython on the real
  clock (time.sleep_ms), over a short routine (~11 s) played twice.
- fw_hmac_ms: one sha256.hmac_sha256 of a 64-byte message under the MicroPython unix port with
  the firmware's own SHA-256 (unknot.sha256, what boards without hashlib use);
  fw_hmac_native_ms: the same with MicroPython's own hashlib. Measured on this machine's
  CPU; the board's figure is fw_cpu_ms_hmac (tools/bench_board.py, the board model).
- flash wear (fw_nvm_*) and what a power cut costs: tools/bench_nvm.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS / "mp"))

import fw_heap  # noqa: E402
import mpbuild  # noqa: E402
import unkbuild  # noqa: E402
from unknot.sim import simadapters as sa  # noqa: E402

_HMAC = r"""
import time
from unknot import sha256
key, msg = b"k" * 16, b"m" * 64
sha256.hmac_sha256(key, msg)
n = 50
t = time.ticks_us()
for _ in range(n):
    sha256.hmac_sha256(key, msg)
print(time.ticks_diff(time.ticks_us(), t) / n / 1000)
"""


def hmac_ms(tmp: Path, pure: bool) -> float:
    """fw_hmac_ms (pure=True) / fw_hmac_native_ms under the MicroPython unix port."""
    import os
    import subprocess

    (tmp / "hm").mkdir(exist_ok=True)
    (tmp / "hm" / "nohash").mkdir(exist_ok=True)
    (tmp / "hm" / "nohash" / "hashlib.py").write_text("raise ImportError('nRF: no hashlib')\n")
    script = tmp / "hm" / "hmac_bench.py"
    script.write_text(_HMAC)
    path = [str(REPO / "firmware" / "lib")]
    if pure:
        path.insert(0, str(tmp / "hm" / "nohash"))
    out = subprocess.run(["micropython", "-X", "heapsize=256k", str(script)],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, MICROPYPATH=":".join([*path, ".frozen"])))
    return round(float(out.stdout.strip()), 3)


SHORT = [(1, 0), (3, 0, 2, 10, 5, 10, 5), (5, 0, 4, 3, 2), (4, 0, 5), (2, 0)]


def library() -> dict[str, bytes]:
    from unknot.routine import compile_routine, load_file
    from unknot.routine.compile import file_name

    out = {file_name(p.stem): compile_routine(load_file(p))
           for p in sorted((REPO / "routines").glob("*.toml"))}
    return out or {file_name(n): unkbuild.build(s, slug=n) for n, s in unkbuild.SAMPLES.items()}


def _fw_app() -> type:
    from unknot import fwload

    return fwload.module("app").App  # type: ignore[no-any-return]


def wakeups_idle_hour() -> int:
    app = sa.make_app(_fw_app(), {}, nvm=sa.new_nvm(),
                      settings={"UNKNOT_MICRO_MIN": 90, "UNKNOT_REST_MIN": 120})
    clock = app.clock
    while True:
        d = app.safe_step()
        if d > 3_600_000:
            break
        clock.t = max(clock.t, d)
    return int(app.wakeups)


def wakeups_per_routine_minute(lib: dict[str, bytes]) -> float:
    app = sa.make_app(_fw_app(), dict(lib), nvm=sa.new_nvm(),
                      settings={"UNKNOT_MICRO_MIN": 0, "UNKNOT_REST_MIN": 0})
    total_ms = 0
    wake = 0
    for i in range(len(app.routines)):
        w0 = app.wakeups
        t0 = app.clock.t
        sa.play_all(app, i)
        wake += app.wakeups - w0
        total_ms += app.clock.t - t0
    return round(wake / (total_ms / 60000), 2)


def cue_errors(build: Path, tmp: Path, runs: int = 2) -> list[int]:
    path = tmp / "short.unk"
    path.write_bytes(unkbuild.build(SHORT, slug="short"))
    errors: list[int] = []
    for _ in range(runs):
        out = mpbuild.run(build, ["cues", str(path), "0"], heap="128k")
        errors += [int(line.split()[1]) for line in out.splitlines() if line.startswith("C ")]
    return errors


def run() -> dict[str, float | int]:
    lib = library()
    with tempfile.TemporaryDirectory(prefix="fwbench-") as tmp_s:
        tmp = Path(tmp_s)
        build = mpbuild.build(tmp / "mpy")
        lib_dir = tmp / "lib"
        lib_dir.mkdir()
        for name, data in lib.items():
            (lib_dir / name).write_bytes(data)
        errors = sorted(cue_errors(build, tmp))
        p99 = errors[min(len(errors) - 1, int(len(errors) * 0.99))]
        heap = fw_heap.measure(lib_dir)
        return {
            "fw_unix64_min_heap_kb": heap["total"],
            **{f"fw_unix64_heap_kb_{group}": kib for group, kib in heap.items()
               if group != "total"},
            "fw_wakeups_per_idle_hour": wakeups_idle_hour(),
            "fw_wakeups_per_routine_minute": wakeups_per_routine_minute(lib),
            "fw_cue_error_ms_max": max(errors),
            "fw_cue_error_ms_p99": p99,
            "fw_hmac_ms": hmac_ms(tmp, pure=True),
            "fw_hmac_native_ms": hmac_ms(tmp, pure=False),
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
