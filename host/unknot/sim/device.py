"""SimDevice: the firmware App running in CPython with simulated adapters.

A simulated device lives in a directory (by default `<unknot home>/sim/<name>`), which plays
the role of the board's CIRCUITPY drive plus its flash:

    <dir>/routines/*.unk   routine files, read by the firmware's loader
    <dir>/settings.toml    optional, the same keys as firmware/settings.toml
    <dir>/nvm.bin          8 KiB non-volatile memory (journal, boot counter, settings),
                           written through on every firmware write
    <dir>/device_id        6-byte device id (hex), created once

So separate CLI invocations see the same device (boot counter, journal, routines).

Time is a `VirtualClock` by default: advance it deterministically with `advance(ms)` /
`run_until(t_ms)`, which step the App exactly at each deadline it returns. `run_async(speed)`
runs the same loop in an asyncio task in real time scaled by `speed` (a button press wakes
it at once). Any clock with `now_ms()`, `unix()` and `set_unix(t)` can be passed instead.

    dev = SimDevice.open("demo")
    dev.button.press(); dev.advance(120_000)
    print(dev.motor.played)            # [(t_ms, cue, count), ...]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
import tomllib
from pathlib import Path
from typing import Any, Protocol

from unknot import core, fwload

NVM_SIZE = 8192
PRESS_MS = 80
DOUBLE_GAP_MS = 150
LONG_MS = 1500


class Clock(Protocol):
    def now_ms(self) -> int: ...
    def unix(self) -> int | None: ...
    def set_unix(self, t: int) -> None: ...


class VirtualClock:
    """Monotonic ms that only moves when told to; a settable wall clock on top."""

    def __init__(self, start_ms: int = 0) -> None:
        self.t = start_ms
        self._unix_at_zero: int | None = None

    def now_ms(self) -> int:
        return self.t

    def unix(self) -> int | None:
        if self._unix_at_zero is None:
            return None
        return self._unix_at_zero + self.t // 1000

    def set_unix(self, t: int) -> None:
        self._unix_at_zero = int(t) - self.t // 1000


class MotorRecorder:
    """Records every pattern the firmware plays: (t_ms, cue, count)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.played: list[tuple[int, str, int]] = []

    def play(self, name: str, count: int = 1) -> None:
        self.played.append((self.clock.now_ms(), name, count))

    def cues(self) -> list[str]:
        return [name for _, name, _ in self.played]


class SimButton:
    """The button: queued (pressed, t_ms) events, as keypad gives them on the board."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.queue: list[tuple[bool, int]] = []
        self.on_event: list[Any] = []  # callables, e.g. to wake a real-time loop

    def push(self, pressed: bool, t_ms: int) -> None:
        self.queue.append((pressed, t_ms))
        for cb in self.on_event:
            cb()

    def poll(self) -> tuple[bool, int] | None:
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


class DirStorage:
    """Routine files in `<drive>/routines/`."""

    def __init__(self, drive: Path) -> None:
        self.dir = drive / "routines"
        self.stage_dir = drive / "routines.new"
        self.dir.mkdir(parents=True, exist_ok=True)

    def list(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir() if p.is_file())

    def read(self, name: str) -> bytes:
        return (self.dir / name).read_bytes()

    def write(self, name: str, data: bytes) -> None:
        tmp = self.dir / (name + ".tmp")
        tmp.write_bytes(bytes(data))
        tmp.replace(self.dir / name)

    def remove(self, name: str) -> None:
        (self.dir / name).unlink(missing_ok=True)

    # upload staging (firmware app.py: the storage contract): <drive>/routines.new/
    def stage_write(self, name: str, data: bytes | memoryview, new: bool) -> None:
        self.stage_dir.mkdir(exist_ok=True)
        with (self.stage_dir / name).open("wb" if new else "ab") as f:
            f.write(data)

    def stage_commit(self) -> None:
        for path in sorted(self.stage_dir.iterdir()):
            path.replace(self.dir / path.name)
        self.stage_dir.rmdir()

    def stage_drop(self) -> None:
        if self.stage_dir.is_dir():
            for path in self.stage_dir.iterdir():
                path.unlink()
            self.stage_dir.rmdir()


class FileNVM:
    """A bytearray-like nvm persisted in a file; each write goes through to the file."""

    def __init__(self, path: Path, size: int = NVM_SIZE) -> None:
        self.path = path
        if path.exists() and path.stat().st_size == size:
            self.data = bytearray(path.read_bytes())
        else:
            self.data = bytearray(b"\xff" * size)
            path.write_bytes(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key: slice | int) -> Any:
        return self.data[key]

    def __setitem__(self, key: slice | int, value: Any) -> None:
        self.data[key] = value
        if isinstance(key, slice):
            start = key.start or 0
            chunk = bytes(self.data[key])
        else:
            start, chunk = key, bytes([self.data[key]])
        with self.path.open("r+b") as f:
            f.seek(start)
            f.write(chunk)
            f.flush()
            os.fsync(f.fileno())


class NullWatchdog:
    def __init__(self) -> None:
        self.feeds = 0

    def feed(self) -> None:
        self.feeds += 1


class VirtualSleeper:
    """sleep_until() on the virtual clock: jumps to the deadline."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock

    def sleep_until(self, deadline_ms: int, idle: bool = False) -> None:
        self.clock.t = max(self.clock.t, deadline_ms)


