"""SimDevice: the firmware App running in CPython with simulated adapters.

A simulated device lives in a directory (by default `<unknot home>/sim/<name>`), which plays
the role of the board's CIRCUITPY drive plus its flash:

    <dir>/routines/*.unk   routine files, read by the firmware's loader
    <dir>/settings.toml    optional, the same keys as firmware/settings.toml
    <dir>/nvm.bin          8 KiB non-volatile memory (journal, boot counter, settings),
                           written through on every firmware write
    <dir>/sleep_memory.bin the 256 bytes of alarm.sleep_memory where finished sessions wait
                           for a batch write: kept when the device restarts (a reset);
                           `power_cut()` loses it, as a power cut does on the board
    <dir>/device_id        6-byte device id (hex), created once

So separate CLI invocations see the same device (boot counter, journal, routines).

The adapters are the shared set in `unknot.sim.simadapters` (contract: `unknot.adapters`),
passed to the App when it is built. Time is a `VirtualClock` by default: advance it
deterministically with `advance(ms)` / `run_until(t_ms)`, which step the App exactly at each
deadline it returns. For real time, build it on a `ScaledClock` and run it with
`unknot.sim.engine.Engine` (as `unknot sim` and `unknot demo` do).

    dev = SimDevice.open("demo")
    dev.button.press(); dev.advance(120_000)
    print(dev.motor.played)            # [(t_ms, cue, count), ...]
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from unknot import core, fwload
from unknot.adapters import build_app
from unknot.sim.scaledclock import ScaledClock, WindowClock
from unknot.sim.simadapters import (
    DirStorage,
    NullWatchdog,
    QueueButton,
    RecordingMotor,
    VirtualClock,
    VirtualSleeper,
    new_nvm,
)
from unknot.sim.simram import new_sleep_memory


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

    def __init__(self, directory: str | os.PathLike[str],
                 clock: VirtualClock | ScaledClock | None = None,
                 settings: dict[str, Any] | None = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock if clock is not None else VirtualClock()
        self.motor = RecordingMotor(self.clock)
        self.button = QueueButton(self.clock)
        self.storage = DirStorage(str(self.dir / "routines"))
        self.nvm = new_nvm(path=str(self.dir / "nvm.bin"))
        self.ram = new_sleep_memory(path=str(self.dir / "sleep_memory.bin"))
        self.watchdog = NullWatchdog()
        self.device_id = _device_id(self.dir / "device_id")
        merged = read_settings(self.dir / "settings.toml")
        merged.update(settings or {})
        sleeper = VirtualSleeper(self.clock) if isinstance(self.clock, VirtualClock) else None
        key_file = self.dir / core.auth.KEY_FILE  # USB consent, as on the board's drive
        new_hosts = key_file.read_bytes() if key_file.exists() else b""
        self.app: Any = build_app(fwload.module("app").App, self.clock, self.motor,
                                  self.button, self.storage, self.nvm, sleeper, self.watchdog,
                                  settings=merged, device_id=self.device_id,
                                  new_hosts=new_hosts, ram=self.ram)
        if isinstance(self.clock, ScaledClock) and self.clock.speed != 1:
            # A person opens the window and presses: their 60 s are wall-clock seconds.
            self.app.keyring.clock = WindowClock(self.clock)
        # The key file stays, as on the board, whose drive code cannot write in normal mode:
        # the firmware imports it once (it remembers the file's import id).

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

    # -- conveniences -------------------------------------------------------------------
    def install_routine(self, name: str, data: bytes) -> None:
        """Put a routine file on the drive and have the firmware reload its list."""
        suffix = core.library.SUFFIX
        self.storage.write(name if name.endswith(suffix) else name + suffix, data)
        self.app.post(("reload",))

    def power_cut(self) -> None:
        """The power goes: what the sleep memory held is gone (build a new SimDevice on the
        directory to power it up again)."""
        self.ram.power_cut(int.from_bytes(self.device_id[:4], "little") | 1)

    def records(self) -> list[bytes]:
        """Journal records stored on the device, oldest first."""
        j = self.app.journal
        return [r for r in (j.read(s) for s in range(j.tail, j.head)) if r is not None]

