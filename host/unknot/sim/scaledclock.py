"""The scaled clock of the simulated device: real monotonic time x `speed` (`speed=1` is the
real clock), and its sleeper. The rest of the simulated adapters is `simadapters.py`; like
it, this is MicroPython subset (loaded as `scaledclock` from MICROPYPATH=host/unknot/sim)."""

import time

try:
    import unknot.sim.simadapters as simadapters  # CPython
except ImportError:  # MicroPython: there `unknot` is the firmware package
    simadapters = __import__("simadapters")  # the same file, as a top-level module

_ticks_ms = getattr(time, "ticks_ms", None)  # MicroPython; CPython has monotonic_ns
_ticks_diff = getattr(time, "ticks_diff", None)


class ScaledClock(simadapters.WallClock):
    """Monotonic ms running `speed` times faster than real time (1: the real clock)."""

    def __init__(self, speed: float = 1.0, start_ms: int = 0) -> None:
        self.speed = speed
        self._base = start_ms
        self._t0 = _ticks_ms() if _ticks_ms is not None else time.monotonic_ns()

    def now_ms(self) -> int:
        if _ticks_ms is not None and _ticks_diff is not None:  # wrap-safe difference in ms
            real = float(_ticks_diff(_ticks_ms(), self._t0))
        else:
            real = (time.monotonic_ns() - self._t0) / 1000000
        return self._base + int(real * self.speed)

    def real_s(self, sim_ms: float) -> float:
        """Real seconds for `sim_ms` of device time."""
        return max(0.0, sim_ms / 1000.0 / self.speed)


class WindowClock:
    """The pairing window's clock in a sped-up simulation: real monotonic ms (so the window,
    the attempt and the wait for the wearer's press last their documented 60 s of wall-clock
    time at any `--speed`), dated by the device clock's `unix()`."""

    def __init__(self, device: ScaledClock) -> None:
        self.device = device
        self.real = ScaledClock(1.0)

    def now_ms(self) -> int:
        return self.real.now_ms()

    def unix(self) -> "int | None":
        return self.device.unix()


class ScaledSleeper:
    """sleep_until() on a ScaledClock: really sleeps, for the scaled time."""

    def __init__(self, clock: ScaledClock) -> None:
        self.clock = clock

    def sleep_until(self, deadline_ms: int, idle: bool = False) -> None:
        s = self.clock.real_s(deadline_ms - self.clock.now_ms())
        if s > 0:
            time.sleep(s)
