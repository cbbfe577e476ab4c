"""Import on use, drop after: the one place the firmware loads a module for one mode (a
routine playing, a BLE session, an upload, a pairing, the self-test, the boot-time journal
recovery) and lets its code go again (docs/firmware.md "Heap budget").

    from . import mods
    upload = mods.load("upload")      # unknot.upload (names are relative to this package)
    ...
    mods.drop("upload")                # gone from sys.modules and from the package; collected

`drop` removes the module from `sys.modules` and the package's attribute, then collects:
its code and constants are freed once nothing else refers to them (an object of one of its
classes, a function kept somewhere, another loaded module that imported names from it keeps
them alive: drop the users first). The module's names stay interned: MicroPython never
frees a qstr (docs/firmware.md "Interned names": the firmware's names, every module
loaded once, stay under the line where the qstr pool would need a ~9 KiB block). On
CPython (the host, the simulated device: package `unknot_fw`) `load` works and `drop`
leaves every module loaded: the host's facade (unknot.core) holds the modules, and a second
copy of one would bring a second set of its classes.
"""

import gc
import sys

_PKG = __name__.rsplit(".", 1)[0]  # "unknot" on the board, "unknot_fw" on the host
_DROPS = sys.implementation.name != "cpython"  # the board and the MicroPython VM
heap = []  # the free heap after each drop() of no module: code.py's boot marks (selftest)


def _full(name):
    return _PKG + "." + name


def load(name):
    """The module `name` (relative to the package: "upload", "hw.ble"), imported if needed."""
    full = _full(name)
    mod = sys.modules.get(full)
    if mod is None:
        __import__(full)
        mod = sys.modules[full]
    return mod


def loaded(name):
    return _full(name) in sys.modules


def drop(*names, collect=True):
    """Forget the modules `names` (relative, as for load), then collect unless `collect` is
    False (a step that must stay short: the next automatic collection frees them). Names
    not loaded are ignored. With no module, the collection alone, and the free heap after it
    noted in `heap`: code.py's heap marks at boot (the self-test reports them)."""
    if not _DROPS:
        return
    for name in names:
        _forget(_full(name))
    if collect:
        gc.collect()
        if not names:
            heap.append(gc.mem_free())  # type: ignore[attr-defined]  # (CircuitPython has it)


def _forget(full):
    if sys.modules.pop(full, None) is None:
        return
    parent, _, leaf = full.rpartition(".")
    holder = sys.modules.get(parent)
    if holder is not None:
        try:
            delattr(holder, leaf)
        except (AttributeError, TypeError):
            pass
