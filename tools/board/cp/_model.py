"""The board model's guest side (tools/board/README.md): the virtual clock, the link to the
host-side scenario (tools/board/scenario.py) through the VM's `host.call`, and the state the
stand-ins share. Imported by every stand-in; never by the firmware.

Each wait of the firmware (time.sleep, alarm.light_sleep_until_alarms) ends in `wait()`: the
host answers with the new time and commands (key events, a central's connect / write /
disconnect, a heap measurement, the end of the run). `UNKNOT_MODEL_SEED` (process env) varies
the allocation order: each wait leaves one short-lived bytearray of a seed-dependent size.
"""

import builtins
import gc

import micropython
from uos import getenv

import host

now_ns = 0
keys = None  # the firmware's keypad.Keys (key events from the host go to its queue)
control = None  # the PacketBuffer bound to a characteristic the central writes
connection = None  # the _bleio.Connection of the central, if connected
mtu = 23
_seed = int(getenv("UNKNOT_MODEL_SEED") or "0")
_qstr_list = 1 if getenv("UNKNOT_MODEL_QSTRS") else 0  # model.names(listed=True)
_collect = not getenv("UNKNOT_MODEL_NOGC")  # the CPU runs: unspilled VM, no collection
# The CPU runs mark where each wait starts and ends ("w0", "w1": no payload, nothing
# allocated), so a loop step's fuel leaves out the model's own wait (its formatting, the
# host call, the answer's parsing: about 2 board ms that the board spends in C or asleep).
_marks = not _collect
_junk = None
_pin_wake = False


_bytes = bytes


def _bytes_of(*args):
    """CircuitPython's bytes(x) calls x.__bytes__() (py/objstr.c bytes_make_new,
    CIRCUITPY-CHANGE; CircuitPython libraries rely on it); MicroPython's does not.
    (isinstance(x, bytes) no longer works: neither the firmware nor the library paths the
    model runs use it.)"""
    if len(args) == 1:
        to_bytes = getattr(args[0], "__bytes__", None)
        if to_bytes is not None:
            return to_bytes()
    return _bytes(*args)


builtins.bytes = _bytes_of


def cpu_run():
    """CPU runs only (no collection may run there: the unspilled VM's collector frees live
    objects, and a 32 MiB heap's sweep is not the board's): the collections the firmware
    asks for (unknot.mods, its one caller in normal use) are reported to the host, which
    refuses one in a playing loop step (scenario.py), instead of run."""
    if _marks:
        import _cpurun
        import unknot.mods

        unknot.mods.gc = _cpurun.Collections()


def _rand():
    global _seed
    _seed = (_seed * 1103515245 + 12345) & 0x7FFFFFFF
    return _seed


def call(name, payload=b""):
    return host.call(name, payload)


def shuffle_heap():
    """Seed-dependent allocations before the firmware starts (none for seed 0)."""
    if not _seed:
        return
    junk = [bytearray(_rand() % 64) for _ in range(_rand() % 40)]
    step = 2 + _rand() % 3
    for i in range(len(junk) - 1, -1, -step):
        junk.pop(i)  # holes between the survivors
    return junk


def _app():
    import sys

    return getattr(sys.modules.get("code"), "app", None)


def _playing(app):
    """1 while a routine plays or its last cue is still felt (App.busy)."""
    return 1 if app.busy() else 0


def wait(kind, ms):
    """The firmware waits `ms` (kind "s" sleep, "l" light sleep); returns True when a key
    press ended it early (a PinAlarm)."""
    global now_ns, _junk, _pin_wake
    if _marks:
        host.call("w0", "")  # the firmware's step ends here (the CPU runs only)
    if _seed:
        _junk = None
        _junk = bytearray(_rand() % 160)
    _pin_wake = False
    app = _app()
    if app is not None and app.errors:
        host.call("error", "%d %s" % (app.errors, app.last_error))
    playing = 0 if app is None else _playing(app)
    answer = host.call("wait", "%s%d %d %d %d" % (kind, now_ns // 1000000, ms, cues, playing))
    for cmd in answer.split("|"):
        if cmd:
            _command(cmd)
    if _marks:
        host.call("w1", "")  # and the next one starts here
    return _pin_wake


def _command(cmd):
    global now_ns, connection, mtu, _pin_wake
    op = cmd[0]
    if op == "t":
        now_ns = int(cmd[1:]) * 1000000
    elif op == "k":
        _pin_wake = True
        if keys is not None:
            keys.events._push(cmd[1] == "1", now_ns // 1000000)
    elif op == "c":
        import _bleio

        mtu = int(cmd[1:])
        connection = _bleio.Connection()
    elif op == "d":
        if connection is not None:
            connection._drop()
        connection = None
    elif op == "w":
        if control is not None:
            control._receive(cmd, 1)  # decoded into the packet buffer's ring
    elif op == "m":
        import sys

        host.call("mods", " ".join(sys.modules))
        if _collect:
            gc.collect()
        mods = sys.modules.get("unknot.mods")
        # then code.py's heap marks (mods.heap), measured before
        host.call("mem", "%s %d %d %s" % (cmd[1:], gc.mem_alloc(), gc.mem_free(),
                                          " ".join(str(m) for m in getattr(mods, "heap", ()))))
        # the interned names (qstrs): printed, the only way MicroPython reports them; the
        # host reads the lines from the guest's stdout (model.qstr_report)
        print("@qstr", cmd[1:])
        micropython.qstr_info(_qstr_list)  # 1: each name too, as Q(name) lines
    elif op == "x":
        raise SystemExit(0)


cues = 0  # motor starts, reported with every wait (no host call: it would allocate)


def motor_on():
    """A cue starts on the motor (PWM duty set, or the DRV2605's GO bit)."""
    global cues
    cues += 1
