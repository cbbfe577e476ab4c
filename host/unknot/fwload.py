"""The firmware core (firmware/lib/unknot) by module name, and CircuitPython's `aesio` stand-in.

The firmware package is called `unknot` on the device, which would clash with this host
package, so the host imports it as `unknot_fw`: an ordinary package, because
host/unknot_fw is a committed symlink to ../firmware/lib/unknot (next to host/unknot, so it
is importable wherever host/ is on the path: the editable install, PYTHONPATH=$PWD/host),
and the wheel packs that folder as `unknot_fw` (pyproject.toml). Firmware modules import
each other with relative imports only (`from .player import Player`), so the name works.
Host code imports it statically through the typed facade unknot.core; `module("hw.motor")`
is for the simulated device, tests and tools that pick a module by name.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = "unknot_fw"


def core() -> ModuleType:
    """Return the firmware core package (with the stand-ins CPython needs registered)."""
    standins()
    return importlib.import_module(PACKAGE)


def standins() -> None:
    """Register the modules the firmware imports on the board that CPython lacks."""
    _standin("aesio")


def _standin(name: str) -> None:
    """A CircuitPython module CPython lacks (aesio): the simulator's stand-in,
    host/unknot/sim/<name>.py, registered under the board's name (docs/security.md)."""
    if name in sys.modules:
        return
    path = Path(__file__).resolve().parent / "sim" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - broken install
        raise ImportError(f"stand-in {name} not found at {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)


def module(name: str) -> ModuleType:
    """Return a firmware core submodule, e.g. module("player")."""
    core()
    return importlib.import_module(f"{PACKAGE}.{name}")
