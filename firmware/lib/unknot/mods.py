"""Import on use, drop after: the one place the firmware forgets a module.

A module that is needed only in one mode (the sync protocol while a central is connected,
hw/ble.py) is imported when the mode starts and dropped when it ends, so its code and
constants leave the heap. MicroPython keeps a module alive through `sys.modules` and the
attribute its parent package got at import (`unknot.proto`); `drop` removes both, and once
nothing else refers to the module, the next collection frees it. What it never gives back:
the qstrs (names) the module interned, kept for the VM's life, so a module dropped and loaded
again costs its code once more but its names only once.

Names are relative to the core package: `drop("proto")` forgets `unknot.proto` on the
board (the host loads the core as `unknot_fw`). Never drop a module whose objects are still
in use elsewhere: they keep working, but a later import makes a second copy.
"""

import sys

_PKG = __name__[: __name__.rfind(".")]  # "unknot" on the board


def load(name):
    """The core module `name` ("proto", "hw.ble"), imported if it is not loaded."""
    full = _PKG + "." + name
    mod = sys.modules.get(full)
    if mod is None:
        __import__(full)
        mod = sys.modules[full]
    return mod


def drop(name):
    """Forget the core module `name` (sys.modules and its package's attribute); returns
    whether it was loaded. The caller collects (gc.collect()) when it has dropped all."""
    full = _PKG + "." + name
    mod = sys.modules.get(full)
    if mod is None:
        return False
    del sys.modules[full]
    i = full.rfind(".")
    parent = sys.modules.get(full[:i])
    child = full[i + 1 :]
    if parent is not None and getattr(parent, child, None) is mod:
        delattr(parent, child)
    return True
