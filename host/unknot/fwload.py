"""The firmware core (firmware/lib/unknot) by module name, for callers that pick it at run time.

The firmware package is called `unknot` on the device, which would clash with this host
package, so the host imports it as `unknot_fw`: an ordinary package, because
host/unknot_fw is a committed symlink to ../firmware/lib/unknot (next to host/unknot, so it
is importable wherever host/ is on the path: the editable install, PYTHONPATH=$PWD/host),
and the wheel packs that folder as `unknot_fw` (pyproject.toml). Firmware modules import
each other with relative imports only (`from .player import Player`), so the name works.
Host code with a fixed module imports it statically (`from unknot_fw import app`, or the
typed facade unknot.core); `module("hw.motor")` is for tests and tools that choose by name.
"""

from __future__ import annotations

import importlib
from types import ModuleType

PACKAGE = "unknot_fw"


def core() -> ModuleType:
    """Return the firmware core package."""
    return importlib.import_module(PACKAGE)


def module(name: str) -> ModuleType:
    """Return a firmware core submodule, e.g. module("player")."""
    return importlib.import_module(f"{PACKAGE}.{name}")
