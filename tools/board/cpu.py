"""The board's CPU budget from wasmtime fuel (docs/firmware.md "CPU budget").

Fuel counts executed wasm instructions, with a heap so large that no garbage collection
runs (a collection's cost depends on the heap's size), on the unspilled VM: spilling adds
instructions the board never executes (29 % on the HMAC snippet), and FUEL_PER_MS was
calibrated on the unspilled VM. Without a collection the unspilled VM is safe (its collector
is what frees live objects); `scenario_costs` checks that none ran (the heap in use never
drops between two phases). Until issue 16's cue work the scenario ran on the spilled VM
with an 8 MiB heap: a collection ran there in long runs (a 741 ms "step") and the unspilled
VM broke (a NameError after the routine phase) -- both were that collection.
The scenario's runs (scenario.CPU_PHASES) add the `linked` phase: a routine played while a
central follows. Its loop steps, wait to wait less the model's own wait (cp/_model.py
`_marks`), are fw_cpu_ms_cue_max's; tools/board/profile.py says where a step's fuel goes.
FUEL_PER_MS converts to milliseconds on an nRF52840 at 64 MHz; its derivation from published
timings is in docs/firmware.md.

    python tools/board/cpu.py            prints the fw_cpu_ms_* keys (JSON)

Reusable: `Meter().fuel(snippet, setup)` is the fuel of one guest snippet run on the board
model's drive (the firmware's modules on the path, the stand-ins in place: no hashlib), per
call, e.g. `Meter().ms("sha256.hmac_sha256(k, m)", "from unknot import sha256\\nk=b'k'*16...")`.
The scenario's marks (scenario.Record.marks / steps) give the per-phase costs.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

BOARD_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BOARD_DIR))

import model  # noqa: E402
import scenario  # noqa: E402

# wasm instructions per board millisecond (docs/firmware.md "CPU budget"; 55,000-85,000)
FUEL_PER_MS = 63_000
BIG_HEAP_KIB = 32768  # no collection runs in any measured span (the linked phase allocates)

_SNIPPET = """
import _model
{setup}
_model.call("mark", "a")
for _ in range({n}):
    {snippet}
_model.call("mark", "b")
"""


class Meter:
    """Fuel counts on the board model's drive, unspilled VM, large heap."""

    def __init__(self, m: model.Model | None = None) -> None:
        self.model = m or model.Model(spilled=False)
        self.c_calls = scenario.CCalls()  # aesio charged as the board's C

    def fuel(self, snippet: str, setup: str = "", n: int = 10,
             board: str = "feather_nrf52840") -> float:
        """Fuel of one run of `snippet` (mean over `n`), after `setup`."""
        marks: list[int] = []

        def handler(name: str, payload: bytes, fuel: int) -> str | tuple[str, int]:
            if name == "mark":
                marks.append(fuel)
            c = self.c_calls.handle(name, payload, fuel)
            return "" if c is None else c

        d = self.model.drive
        d.reset(board)
        script = d.root / "meter.py"
        script.write_text(_SNIPPET.format(setup=setup, snippet=snippet, n=n))
        env = {"MICROPYPATH": "/.model:/:/lib", "UNKNOT_MODEL_BOARD": board}
        res = self.model.guest.run(["/meter.py"], BIG_HEAP_KIB, root=d.root, env=env,
                                   handler=handler)
        if not res.ok or len(marks) != 2:
            raise RuntimeError(f"meter failed: {res.error} {res.stdout[-500:]}"
                               f"{res.stderr[-1500:]}")
        return (marks[1] - marks[0]) / n

    def ms(self, snippet: str, setup: str = "", n: int = 10) -> float:
        return round(self.fuel(snippet, setup, n) / FUEL_PER_MS, 2)


HMAC_SETUP = "from unknot import sha256\nkey, msg = b'k' * 16, b'm' * 64"
HMAC = "sha256.hmac_sha256(key, msg)"


def _ms(fuel: float) -> float:
    return round(fuel / FUEL_PER_MS, 1)


def scenario_costs(m: model.Model, board: str) -> dict[str, float]:
    """The fw_cpu_ms_* keys of one board from one scenario run (no collection runs)."""
    run = m.run(board, BIG_HEAP_KIB)
    if not run.ok:
        raise RuntimeError(f"{board}: scenario failed: {run.error}")
    if run.record.playing_collections:
        raise RuntimeError(f"{board}: the firmware asked for {run.record.playing_collections}"
                           " collection(s) in a loop step while a routine played")
    used = [alloc for alloc, _free in run.record.heap.values()]
    if any(b < a for a, b in itertools.pairwise(used)):
        raise RuntimeError(f"{board}: a collection ran in the CPU run (heap in use {used})")
    floor = m.run(board, BIG_HEAP_KIB, floor=True)
    marks = run.record.marks
    return {
        "fw_cpu_ms_boot": _ms(marks["boot"] - floor.record.marks.get("boot", 0)),
        "fw_cpu_ms_auth": _ms(marks["auth"]),
        "fw_cpu_ms_request": _ms(marks["request"]),
        "fw_cpu_ms_sync_1000": _ms(marks["read"] * 1000 / max(1, marks["read_records"])),
        "fw_cpu_ms_cue_max": _ms(max(run.record.steps)),
    }


def budget() -> dict[str, float]:
    """Every fw_cpu_ms_* key: the worst board for the scenario costs."""
    m = model.Model(spilled=False, collect=False, phases=scenario.CPU_PHASES)
    out: dict[str, float] = {}
    for board in model.BOARDS:
        m.learn(board, m.run(board, BIG_HEAP_KIB))
        for key, value in scenario_costs(m, board).items():
            out[key] = max(out.get(key, 0.0), value)
    out["fw_cpu_ms_hmac"] = Meter().ms(HMAC, HMAC_SETUP)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(budget(), indent=2))
