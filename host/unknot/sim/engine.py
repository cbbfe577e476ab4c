"""The real-time runner of a simulated device: `Engine` steps a SimDevice's firmware App on
its ScaledClock inside asyncio, turns the motor's calls into `Felt` (what the wearer feels,
with the firmware's envelope) for the display, and presses the device's button.

The engine only listens to the device's adapters (the motor's and the button's listener
lists); the App keeps the adapters it was built with. Used by `unknot sim`
(`unknot.sim.server`) and `unknot demo` (`unknot.demo`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from unknot import core
from unknot.sim.device import SimDevice
from unknot.sim.scaledclock import ScaledClock
from unknot.sim.status import Status, StepTables, status_of

MAX_WAIT_S = 0.05  # the loop wakes at least this often (BLE requests, keys, the display)
KEEP_FELT = 200  # the display keeps the last 100..200 motor commands


@dataclass(frozen=True)
class Felt:
    """One motor command of the firmware: what the wearer feels."""

    t_ms: int
    cue: str
    count: int
    envelope: tuple[tuple[int, int], ...]  # (level 0..255, ms), from the firmware's table

    @property
    def length_ms(self) -> int:
        return sum(ms for _lvl, ms in self.envelope) * max(1, self.count)

    def level(self, now_ms: int) -> int:
        """The motor level `now_ms`, following the envelope (repeated `count` times)."""
        dt = now_ms - self.t_ms
        one = sum(ms for _lvl, ms in self.envelope)
        if dt < 0 or one <= 0 or dt >= one * max(1, self.count):
            return 0
        dt %= one
        for lvl, ms in self.envelope:
            if dt < ms:
                return lvl
            dt -= ms
        return 0


class Engine:
    """Runs `device` (a SimDevice built on a ScaledClock) in the running asyncio loop."""

    def __init__(self, device: SimDevice) -> None:
        if not isinstance(device.clock, ScaledClock):
            raise TypeError("the Engine runs a device on a ScaledClock")
        self.device = device
        self.app: Any = device.app
        self.clock: ScaledClock = device.clock
        self._patterns = core.patterns
        self.felt: list[Felt] = []
        self.listeners: list[Callable[[Felt], None]] = []
        self.listener_errors: list[str] = []
        self.tables = StepTables(self.app)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.records: list[int] = []  # journal seqs written while running
        device.motor.listeners.append(self._played)
        device.button.listeners.append(self.wake)

    def _played(self, t_ms: int, name: str, count: int) -> None:
        felt = Felt(t_ms, name, count, tuple(self._patterns.envelope(name)))
        self.felt.append(felt)
        if len(self.felt) > KEEP_FELT:
            del self.felt[: KEEP_FELT // 2]
        for listener in self.listeners:
            try:
                listener(felt)
            except Exception as exc:  # a display bug must not look like a firmware error
                self.listener_errors.append(repr(exc))

    # -- the loop

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.device.motor.listeners.remove(self._played)
        self.device.button.listeners.remove(self.wake)
        self.app.flush()  # as before a shutdown: settings held back by the hourly limit

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            before = self.app.last_record
            deadline = self.app.safe_step()
            if self.app.last_record != before and self.app.last_record is not None:
                self.records.append(int(self.app.last_record))
            wait = self.clock.real_s(deadline - self.clock.now_ms())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(wait, MAX_WAIT_S))

    # -- the button, what to show

    def gesture(self, kind: str) -> None:
        """Press the button like a finger would: "press", "double" or "long"."""
        button = self.device.button
        {"press": button.press, "double": button.double_press, "long": button.long_press}[kind]()

    def open_pairing(self) -> None:
        """The pairing window, opened as the wearer's 1 s hold would (even mid-nudge)."""
        self.app.post(("pair",))
        self._wake.set()

    def status(self) -> Status:
        now = self.clock.now_ms()
        last = self.felt[-1] if self.felt else None
        return status_of(self.app, self.tables, now, last.cue if last else None,
                         last.level(now) if last else 0)
