"""The self-test's report lines (docs/protocol.md "Self-test report"). Loaded when a
self-test ends (selftest.py) and dropped after: never resident, and its names are interned
only by a self-test.
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


# The report: "SELFTEST report <version>", a line per check, the heap line, the end line.
# Version 1 had neither the version line nor the heap line.
_REPORT_VERSION = const(2)
_HEAP = const("heap")  # "SELFTEST heap INFO start=<bytes> warm=... now=<bytes>" (or SKIP <why>)
_INFO = const("INFO")
# code.py's heap marks at boot (mods.heap, in this order): after `mods` alone, the core (the
# App's modules) with the warm-up of the on-use modules' names, make_app (hardware adapters,
# the App, the journal), BLE attached
MARKS = ("start", "warm", "app", "ble")


def report(test):
    """The report lines of the finished self-test `test` (unknot.selftest.SelfTest)."""
    from .selftest import FAIL, PASS, PREFIX, SKIP

    lines = [PREFIX + "report %d" % _REPORT_VERSION]
    for r in test.results:
        lines.append(PREFIX + "%s %s %s" % r)
    lines.append(PREFIX + _HEAP + " " + heap(SKIP))
    c = test.counts()
    lines.append(PREFIX + "end %d pass %d fail %d skip" % (c[PASS], c[FAIL], c[SKIP]))
    return lines


def heap(status):
    """The heap line's status and figures: the free heap (bytes, after a collection) at
    each of code.py's boot marks (MARKS) and now; `status` (SKIP) and why where there is no
    gc.mem_free (CPython: the simulated device)."""
    import gc

    from . import mods

    if not hasattr(gc, "mem_free"):
        return status + " no free-heap figures on this device"
    gc.collect()
    out = _INFO
    for i, free in enumerate(mods.heap[:len(MARKS)]):
        out += " %s=%d" % (MARKS[i], free)
    return out + " now=%d" % gc.mem_free()
