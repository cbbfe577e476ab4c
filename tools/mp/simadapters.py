"""Minimal adapters for running the firmware App off the board, on CPython and MicroPython
(tests, benchmarks). The typed host equivalent is host/unknot/sim/device.py."""


class VirtualClock:
    def __init__(self, start_ms=0):
        self.t = start_ms
        self._unix_base = None  # unix seconds at t == 0

    def now_ms(self):
        return self.t

    def unix(self):
        if self._unix_base is None:
            return None
        return self._unix_base + self.t // 1000

    def set_unix(self, t):
        self._unix_base = int(t) - self.t // 1000


class RealClock(VirtualClock):
    """Monotonic ms from time.ticks_ms (MicroPython) or time.monotonic_ns (CPython)."""

    def __init__(self):
        super().__init__()
        import time

        self._time = time
        if hasattr(time, "ticks_ms"):
            self._t0 = time.ticks_ms()
        else:
            self._t0 = time.monotonic_ns() // 1000000

    def now_ms(self):
        t = self._time
        if hasattr(t, "ticks_ms"):
            return t.ticks_diff(t.ticks_ms(), self._t0)
        return t.monotonic_ns() // 1000000 - self._t0


class RealSleeper:
    def __init__(self, clock):
        import time

        self.clock = clock
        self._time = time

    def sleep_until(self, deadline, idle=False):
        dt = deadline - self.clock.now_ms()
        if dt > 0:
            if hasattr(self._time, "sleep_ms"):
                self._time.sleep_ms(dt)
            else:
                self._time.sleep(dt / 1000)


class VirtualSleeper:
    """Jumps the virtual clock to the deadline (never backwards)."""

    def __init__(self, clock):
        self.clock = clock
        self.sleeps = 0

    def sleep_until(self, deadline, idle=False):
        self.sleeps += 1
        if deadline > self.clock.t:
            self.clock.t = deadline


class RecMotor:
    """Records (t_ms, cue); with `out` set, prints "t cue" lines instead of keeping them."""

    def __init__(self, clock, out=None):
        self.clock = clock
        self.played = []
        self.out = out
        self.t0 = 0

    def play(self, name, count=1):
        if self.out is not None:
            self.out(self.clock.now_ms() - self.t0, name)
        else:
            self.played.append((self.clock.now_ms(), name))


class NullMotor:
    def play(self, name, count=1):
        pass


class QueueButton:
    def __init__(self):
        self.queue = []

    def push(self, pressed, t):
        self.queue.append((pressed, t))

    def poll(self):
        if self.queue:
            return self.queue.pop(0)
        return None


class DictStorage:
    def __init__(self, files=None):
        self.files = files if files is not None else {}
        self.staged = {}  # upload staging (app.py: the storage contract)

    def list(self):
        return list(self.files)

    def read(self, name):
        return self.files[name]

    def write(self, name, data):
        self.files[name] = bytes(data)

    def stage_write(self, name, data, new):
        if new:
            self.staged[name] = b""
        self.staged[name] += bytes(data)

    def read_staged(self, name):
        return self.staged[name]

    def stage_commit(self):  # the staged files are the new set
        self.files = self.staged
        self.staged = {}

    def stage_drop(self):
        self.staged = {}


class DirStorage:
    """Routine files read from a directory when asked (not kept in RAM)."""

    def __init__(self, path):
        self.path = path

    def list(self):
        import os

        return [n for n in os.listdir(self.path) if n.endswith(".unk")]

    def read(self, name):
        with open(self.path + "/" + name, "rb") as f:
            return f.read()

    def write(self, name, data):
        with open(self.path + "/" + name, "wb") as f:
            f.write(data)

    def stage_write(self, name, data, new):
        with open(self.path + "/.staged-" + name, "wb" if new else "ab") as f:
            f.write(data)

    def read_staged(self, name):
        with open(self.path + "/.staged-" + name, "rb") as f:
            return f.read()

    def _staged(self):
        import os

        return [n for n in os.listdir(self.path) if n.startswith(".staged-")]

    def stage_commit(self):
        import os

        for n in self._staged():
            os.rename(self.path + "/" + n, self.path + "/" + n[8:])

    def stage_drop(self):
        import os

        for n in self._staged():
            os.remove(self.path + "/" + n)


class NullWatchdog:
    def __init__(self):
        self.feeds = 0

    def feed(self):
        self.feeds += 1


def make_app(App, files=None, nvm=None, settings=None, clock=None, sleeper=None, motor=None):
    clock = clock or VirtualClock()
    motor = motor or RecMotor(clock)
    if nvm is None:
        import microcontroller  # the shim's one 8 KiB bytearray (tools/mp/shims)

        nvm = microcontroller.nvm
    storage = files if hasattr(files, "read") else DictStorage(files)
    sleeper = sleeper or VirtualSleeper(clock)
    app = App(clock, motor, QueueButton(), storage, nvm, sleeper, NullWatchdog(),
              settings=settings, device_id=b"\x01\x02\x03\x04\x05\x06")
    return app


def play_all(app, index, limit_ms=4 * 3600 * 1000):
    """Start routine `index` and step the app on virtual time until it has finished.
    Returns the motor's list of (t_ms, cue) relative to the start."""
    clock = app.clock
    app.motor.played = []
    t0 = clock.t
    app.motor.t0 = t0
    rec0 = app.last_record
    app.post(("start", index))
    while True:
        d = app.step()
        if app.player is None and app.last_record != rec0:
            break
        if clock.t - t0 > limit_ms:
            raise RuntimeError("routine did not finish")
        if d > clock.t:
            clock.t = d
    return [(t - t0, cue) for t, cue in app.motor.played]
