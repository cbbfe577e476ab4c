"""The whole firmware (core, journal, App, protocol, upload: tools/mp/fw_heap.py) must run
under the MicroPython VM in a heap of fw_heap.CEILING_KIB: a change that needs more fails."""

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
    ok, out = fw_heap.Runner(_lib(tmp_path)).run(fw_heap.CEILING_KIB, fw_heap.GROUPS)
    assert ok, out[-2000:]


def test_the_ceiling_is_tight(tmp_path: Path) -> None:
    """The runner really measures: 16 KiB less than the ceiling is not enough."""
    ok, _ = fw_heap.Runner(_lib(tmp_path)).run(fw_heap.CEILING_KIB - 16, fw_heap.GROUPS)
    assert not ok
