"""The simulated device's adapters: the one set every off-board run of the firmware App uses
(the tests, the benchmarks, `unknot demo`, `unknot sim`, and the MicroPython runs).

Each class satisfies its Protocol in `unknot.adapters` (the contract; mypy checks them
against it). Written in the MicroPython subset, annotated but with no runtime typing, so the
MicroPython unix port loads it as the top-level module `simadapters` from
MICROPYPATH=host/unknot/sim (tools/mp/mpbuild.py), and CPython as `unknot.sim.simadapters`.

- `VirtualClock` (moves only when told: `t`, stepped by `VirtualSleeper` or the SimDevice);
  its real-time sibling `ScaledClock` and `ScaledSleeper` are in `scaledclock.py` (kept
  apart so the MicroPython heap runs, which use virtual time, do not load them);
- `VirtualSleeper`, `RecordingMotor`, `QueueButton` (with the press
  timings, defined here once), `DictStorage` / `DirStorage` (the firmware's own
  sets.SetStore), `NullWatchdog`;
- `new_nvm()` (from `simnvm.py`): the one place an nvm is created;
- `make_app()` builds the App with them; `play_all()` plays a routine on virtual time;
- `SimChecks` and `drive_selftest()`: the self-test's checks and a hand at the bench.
"""


try:
    from collections.abc import Callable
    from typing import Any
except ImportError:  # MicroPython: annotations are not evaluated
    pass
try:
    import unknot.sim.simnvm as simnvm  # CPython
except ImportError:  # MicroPython: there `unknot` is the firmware package
    simnvm = __import__("simnvm")  # the same file, as a top-level module

NVM_SIZE = simnvm.NVM_SIZE
new_nvm = simnvm.new_nvm  # the one place a simulated nvm is made (simnvm.py)

# A finger on the button (the firmware's gesture thresholds are UNKNOT_DOUBLE_MS and
# UNKNOT_LONG_MS in settings): a short press, the gap inside a double press, a long hold.
PRESS_MS = 80
DOUBLE_GAP_MS = 150
LONG_MS = 1500
DEVICE_ID = b"\x01\x02\x03\x04\x05\x06"  # the id of throwaway test devices

# -- clocks -------------------------------------------------------------------------------


class WallClock:
    """unix() on top of now_ms(): None until set_unix() (as after a sync), then it runs at
    the pace of now_ms()."""

    _unix_base: "int | None" = None

    def now_ms(self) -> int:
        raise NotImplementedError

    def unix(self) -> "int | None":
        if self._unix_base is None:
            return None
        return self._unix_base + self.now_ms() // 1000

    def set_unix(self, t: int) -> None:
        self._unix_base = int(t) - self.now_ms() // 1000


class VirtualClock(WallClock):
    """Monotonic ms that only move when told to: set `t`, or step with VirtualSleeper."""

    def __init__(self, start_ms: int = 0) -> None:
        self.t = start_ms

    def now_ms(self) -> int:
        return self.t


# -- sleepers -----------------------------------------------------------------------------


