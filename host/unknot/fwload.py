"""Load the firmware core (firmware/lib/unknot) into CPython under the name `unknot_fw`.

The firmware package is called `unknot` on the device, which would clash with this host
package, so the host loads it under another name. Firmware modules import each other with
relative imports only (`from .player import Player`), which makes the alias work.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from unknot.paths import firmware_dir

PACKAGE = "unknot_fw"


def core() -> ModuleType:
    """Return the firmware core package, loading it once."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    _standin("aesio")
    pkg_dir = firmware_dir() / "lib" / "unknot"
    spec = importlib.util.spec_from_file_location(
        PACKAGE, pkg_dir / "__init__.py", submodule_search_locations=[str(pkg_dir)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover - broken install
        raise ImportError(f"firmware core not found in {pkg_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module


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