def read_settings(path: Path) -> dict[str, Any]:
    """settings.toml as CircuitPython's os.getenv sees it (top-level str/int keys)."""
    if not path.exists():
        return {}
    with path.open("rb") as f:
        data = tomllib.load(f)
    return {k: v for k, v in data.items() if isinstance(v, str | int)}


def _device_id(path: Path) -> bytes:
    if path.exists():
        with contextlib.suppress(ValueError):
            value = bytes.fromhex(path.read_text().strip())
            if len(value) == 6:
                return value
    value = secrets.token_bytes(6)
    path.write_text(value.hex() + "\n")
    return value


class SimDevice:
    """The firmware App with simulated adapters, persisted in `directory`."""

    def __init__(self, directory: str | os.PathLike[str], clock: Any = None,
                 settings: dict[str, Any] | None = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.clock: Any = clock if clock is not None else VirtualClock()
        self.motor = MotorRecorder(self.clock)
        self.button = SimButton(self.clock)
        self.storage = DirStorage(self.dir)
        self.nvm = FileNVM(self.dir / "nvm.bin")
        self.watchdog = NullWatchdog()
        self.device_id = _device_id(self.dir / "device_id")
        merged = read_settings(self.dir / "settings.toml")
        merged.update(settings or {})
        sleeper = VirtualSleeper(self.clock) if isinstance(self.clock, VirtualClock) else None
        app_cls = fwload.module("app").App
        self.app: Any = app_cls(self.clock, self.motor, self.button, self.storage, self.nvm,
                                sleeper, self.watchdog, settings=merged,
                                device_id=self.device_id)
        self._wake: asyncio.Event | None = None

    @classmethod
    def open(cls, name: str = "default", **kwargs: Any) -> SimDevice:
        """The device `<unknot home>/sim/<name>`."""
        from unknot import paths

        return cls(paths.home() / "sim" / name, **kwargs)

    # -- deterministic stepping (virtual clock) -----------------------------------------
    def _virtual(self) -> VirtualClock:
        if not isinstance(self.clock, VirtualClock):
            raise TypeError("advance()/run_until() need the VirtualClock")
        return self.clock

    def run_until(self, t_ms: int) -> int:
        """Step the App at each deadline up to virtual time `t_ms`; returns the steps run."""
        clock = self._virtual()
        steps = 0
        while True:
            deadline = int(self.app.safe_step())
            steps += 1
            if deadline > t_ms:
                clock.t = max(clock.t, t_ms)
                return steps
            clock.t = max(clock.t, deadline)

    def advance(self, ms: int) -> int:
        return self.run_until(self.clock.now_ms() + ms)

    # -- real time, scaled -------------------------------------------------------------
    async def run_async(self, speed: float = 1.0, stop: asyncio.Event | None = None) -> None:
        """Run the loop in real time x `speed` until `stop` is set (or the task is
        cancelled). With the VirtualClock, virtual time follows real time x speed."""
        self._wake = asyncio.Event()
        self.button.on_event.append(self._wake.set)
        virtual = isinstance(self.clock, VirtualClock)
        real0 = time.monotonic()
        sim0 = self.clock.now_ms()
        try:
            while stop is None or not stop.is_set():
                if virtual:
                    target = sim0 + int((time.monotonic() - real0) * 1000 * speed)
                    self.clock.t = max(self.clock.t, target)
                deadline = int(self.app.safe_step())
                wait_s = max(0.0, (deadline - self.clock.now_ms()) / 1000 / speed)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), min(wait_s, 1.0))
        finally:
            self.button.on_event.remove(self._wake.set)

    def start(self, speed: float = 1.0) -> asyncio.Task[None]:
        """run_async() as a task of the running event loop."""
        return asyncio.get_running_loop().create_task(self.run_async(speed))

    # -- conveniences -------------------------------------------------------------------
    def install_routine(self, name: str, data: bytes) -> None:
        """Put a routine file on the drive and have the firmware reload its list."""
        suffix = core.library.SUFFIX
        self.storage.write(name if name.endswith(suffix) else name + suffix, data)
        self.app.post(("reload",))

    def records(self) -> list[bytes]:
        """Journal records stored on the device, oldest first."""
        j = self.app.journal
        return [r for r in (j.read(s) for s in range(j.tail, j.head)) if r is not None]

    def save(self) -> None:
        """Nothing is buffered (nvm writes go through); kept for callers that ask."""
