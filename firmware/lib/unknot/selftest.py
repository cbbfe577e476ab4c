"""Board bring-up self-test (docs/firmware.md, "Self-test"): hardware-free logic, driven by
the app loop like the player (deadlines, no busy waiting, no blocking).

Entered by a long press that starts 0.3-10 s after boot (`App`), by `App.post(("selftest",))`
(the BLE control op SELFTEST, `unknot device selftest --port` through the REPL) or by the
simulated device. It prints what it does on the console (`out`, default `print`):

    selftest: start
    cue begin: routine starts            <- every cue of the vocabulary, played in turn
    ...
    selftest: press the button now (15 s)
    selftest: press the button to wake the board from light sleep (15 s)
    SELFTEST motor PASS DRV2605 on I2C 0x5A, ROM library 1
    ...                                  <- one line per check: PASS / FAIL / SKIP + detail
    SELFTEST end 7 pass 0 fail 1 skip

Hardware checks go through `app.checks` (simulated device: unknot.selftest on the host), an
object, or on the board the name of the module that builds it ("hw.checks": its
`BoardChecks(app)`, loaded for the test and dropped with it, mods.py), with
- motor() -> (ok, detail): the driver answered (DRV2605 on I2C, or the PWM pin);
- ble() -> (status, detail): advertising (or connected), or why not;
- sleep_counts() -> (light sleeps, wakes by the button) or None without light sleep.
Without `app.checks` those checks are SKIP. The rest uses the App's own adapters: the motor
plays the cues, the button and the nvm journal are the App's, the battery is `app.battery_source`.
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from . import mods, patterns

# The SELFTEST control op (proto.OP_SELFTEST, docs/protocol.md); here, not in proto.py, so
# the protocol's heap does not carry them until the op is used.
# Field specs (wire.py).
# what: SELFTEST_START, or SELFTEST_REPORT with an offset into the report text
_REQ_SELFTEST = const("op:B what:B")
_REQ_SELFTEST_REPORT = const("op:B what:B offset:H")
# payload: state, report length; the report bytes [offset:] follow
_RESP_SELFTEST = const("state:B length:H")
_SELFTEST_START = const(0)
_SELFTEST_REPORT = const(1)
_SELFTEST_NONE = const(0)  # states in RESP_SELFTEST: never run since boot
_SELFTEST_RUNNING = const(1)
_SELFTEST_DONE = const(2)  # the report is complete

_PASS = const("PASS")
_FAIL = const("FAIL")
_SKIP = const("SKIP")
PREFIX = "SELFTEST "  # report lines start with this (the host reads them)
# The report (docs/protocol.md "Self-test report"): "SELFTEST report <version>", a line per
# check, the heap line, the end line. Version 1 had neither the version line nor the heap
# line. The heap line: "SELFTEST heap INFO start=<bytes> core=... now=<bytes>" (or SKIP
# <why>), the free heap after a collection at code.py's boot marks (mods.heap), named in
# order by _MARKS: after `mods` alone, the core (the App's modules), make_app (hardware
# adapters, the App, the journal), BLE attached.
_REPORT_VERSION = const(2)
_HEAP = const("heap")
_INFO = const("INFO")
_MARKS = const("start core app ble")
CHECKS = ("motor", "nvm", "battery", "ble", "cues", "button", "sleep")
_CUE_GAP_MS = const(700)  # silence between two cues
_WAIT_MS = const(15000)  # for the wearer to press the button
_BATTERY_MIN_MV = const(3000)
_BATTERY_MAX_MV = const(4500)

_CUES = const(0)
_BUTTON = const(1)
_SLEEP = const(2)
_DONE = const(3)


class SelfTest:
    def __init__(self, app, now, out=print):
        self.app = app
        self.out = out
        checks = app.checks
        if isinstance(checks, str):  # the board's (hw/checks.py): loaded for the test only
            checks = mods.load(checks).BoardChecks(app)
        self.checks = checks
        self.results = []  # (check, status, detail) in CHECKS order once done
        self._by_name = {}
        self.state = _CUES
        self._cue = 0
        self._deadline = now
        self._pressed_at = None
        self._sleep0 = None
        out("selftest: start")
        self._record("motor", *self._motor())
        self._record("nvm", *self._nvm())
        self._record("battery", *self._battery())
        self._record("ble", *self._ble())

    # -- the app loop ------------------------------------------------------------------
    @property
    def done(self):
        return self.state == _DONE

    @property
    def waiting_for_press(self):
        """True while the wearer is asked to press the button (the simulator presses)."""
        return self.state == _BUTTON or self.state == _SLEEP

    def idle(self):
        """The board may light-sleep: only while waiting for the wake-up press."""
        return self.state == _SLEEP

    def on_press(self, t):
        """A key-down (time t) while the self-test runs."""
        if self.waiting_for_press and self._pressed_at is None:
            self._pressed_at = t

    def poll(self, now):
        """Run what is due; returns the next deadline (ms) or None when done."""
        if self.state == _CUES:
            if now < self._deadline:
                return self._deadline
            names = patterns.CUES
            if self._cue < len(names):
                name = names[self._cue]
                self._cue += 1
                self.out("cue %s: %s" % (name, patterns.meaning(name)))
                self.app.motor.play(name)
                self._deadline = now + patterns.duration_ms(name) + _CUE_GAP_MS
                return self._deadline
            self._record("cues", _PASS, "%d cues played; each should feel different" % len(names))
            self._ask(now, _BUTTON, "press the button now")
        if self.state == _BUTTON:
            if self._pressed_at is not None:
                waited = self._pressed_at - self._asked
                self._record("button", _PASS, "pressed after %d ms" % waited)
                counts = self._sleep_counts()
                if counts is None:
                    self._record("sleep", _SKIP, self._no_sleep_reason())
                    self._finish()
                    return None
                self._sleep0 = counts
                self._ask(now, _SLEEP, "press the button to wake the board from light sleep")
            elif now >= self._deadline:
                self._record("button", _FAIL, "no press within %d s" % (_WAIT_MS // 1000))
                self._record("sleep", _SKIP, "needs the button")
                self._finish()
                return None
            else:
                return self._deadline
        if self.state == _SLEEP:
            if self._pressed_at is not None:
                self._record("sleep", *self._slept(now))
                self._finish()
                return None
            if now >= self._deadline:
                self._record("sleep", _FAIL, "no wake by the button within %d s"
                             % (_WAIT_MS // 1000))
                self._finish()
                return None
            return self._deadline
        return None

    # -- checks ------------------------------------------------------------------------
    def _motor(self):
        checks = self.checks
        if checks is None:
            return _SKIP, "no hardware checks on this device"
        ok, detail = checks.motor()
        return (_PASS if ok else _FAIL), detail

    def _nvm(self):
        """Non-destructive: the journal image is written again through its power-safe path
        (the other copy, as a settings write does: one page erase) when the day's host
        writes allow it (app.spend_host_write: a host looping the self-test cannot wear the
        flash), every stored record is read back (CRC checked in place), and recovering the
        nvm from scratch must find the same image."""
        app = self.app
        j = app.journal
        if j.refused is not None:
            return _FAIL, j.refused
        try:
            wrote = app.spend_host_write(app.clock.now_ms())
            if wrote:
                j.pending = True  # the same records, settings and boot (and held ones)
                j.flush()
            bad = 0
            for seq in range(j.tail, j.head):
                if j.read(seq) is None:
                    bad += 1
            state = (j.head, j.count, j.held, j.boot, j.settings)
            j.recover()  # read the newest valid image (and the RAM hold) again, from scratch
            same = (j.head, j.count, j.held, j.boot, j.settings) == state
        except Exception as exc:
            return _FAIL, "nvm error: %r" % (exc,)
        if bad:
            return _FAIL, "%d of %d records do not read back" % (bad, len(j))
        if not same:
            return _FAIL, "a fresh read of the nvm differs from the journal in use"
        how = "rewritten and read back" if wrote else (
            "read back (not rewritten: the day's host writes are spent)")
        return _PASS, "journal image %s: %d records (seq %d..%d), boot %d" % (
            how, len(j), j.tail, j.head, j.boot)

    def _battery(self):
        source = self.app.battery_source
        if source is None:
            return _SKIP, "no battery monitor on this device"
        mv = source.millivolts()
        if mv is None:
            return _FAIL, "no reading"
        if _BATTERY_MIN_MV <= mv <= _BATTERY_MAX_MV:
            return _PASS, "%d mV" % mv
        return _FAIL, "%d mV is outside %d..%d mV (divider or pin wrong?)" % (
            mv, _BATTERY_MIN_MV, _BATTERY_MAX_MV)

    def _ble(self):
        checks = self.checks
        if checks is None:
            return _SKIP, "no hardware checks on this device"
        return checks.ble()

    def _sleep_counts(self):
        checks = self.checks
        return None if checks is None else checks.sleep_counts()

    def _no_sleep_reason(self):
        if self.checks is None:
            return "no hardware checks on this device"
        return "light sleep not available (no alarm module, or a BLE central is connected)"

    def _slept(self, now):
        sleeps, wakes = self._sleep_counts() or (0, 0)
        s0, w0 = self._sleep0
        if sleeps > s0 and wakes > w0:
            return _PASS, "light sleep, woke by the button after %d ms" % (
                self._pressed_at - self._asked)
        if sleeps == s0:
            return _FAIL, "pressed, but the board never entered light sleep"
        return _FAIL, "slept, but the wake was not by the button"

    # -- helpers -----------------------------------------------------------------------
    def _ask(self, now, state, what):
        self.state = state
        self._pressed_at = None
        self._asked = now
        self._deadline = now + _WAIT_MS
        self.out("selftest: %s (%d s)" % (what, _WAIT_MS // 1000))

    def _record(self, name, status, detail):
        self._by_name[name] = (name, status, detail)

    def _finish(self):
        self.state = _DONE
        self.results = [self._by_name[n] for n in CHECKS if n in self._by_name]
        lines = [PREFIX + "report %d" % _REPORT_VERSION]
        for r in self.results:
            lines.append(PREFIX + "%s %s %s" % r)
        lines.append(PREFIX + _HEAP + " " + _heap())
        c = self.counts()
        lines.append(PREFIX + "end %d pass %d fail %d skip" % (c[_PASS], c[_FAIL], c[_SKIP]))
        self.lines = lines
        for line in lines:
            self.out(line)

    def counts(self):
        out = {_PASS: 0, _FAIL: 0, _SKIP: 0}
        for _n, status, _d in self.results:
            out[status] += 1
        return out

    def report(self):
        """The report lines (empty until done; docs/protocol.md "Self-test report")."""
        return self.lines if self.state == _DONE else []


def _heap():
    """The heap line's status and figures: the free heap (bytes, after a collection) at
    each of code.py's boot marks and now; SKIP and why where there is no gc.mem_free
    (CPython: the simulated device)."""
    import gc

    from . import mods

    if not hasattr(gc, "mem_free"):
        return _SKIP + " no free-heap figures on this device"
    gc.collect()
    out = _INFO
    names = _MARKS.split()
    for i, free in enumerate(mods.heap[:len(names)]):
        out += " %s=%d" % (names[i], free)
    return out + " %s=%d" % ("now", gc.mem_free())


# outcomes of control(), which proto.py answers with its status codes (in this order)
_OK = const(0)
_BUSY = const(1)
_BAD_ARG = const(2)
_BAD_LENGTH = const(3)


def control(app, data, room):
    """The SELFTEST control op (docs/protocol.md) on `app`: start, or read the report from an
    offset, at most `room` bytes of answer payload. Returns (outcome, payload): OK, BUSY
    (a routine or a self-test runs), BAD_ARG or BAD_LENGTH; proto.py sends the answer."""
    from .wire import pack, size, unpack

    n = len(data)
    if n == size(_REQ_SELFTEST) and data[1] == _SELFTEST_START:
        return (_OK if app.start_selftest(app.clock.now_ms()) else _BUSY), None
    if n == size(_REQ_SELFTEST_REPORT) and data[1] == _SELFTEST_REPORT:
        offset = unpack(_REQ_SELFTEST_REPORT, data)[2]
        test = app.selftest
        if test is None:
            state, text = _SELFTEST_NONE, b""
        elif test.done:
            state, text = _SELFTEST_DONE, "\n".join(test.report()).encode()
        else:
            state, text = _SELFTEST_RUNNING, b""
        room -= size(_RESP_SELFTEST)
        return _OK, pack(_RESP_SELFTEST, state, len(text)) + text[offset:offset + room]
    if n in (size(_REQ_SELFTEST), size(_REQ_SELFTEST_REPORT)):
        return _BAD_ARG, None
    return _BAD_LENGTH, None
