"""What the board writes for the computer outside the sync protocol's frames: the self-test's
report lines (docs/protocol.md "Self-test report") and boot.py's line in boot_out.txt on the
last start's BLE (docs/firmware.md "Without BLE"). Loaded when a self-test ends, at a start
whose BLE outcome differs from the one kept (hw.radio), and by boot.py (its own VM): never
resident, so its names and code cost the board's heap nothing between those moments.
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


from .settings import RADIO

# The report: "SELFTEST report <version>", a line per check, the heap line, the end line.
# Version 1 had neither the version line nor the heap line.
_REPORT_VERSION = const(2)
HEAP = "heap"  # "SELFTEST heap INFO start=<bytes> core=... now=<bytes>" (or SKIP <why>)
INFO = "INFO"
# code.py's heap marks at boot (mods.heap, in this order): after `mods` alone, the core (the
# App's modules) with the warm-up of the on-use modules' names, make_app (hardware adapters,
# the App, the journal), BLE attached
MARKS = ("start", "warm", "app", "ble")
# boot.py's line: BOOT_BLE + BOOT_BLE_OK, or BOOT_BLE + BOOT_BLE_FAILED + ": " + the reason
BOOT_BLE = "unknot boot: BLE "
BOOT_BLE_OK = "started at the last start"
BOOT_BLE_FAILED = "unavailable at the last start"


def report(test):
    """The report lines of the finished self-test `test` (unknot.selftest.SelfTest)."""
    from .selftest import FAIL, PASS, PREFIX, SKIP

    lines = [PREFIX + "report %d" % _REPORT_VERSION]
    for r in test.results:
        lines.append(PREFIX + "%s %s %s" % r)
    lines.append(PREFIX + HEAP + " " + heap(SKIP))
    c = test.counts()
    lines.append(PREFIX + "end %d pass %d fail %d skip" % (c[PASS], c[FAIL], c[SKIP]))
    return lines


def heap(skip):
    """The heap line's status and figures: the free heap (bytes, after a collection) at
    each of code.py's boot marks (MARKS) and now; `skip` and why where there is no
    gc.mem_free (CPython: the simulated device)."""
    import gc

    from . import mods

    if not hasattr(gc, "mem_free"):
        return skip + " no free-heap figures on this device"
    gc.collect()
    out = INFO
    for i, free in enumerate(mods.heap[:len(MARKS)]):
        out += " %s=%d" % (MARKS[i], free)
    return out + " now=%d" % gc.mem_free()


def keep(app, reason):
    """This start's BLE outcome ("" started, else why not: its first 64 characters) into
    the nvm image with the persisted settings (the settings.RADIO line; docs/journal.md
    "Layout"). Flash wear: written (with whatever else waits) only when it differs from the
    kept one in kind (started, or the exception type), so a board failing the same way at
    every start erases no page for it."""
    why = reason[:64].replace("\n", " ")
    kind = why.split(":")[0]
    kept = app.overrides
    old = kept.get(RADIO)
    if old is not None and old.split(":")[0] == kind:
        return
    for kept[RADIO] in (why, kind):  # the type alone if the settings leave no room
        try:
            app.journal.set_settings(app._blob())
            app.flush()
            return
        except ValueError:  # too large for the settings area
            pass
    kept.pop(RADIO)
    if old is not None:
        kept[RADIO] = old


def line(kept):
    """boot.py's line for the outcome kept (settings.RADIO's value; None: nothing kept)."""
    if kept is None:
        return None
    if not kept:
        return BOOT_BLE + BOOT_BLE_OK
    return BOOT_BLE + BOOT_BLE_FAILED + ": " + kept
