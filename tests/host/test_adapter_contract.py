"""The adapter contract (unknot.adapters) against both adapter sets, and the host package's
import layering (no cycles between its packages; the simulated device never imports the
host's BLE client)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from unknot import adapters
from unknot.sim import simadapters as sa
from unknot.sim.scaledclock import ScaledClock, ScaledSleeper

REPO = Path(__file__).resolve().parents[2]
HOST = REPO / "host" / "unknot"
HW = REPO / "firmware" / "lib" / "unknot" / "hw"


def _sim_set(tmp_path: Path) -> list[tuple[object, type]]:
    clock = sa.VirtualClock()
    return [
        (clock, adapters.Clock),
        (ScaledClock(3.0), adapters.Clock),
        (sa.RecordingMotor(clock), adapters.Motor),
        (sa.QueueButton(clock), adapters.Button),
        (sa.DictStorage(), adapters.Storage),
        (sa.DirStorage(str(tmp_path / "routines")), adapters.Storage),
        (sa.new_nvm(), adapters.Nvm),
        (sa.new_nvm(path=str(tmp_path / "nvm.bin")), adapters.Nvm),
        (sa.VirtualSleeper(clock), adapters.Sleeper),
        (ScaledSleeper(ScaledClock()), adapters.Sleeper),
        (sa.NullWatchdog(), adapters.Watchdog),
        (sa.SimChecks(), adapters.Checks),
    ]


def test_sim_adapters_satisfy_the_contract(tmp_path: Path) -> None:
    for adapter, protocol in _sim_set(tmp_path):
        assert isinstance(adapter, protocol), (type(adapter).__name__, protocol.__name__)


# The board's adapters (CircuitPython, not importable here): class -> Protocol.
BOARD = {
    "clock.py": {"Clock": adapters.Clock},
    "motor.py": {"DrvMotor": adapters.EnvelopeMotor, "PwmMotor": adapters.EnvelopeMotor,
                 "NoMotor": adapters.EnvelopeMotor},
    "checks.py": {"BoardChecks": adapters.Checks},
    "button.py": {"KeypadButton": adapters.Button},
    "system.py": {"Sleeper": adapters.Sleeper, "Watchdog": adapters.Watchdog,
                  "Battery": adapters.Battery},
    # the board's storage (hw/system.py drive_storage) is the core's routine-set store
    "../sets.py": {"SetStore": adapters.Storage},
}


def _methods(protocol: type) -> dict[str, list[str]]:
    """Protocol method -> its parameter names (self first)."""
    out = {}
    for cls in protocol.__mro__:
        for name, fn in vars(cls).items():
            if inspect.isfunction(fn) and (not name.startswith("_") or name in
                                           ("__len__", "__getitem__", "__setitem__")):
                out.setdefault(name, list(inspect.signature(fn).parameters))
    return out


@pytest.mark.parametrize("filename", sorted(BOARD))
def test_board_adapters_define_the_contract(filename: str) -> None:
    tree = ast.parse((HW / filename).read_text())
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for cls_name, protocol in BOARD[filename].items():
        defs: dict[str, list[str]] = {}
        chain = [classes[cls_name]]  # the class, then its bases defined in the same file
        while chain:
            cls = chain.pop(0)
            for f in cls.body:
                if isinstance(f, ast.FunctionDef):
                    defs.setdefault(f.name, [a.arg for a in f.args.args])
            chain += [classes[b.id] for b in cls.bases
                      if isinstance(b, ast.Name) and b.id in classes]
        for method, params in _methods(protocol).items():
            assert method in defs, f"hw/{filename} {cls_name} lacks {method}()"
            assert defs[method] == params, (f"hw/{filename} {cls_name}.{method}", params)


def _package_imports() -> dict[str, set[str]]:
    """unknot's first-level packages/modules -> those they import (anywhere in a file)."""

    def node(module: str) -> str:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else "unknot"

    edges: dict[str, set[str]] = {}
    for path in HOST.rglob("*.py"):
        src = node(".".join(path.relative_to(HOST.parent).with_suffix("").parts))
        for n in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in n.names] if isinstance(n, ast.Import) else
                     [n.module] if isinstance(n, ast.ImportFrom) and n.module and not n.level
                     else [])
            for name in names:
                if name.startswith("unknot.") and node(name) != src:
                    edges.setdefault(src, set()).add(node(name))
    return edges


def test_no_import_cycles_between_packages() -> None:
    edges = _package_imports()

    def reaches(a: str, b: str) -> bool:
        seen, todo = set(), [a]
        while todo:
            x = todo.pop()
            if x == b:
                return True
            seen.add(x)
            todo.extend(edges.get(x, set()) - seen)
        return False

    cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if reaches(b, a)})
    assert cycles == []
    assert "ble" not in edges["sim"]  # the simulated device side never imports the BLE client
