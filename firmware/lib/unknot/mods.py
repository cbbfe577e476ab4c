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
them alive: drop the users first). The module's strings stay interned: MicroPython never
frees a qstr, and its qstr pool grows by doubling (a 1280-entry pool is ~9 KiB in one
piece), so `warm(names)` loads and drops modules once at boot, before the heap fragments,
to intern their names while a large block is still free; their later loads then need only
their code. On CPython (the host, the simulated device: package `unknot_fw`) `load` works
and `drop` and `warm` leave every module loaded: the host's facade (unknot.core) holds the
modules, and a second copy of one would bring a second set of its classes.
"""

import gc
import sys

_PKG = __name__.rsplit(".", 1)[0]  # "unknot" on the board, "unknot_fw" on the host
_DROPS = sys.implementation.name != "cpython"  # the board and the MicroPython VM
heap = []  # the free heap after each warm(): code.py's boot marks (report.MARKS)


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
    not loaded are ignored."""
    if not _DROPS:
        return
    for name in names:
        _forget(_full(name))
    if collect:
        gc.collect()


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


def warm(*names):
    """Load each module and drop it again with every package module it loaded (boot): its
    names are interned now, while the heap has large free blocks for the qstr pool, not
    later in a fragmented heap. A module that cannot load is skipped (the mode that needs it
    reports that when it is used). Then one collection, and the free heap after it is noted
    in `heap`: code.py also calls warm() with no module for its other boot marks (the
    self-test reports them: report.MARKS)."""
    if not _DROPS:
        return
    prefix = _PKG + "."
    for name in names:
        for full in _new_after(name, prefix):
            _forget(full)
    gc.collect()  # once: a collection costs CPU in proportion to the live heap
    heap.append(gc.mem_free())  # type: ignore[attr-defined]  # (CircuitPython has it)


def _new_after(name, prefix):
    """The package's modules that loading `name` brought in (the set of the ones before is
    gone once this returns)."""
    before = set(sys.modules)
    try:
        load(name)
    except Exception:
        pass
    return [m for m in sys.modules if m not in before and m.startswith(prefix)]
