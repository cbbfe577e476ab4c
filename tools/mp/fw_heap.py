"""Heap needed by the firmware core under the 64-bit MicroPython unix port (the
`fw_unix64_min_heap_kb` benchmark, tools/bench_firmware.py), by module group. Not the board:
the board's figures come from the board model (tools/board/, fw_board_heap_*).

    python tools/mp/fw_heap.py [--py] [--json]   (bisects the heap size per group)

The runner is tools/mp/fw_heap_run.py: `micropython -X heapsize=N -m fw_heap_run LIB GROUP...`
runs the named groups in this order, each on top of the previous ones (what a group leaves
alive stays alive, as on the board), and prints "OK" at the end:

  core      decode every LIB/*.unk and play it through a Player (routine, patterns, player)
  journal   1000 records appended to a Journal in the nvm, re-opened, every record read
  app       the App (settings, gestures, reminders, library, store) plays every routine
  protocol  a proto.Protocol on the App: INFO, SET_CLOCK, a full history read (DATA...END,
            count and stream CRC checked)
  upload    LIB uploaded as one archive in MTU-sized chunks (streamed to the storage's
            staging area), committed, the routines reloaded, the first one played again

Run by CPython it bisects `micropython -X heapsize=N` (KiB) over the cumulative group lists:
"core", "core journal", ... ; a group's figure is the growth it adds.

`fw_unix64_min_heap_kb` (`total`) is the heap the firmware adds to the harness floor: the smallest
heap for all groups (`with_harness`) less the smallest heap for the runner with no group
(`harness`: the VM, about 3 KiB, and the runner's own code and adapter stand-ins, which import
no firmware module). The floor is independent of the firmware: padding the runner with 8 KiB
of constants raises `harness` and `with_harness` by 8 and leaves every group as it was.
The unix port is 64-bit, so objects are about twice their size on the nRF52840. The
firmware is compiled with mpy-cross first (tools/mp/mpbuild.py) as the other benchmarks do;
--py imports the .py sources instead (the compiler then needs heap too). The adapters here
are the smallest that drive the App.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GROUPS = ("core", "journal", "app", "protocol", "upload")
MP = Path(__file__).resolve().parent


HOST_CONSTANTS = {"proto": ("F_DATA", "OP_READ", "OP_SET_CLOCK", "OP_UPLOAD_BEGIN",
                            "OP_UPLOAD_CHUNK", "OP_UPLOAD_COMMIT", "OP_AUTH_BEGIN", "OP_AUTH",
                            "REQ_SET_CLOCK", "REQ_READ", "REQ_AUTH_BEGIN", "REQ_AUTH", "END"),
                  "upload": ("REQ_UPLOAD_BEGIN", "REQ_UPLOAD_CHUNK", "ARCHIVE_ENTRY"),
                  "auth": ("NONCE_SIZE",)}


def _host_constants() -> str:
    """fw_heap_host.py: HOST_CONSTANTS' values from the firmware core (unknot.core)."""
    from unknot import core

    return "".join(f"{name} = {getattr(getattr(core, mod), name)!r}\n"
                   for mod, names in HOST_CONSTANTS.items() for name in names)


class Runner:
    """Runs tools/mp/fw_heap_run.py under `micropython -X heapsize` over a copy of `lib`
    (a directory of .unk files; the upload group rewrites it)."""

    def __init__(self, lib: Path, use_py: bool = False) -> None:
        self.lib = Path(lib)
        self.tmp = Path(tempfile.mkdtemp(prefix="fwheap-"))
        if use_py:
            repo = MP.parent.parent  # the shim's nvm is host/unknot/sim/simnvm.py
            path = os.pathsep.join([str(MP / "shims"), str(repo / "firmware" / "lib"),
                                    str(repo / "host" / "unknot" / "sim")])
        else:
            sys.path.insert(0, str(MP))
            import mpbuild

            path = str(mpbuild.build(self.tmp / "mpy"))
        # the runner as .mpy too: compiling it would take heap the firmware does not need
        subprocess.run(["mpy-cross", "-o", str(self.tmp / "fw_heap_run.mpy"),
                        str(MP / "fw_heap_run.py")], check=True, capture_output=True)
        # the protocol constants the runner's host side sends: private in the firmware
        # (`_OP_READ = const(..)`: no name on MicroPython), published on CPython (unknot.fwload)
        (self.tmp / "fw_heap_host.py").write_text(_host_constants())
        subprocess.run(["mpy-cross", "-o", str(self.tmp / "fw_heap_host.mpy"),
                        str(self.tmp / "fw_heap_host.py")], check=True, capture_output=True)
        (self.tmp / "fw_heap_host.py").unlink()
        self.path = str(self.tmp) + os.pathsep + path
        self.work = self.tmp / "lib"
        self.work.mkdir()

    def run(self, kib: int, groups: list[str] | tuple[str, ...]) -> tuple[bool, str]:
        for f in self.work.iterdir():  # files, and the set folders an upload made
            if f.is_dir():
                shutil.rmtree(f)
            else:
                f.unlink()
        for f in self.lib.glob("*.unk"):
            (self.work / f.name).write_bytes(f.read_bytes())
        env = dict(os.environ, MICROPYPATH=self.path, UNKNOT_MP_NVM=str(self.tmp / "nvm.bin"))
        cmd = ["micropython", "-X", f"heapsize={kib}k", "-m", "fw_heap_run", str(self.work),
               *groups]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        ok = proc.returncode == 0 and proc.stdout.strip().endswith("OK")
        return ok, proc.stdout + proc.stderr

    def smallest(self, groups: list[str] | tuple[str, ...], lo: int = 4, hi: int = 256) -> int:
        if not self.run(hi, groups)[0]:
            raise RuntimeError(f"micropython fails even at {hi} KiB with {groups}")
        while lo < hi:
            mid = (lo + hi) // 2
            if self.run(mid, groups)[0]:
                hi = mid
            else:
                lo = mid + 1
        return hi


def measure(lib: Path, use_py: bool = False) -> dict[str, int]:
    """{"harness": KiB, "core": KiB, ..., "with_harness": KiB, "total": KiB}: the smallest
    heap for the harness alone, then the growth each group adds on top of the previous ones;
    `with_harness` is the smallest heap for all groups, `total` what the firmware adds to the
    harness (fw_unix64_min_heap_kb: the sum of the groups)."""
    r = Runner(lib, use_py)
    out = {"harness": r.smallest([])}
    prev = out["harness"]
    for i, group in enumerate(GROUPS):
        kib = r.smallest(GROUPS[: i + 1])
        out[group] = kib - prev
        prev = kib
    out["with_harness"] = prev
    out["total"] = prev - out["harness"]
    return out


def _host_main(argv: list[str]) -> None:
    import json

    sys.path.insert(0, str(MP.parent))
    import bench_firmware

    lib = Path(tempfile.mkdtemp(prefix="fwlib-"))
    for name, data in bench_firmware.library().items():
        (lib / name).write_bytes(data)
    result = measure(lib, use_py="--py" in argv)
    print(json.dumps(result) if "--json" in argv else result)


if __name__ == "__main__":
    _host_main(sys.argv[1:])
