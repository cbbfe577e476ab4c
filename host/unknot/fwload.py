"""The firmware core (firmware/lib/unknot) by module name, and CircuitPython's `aesio` stand-in.

The firmware package is called `unknot` on the device, which would clash with this host
package, so the host imports it as `unknot_fw`: an ordinary package, because
host/unknot_fw is a committed symlink to ../firmware/lib/unknot (next to host/unknot, so it
is importable wherever host/ is on the path: the editable install, PYTHONPATH=$PWD/host),
and the wheel packs that folder as `unknot_fw` (pyproject.toml). Firmware modules import
each other with relative imports only (`from .player import Player`), so the name works.
Host code imports it statically through the typed facade unknot.core; `module("hw.motor")`
is for the simulated device, tests and tools that pick a module by name.

Private constants: a firmware module's constant that no other firmware module uses is
`_NAME = const(v)`: on the board the compiler inlines it, so it costs no global and no
interned name (docs/firmware.md "Interned names"). The host uses many of them (opcodes,
status codes, sizes, field specs) under their public name, so on CPython every firmware
module is imported through `Publisher` (installed by `import unknot`): once it has run,
each of its `_NAME` ints, strings and bytes is also `NAME` (`publish`), which the stubs
(host/stubs/unknot_fw) describe and stubtest checks. The firmware itself never uses
another module's published name: it exists on CPython only (mypy on the firmware tree,
tests/firmware/test_fw_static.py, fails on such a use).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = "unknot_fw"
_PRIVATE_CONST = re.compile(r"_[A-Z][A-Z0-9_]*\Z")


def publish(module: ModuleType) -> None:
    """Each private constant `_NAME` (an int, str or bytes) of a firmware module also as
    `NAME`, unless the module has a `NAME` of its own."""
    names = vars(module)
    for name, value in list(names.items()):
        if type(value) in (int, str, bytes) and _PRIVATE_CONST.match(name) \
                and name[1:] not in names:
            setattr(module, name[1:], value)


class _Loader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        publish(module)


class Publisher(importlib.abc.MetaPathFinder):
    """Finds the firmware package's modules as the path finder does and loads them with a
    loader that publishes their private constants after they ran."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _Loader(spec.loader.name, spec.loader.path)
        return spec


def install_publisher() -> None:
    """Put `Publisher` first on sys.meta_path (once); publish the firmware modules loaded
    before it."""
    if not any(isinstance(f, Publisher) for f in sys.meta_path):
        sys.meta_path.insert(0, Publisher())
    for name, mod in list(sys.modules.items()):
        if name.startswith(PACKAGE + ".") and mod is not None:
            publish(mod)


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