class VirtualSleeper:
    """sleep_until() on a VirtualClock: jumps it to the deadline (never backwards)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.sleeps = 0

    def sleep_until(self, deadline_ms: int, idle: bool = False) -> None:
        self.sleeps += 1
        if deadline_ms > self.clock.t:
            self.clock.t = deadline_ms


# -- motor, button, watchdog ----------------------------------------------------------------


def _patterns() -> "Any":
    try:
        from unknot.core import patterns  # CPython: the firmware module through the facade
    except ImportError:  # MicroPython: `unknot` is the firmware package
        patterns = __import__("unknot.patterns").patterns
    return patterns


class RecordingMotor:
    """The motor off the board: every cue plays for its real length (the pattern table's
    pulses and gaps, `count` times), one at a time. A cue played while another still plays
    starts when that one has ended, as the board's adapters queue it (hw/motor.py); `late`
    records (t asked, cue, ms it waited) for each such cue, so a test sees a cue that the
    firmware asked for too early (on a motor without the queue it would have been cut).

    `played` records (t_ms it starts, cue, count) (unless `keep` is False: MicroPython runs
    print instead of keeping); every listener is called with the same."""

    def __init__(self, clock: "Any", keep: bool = True) -> None:
        self.clock = clock
        self.keep = keep
        self.played: list[tuple[int, str, int]] = []
        self.late: list[tuple[int, str, int]] = []
        self.listeners: list[Callable[[int, str, int], None]] = []
        self.busy_until = 0
        self._patterns = _patterns()

    def play(self, name: str, count: int = 1) -> None:
        asked = self.clock.now_ms()
        t = asked
        if t < self.busy_until:
            t = self.busy_until
            self.late.append((asked, name, t - asked))
        self.busy_until = t + self._patterns.duration_ms(name, count)
        if self.keep:
            self.played.append((t, name, count))
        for listener in self.listeners:
            listener(t, name, count)

    def cues(self) -> "list[str]":
        return [p[1] for p in self.played]

class QueueButton:
    """The button: queued (pressed, t_ms) events, as keypad gives them on the board; press(),
    double_press() and long_press() push what a finger does. Listeners are called on every
    push (e.g. to wake a real-time loop)."""

    def __init__(self, clock: "Any") -> None:
        self.clock = clock
        self.queue: list[tuple[bool, int]] = []
        self.listeners: list[Callable[[], None]] = []

    def push(self, pressed: bool, t_ms: int) -> None:
        self.queue.append((pressed, t_ms))
        for listener in self.listeners:
            listener()

    def poll(self) -> "tuple[bool, int] | None":
        return self.queue.pop(0) if self.queue else None

    def press(self, hold_ms: int = PRESS_MS) -> None:
        t = self.clock.now_ms()
        self.push(True, t)
        self.push(False, t + hold_ms)

    def double_press(self) -> None:
        t = self.clock.now_ms()
        self.push(True, t)
        self.push(False, t + PRESS_MS)
        self.push(True, t + PRESS_MS + DOUBLE_GAP_MS)
        self.push(False, t + 2 * PRESS_MS + DOUBLE_GAP_MS)

    def long_press(self, hold_ms: int = LONG_MS) -> None:
        self.press(hold_ms)


class NullWatchdog:
    def __init__(self) -> None:
        self.feeds = 0

    def feed(self) -> None:
        self.feeds += 1


# -- storage ------------------------------------------------------------------------------


class DictStorage:
    """The device's /routines folder, in memory."""

    def __init__(self, files: "dict[str, bytes] | None" = None) -> None:
        self.files: dict[str, bytes] = files if files is not None else {}
        self.staged: dict[str, bytes] = {}

    def list(self) -> "list[str]":
        return list(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]

    def write(self, name: str, data: bytes) -> None:
        self.files[name] = bytes(data)

    def remove(self, name: str) -> None:
        del self.files[name]

    def stage_write(self, name: str, data: "bytes | memoryview", new: bool) -> None:
        self.staged[name] = (b"" if new else self.staged[name]) + bytes(data)

    def read_staged(self, name: str) -> bytes:
        return self.staged[name]

    def stage_commit(self) -> None:
        self.files = self.staged
        self.staged = {}

    def stage_drop(self) -> None:
        self.staged = {}


def DirStorage(path: str) -> "Any":
    """The device's /routines folder as a directory: the firmware's own routine-set store
    (sets.SetStore over os), exactly as on the board, leftovers cleaned as at boot."""
    try:
        from unknot.core import sets  # CPython: the firmware module through the facade
    except ImportError:  # MicroPython: `unknot` is the firmware package
        sets = __import__("unknot.sets").sets

    store = sets.SetStore(sets.OsFS(), path)
    store.clean()
    return store


# -- the self-test's hardware checks and the bench hand -----------------------------------

LIGHT_SLEEP_MIN_MS = 1000  # as the board's Sleeper (hw/system.py): longer idle waits sleep
PRESS_AFTER_MS = 3000  # the simulated hand presses this long after the self-test asks


