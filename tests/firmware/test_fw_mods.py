"""unknot.mods: import on use, drop after (the board runs it for real in the board model:
tests/firmware/test_board_model.py sees the protocol's modules gone after a disconnect)."""

from __future__ import annotations

import sys
import types

from unknot import fwload


def test_drop_forgets_the_module_and_its_package_attribute() -> None:
    mods = fwload.module("mods")
    pkg = fwload.core()
    probe = types.ModuleType(f"{fwload.PACKAGE}.zz_probe")
    sys.modules[probe.__name__] = probe
    pkg.zz_probe = probe  # type: ignore[attr-defined]  # what an import leaves
    try:
        assert mods.drop("zz_probe") is True
        assert probe.__name__ not in sys.modules and not hasattr(pkg, "zz_probe")
        assert mods.drop("zz_probe") is False  # not loaded: nothing to do
    finally:
        sys.modules.pop(probe.__name__, None)
        if hasattr(pkg, "zz_probe"):
            del pkg.zz_probe


def test_drop_leaves_an_attribute_that_is_not_the_module() -> None:
    mods = fwload.module("mods")
    pkg = fwload.core()
    name = f"{fwload.PACKAGE}.zz_other"
    sys.modules[name] = types.ModuleType(name)
    pkg.zz_other = "a value, not the module"  # type: ignore[attr-defined]
    try:
        assert mods.drop("zz_other") and name not in sys.modules
        assert pkg.zz_other == "a value, not the module"  # type: ignore[attr-defined]
    finally:
        del pkg.zz_other  # type: ignore[attr-defined]


def test_load_imports_once() -> None:
    mods = fwload.module("mods")
    assert mods.load("crc") is fwload.module("crc")
    assert mods.load("hw.boards") is sys.modules[f"{fwload.PACKAGE}.hw.boards"]
