"""The whole firmware (core, journal, App, protocol, upload: tools/mp/fw_heap.py) must run
under the MicroPython VM in the harness floor + fw_heap.CEILING_KIB: a change that needs more
fails."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "mp"))
sys.path.insert(0, str(REPO / "tools"))

import bench_firmware  # noqa: E402
import fw_heap  # noqa: E402


def _lib(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, data in bench_firmware.library().items():
        (lib / name).write_bytes(data)
    return lib


def test_whole_firmware_fits_the_heap_ceiling(tmp_path: Path) -> None:
    runner = fw_heap.Runner(_lib(tmp_path))
    floor = runner.smallest([])
    ok, out = runner.run(floor + fw_heap.CEILING_KIB, fw_heap.GROUPS)
    assert ok, out[-2000:]
    # the ceiling is tight (the runner really measures): 4 KiB less is not enough
    ok, _ = runner.run(floor + fw_heap.CEILING_KIB - 4, fw_heap.GROUPS)
    assert not ok


def test_the_harness_floor_runs_no_firmware(tmp_path: Path) -> None:
    """The floor subtracted from fw_min_heap_kb is the VM and the runner only: with no group
    it fits where any group fails (what it measures holds no firmware module)."""
    runner = fw_heap.Runner(_lib(tmp_path))
    floor = runner.smallest([])
    assert runner.run(floor, [])[0]
    assert not runner.run(floor, ["core"])[0]