class SimChecks:
    """`app.checks` for the self-test (firmware selftest.py) off the board: the motor is the
    recorder, no radio unless a subclass has one, and light sleep is modelled as the board's
    Sleeper decides it: an idle wait longer than LIGHT_SLEEP_MIN_MS is a light sleep, a press
    during it a wake by the pin (`drive_selftest` counts them)."""

    def __init__(self) -> None:
        self.light_sleeps = 0
        self.pin_wakes = 0

    def motor(self) -> "tuple[bool, str]":
        return True, "simulated motor (records every cue)"

    def ble(self) -> "tuple[str, str]":
        return "SKIP", "no simulated radio"

    def sleep_counts(self) -> "tuple[int, int]":
        return self.light_sleeps, self.pin_wakes


def drive_selftest(app: "Any", checks: "Any", press_after_ms: int = PRESS_AFTER_MS,
                   limit_ms: int = 600000) -> None:
    """Step an App on its VirtualClock until its self-test is done; a hand presses the
    button `press_after_ms` after each request for a press (never, if it is negative)."""
    clock = app.clock
    press_at = None
    end = clock.t + limit_ms
    while app.selftest_running():
        if clock.t > end:
            raise RuntimeError("the self-test did not finish")
        deadline = app.safe_step()
        test = app.selftest
        if test.done:
            break
        if test.waiting_for_press and press_at is None and press_after_ms >= 0:
            press_at = clock.t + press_after_ms
        target = deadline if press_at is None else min(deadline, press_at)
        if app.idle() and target - clock.t > LIGHT_SLEEP_MIN_MS:
            checks.light_sleeps += 1
            if press_at is not None and press_at <= deadline:
                checks.pin_wakes += 1
        clock.t = max(clock.t, target)
        if press_at is not None and clock.t >= press_at:
            press_at = None
            app.button.press()


# -- the App ------------------------------------------------------------------------------


def make_app(App: "Any", files: "Any" = None, nvm: "Any" = None,
             settings: "dict[str, Any] | None" = None, clock: "Any" = None,
             sleeper: "Any" = None, motor: "Any" = None, button: "Any" = None,
             device_id: bytes = DEVICE_ID, ram: "Any" = None, usb: "Any" = None) -> "Any":
    """The firmware `App` class built with these adapters: `files` is a storage adapter or a
    dict of routine files; the defaults are a VirtualClock and its sleeper, a recording
    motor, a button, an erased nvm, no sleep_memory (`ram`: simram.new_sleep_memory(); then
    sessions are batched) and no USB (`usb`: a function -> bool)."""
    clock = clock or VirtualClock()
    storage = files if hasattr(files, "read") else DictStorage(files)
    return App(clock, motor or RecordingMotor(clock), button or QueueButton(clock), storage,
               nvm if nvm is not None else new_nvm(), sleeper or VirtualSleeper(clock),
               NullWatchdog(), settings=settings, device_id=device_id, ram=ram, usb=usb)


def press_when_waiting(app: "Any", deadline: int) -> int:
    """The wearer at a WAIT (get ready until the press): presses the moment the cue has
    ended (so the routine keeps the times of the host timeline); the next deadline."""
    player = app.player
    if player is None or player.waiting is None:
        return deadline
    now: int = app.clock.now_ms()
    stop: int = player.paused_at
    if now >= stop:
        app.post(("gesture", "press"))
        return now
    return min(deadline, stop)


def play_all(app: "Any", index: int, limit_ms: int = 4 * 3600 * 1000) -> "list[tuple[int, str]]":
    """Start routine `index` once the motor is still (the wearer's hand after the last cue)
    and step the app on its VirtualClock until it has finished. Returns the motor's
    (t_ms, cue) played meanwhile, t relative to the start."""
    clock = app.clock
    played = app.motor.played
    n0 = len(played)
    clock.t = max(clock.t, app.motor.busy_until)
    t0 = clock.t
    rec0 = app.last_record
    app.post(("start", index))
    while True:
        d = app.step()
        if app.player is None and app.last_record != rec0:
            break
        if clock.t - t0 > limit_ms:
            raise RuntimeError("routine did not finish")
        d = press_when_waiting(app, d)
        if d > clock.t:
            clock.t = d
    return [(p[0] - t0, p[1]) for p in played[n0:]]
