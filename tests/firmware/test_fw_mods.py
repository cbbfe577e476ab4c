"""unknot.mods: import on use, drop after. On the board (and the board model's MicroPython
VM, where tests/firmware/test_board_model.py sees the protocol's modules gone after a
disconnection) `drop` forgets modules; on CPython it leaves them loaded (the host's facade
holds them), which is checked here, with the forgetting itself (`_forget`)."""

from __future__ import annotations

import sys
import types

from unknot import fwload


def test_forget_removes_the_module_and_its_package_attribute() -> None:
    mods = fwload.module("mods")
    pkg = fwload.core()
    probe = types.ModuleType(f"{fwload.PACKAGE}.zz_probe")
    sys.modules[probe.__name__] = probe
    pkg.zz_probe = probe  # type: ignore[attr-defined]  # what an import leaves
    try:
        mods._forget(probe.__name__)
        assert probe.__name__ not in sys.modules and not hasattr(pkg, "zz_probe")
        mods._forget(probe.__name__)  # not loaded: nothing to do
    finally:
        sys.modules.pop(probe.__name__, None)
        if hasattr(pkg, "zz_probe"):
            del pkg.zz_probe


def test_on_the_host_drop_keeps_modules_and_load_imports_once() -> None:
    mods = fwload.module("mods")
    crc = fwload.module("crc")
    mods.drop("crc")
    assert mods.loaded("crc") and mods.load("crc") is crc
    assert mods.load("hw.boards") is sys.modules[f"{fwload.PACKAGE}.hw.boards"]
