"""The device adapter contract: what the firmware `App` (firmware/lib/unknot/app.py) needs
from the world, one `typing.Protocol` per adapter, one docstring per method.

    App(clock, motor, button, storage, nvm, sleeper, watchdog, battery=None, settings=None,
        device_id=b"")

Two sets implement it: the board's (firmware/lib/unknot/hw/, CircuitPython) and the simulated
device's (`unknot.sim.simadapters`, MicroPython subset; used by the tests, the benchmarks,
`unknot demo` and `unknot sim`). The adapters are passed to the App when it is built and
never swapped afterwards. All times are integer milliseconds on the clock's monotonic scale.
mypy checks the simulated set against these (tests/host/test_adapter_contract.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now_ms(self) -> int:
        """Monotonic milliseconds since an arbitrary start (boot); never goes back."""
        ...

    def unix(self) -> int | None:
        """Wall clock, unix seconds, or None while it has not been set since boot."""
        ...

    def set_unix(self, t: int) -> None:
        """Set the wall clock to unix seconds `t` (the host does this on every sync); from
        then on unix() advances with now_ms()."""
        ...


@runtime_checkable
class Motor(Protocol):
    def play(self, name: str, count: int = 1) -> None:
        """Play the haptic cue `name` (a cue of the firmware's pattern table, e.g.
        "breathe_in", "nudge", "count") `count` times; returns at once, never blocks. A cue
        asked for while another plays starts when that one has ended (never cut)."""
        ...


@runtime_checkable
class EnvelopeMotor(Motor, Protocol):
    """A motor that shapes patterns in software (PWM): the App polls it while it plays."""

    def poll(self, now: int) -> int | None:
        """Advance the envelope to `now`; the next deadline (ms) it needs, or None if idle."""
        ...


@runtime_checkable
class Button(Protocol):
    def poll(self) -> tuple[bool, int] | None:
        """The next queued (pressed, t_ms) edge, oldest first, or None. Edges carry their
        own timestamps on the App's clock, so a late poll does not change a gesture."""
        ...


@runtime_checkable
class Storage(Protocol):
    """The routine files (/routines on the CIRCUITPY drive)."""

    def list(self) -> list[str]:
        """File names (not paths); the App keeps those ending in ".unk"."""
        ...

    def read(self, name: str) -> bytes:
        """The whole file `name`; raises OSError (or KeyError) when it is missing."""
        ...

    def write(self, name: str, data: bytes) -> None:
        """Create or replace the file `name` in the set; a reader never sees half of it."""
        ...

    def remove(self, name: str) -> None:
        """Delete the file `name`; raises OSError (or KeyError) when it is missing (the
        journal keeps a copy of a v1 nvm there while migrating: docs/journal.md)."""
        ...

    def stage_write(self, name: str, data: bytes | memoryview, new: bool) -> None:
        """Append `data` to the staged (uploading) file `name`, starting it afresh if `new`.
        `data` may be a short-lived memoryview: copy or write it out now. Staged files are
        not listed or read until committed (docs/protocol.md "Upload")."""
        ...

    def read_staged(self, name: str) -> bytes:
        """The staged file `name` (the upload checks every file at COMMIT)."""
        ...

    def stage_commit(self) -> None:
        """Install the staged files as the new routine set, replacing the whole previous set
        (the board's and the simulated device's storage, firmware sets.SetStore, does it
        atomically: a power cut leaves the old set or the new one); the staging area is
        empty afterwards."""
        ...

    def stage_drop(self) -> None:
        """Forget every staged file (an aborted or failed upload)."""
        ...


@runtime_checkable
class Nvm(Protocol):
    """Non-volatile memory, bytearray-like (CircuitPython's `microcontroller.nvm`); erased
    bytes read 0xFF. Layout: docs/firmware.md "Non-volatile memory"."""

    def __len__(self) -> int:
        """Size in bytes."""
        ...

    def __getitem__(self, key: slice) -> bytes | bytearray:
        """Bytes of the slice `key` (the App reads slices only)."""
        ...

    def __setitem__(self, key: slice, value: bytes | bytearray | memoryview) -> None:
        """Write `value` at the slice `key` (same length); persistent once it returns."""
        ...


@runtime_checkable
class SleepMemory(Protocol):
    """RAM that survives a reset, the watchdog and deep sleep but not a power cut
    (CircuitPython's `alarm.sleep_memory`, 256 bytes on nordic; docs/journal.md "RAM hold").
    The journal keeps finished sessions there until a batch write."""

    def __len__(self) -> int:
        """Size in bytes."""
        ...

    def __getitem__(self, key: slice) -> bytes | bytearray:
        """Bytes of the slice `key`."""
        ...

    def __setitem__(self, key: slice, value: bytes | bytearray | memoryview) -> None:
        """Write `value` at the slice `key` (same length)."""
        ...


@runtime_checkable
class Sleeper(Protocol):
    def sleep_until(self, deadline_ms: int, idle: bool = False) -> None:
        """Return at `deadline_ms` (on the App's clock) or earlier on a button edge. `idle`
        (`app.idle()`) allows a deep/light sleep: nothing plays, BLE is not connected."""
        ...


@runtime_checkable
class Watchdog(Protocol):
    def feed(self) -> None:
        """Called once per loop step; a loop that stops feeding gets the board reset."""
        ...


@runtime_checkable
class Battery(Protocol):
    def millivolts(self) -> int | None:
        """Battery voltage in mV, or None if it cannot be read now (sampled every 10 min)."""
        ...


@runtime_checkable
class Checks(Protocol):
    """The self-test's hardware checks (firmware selftest.py), set as `app.checks` after the
    App is built (board: hw/checks.py BoardChecks; simulated: simadapters.SimChecks). Without
    it those checks are SKIP."""

    def motor(self) -> tuple[bool, str]:
        """(ok, detail): the motor driver answered when it was set up."""
        ...

    def ble(self) -> tuple[str, str]:
        """(PASS | FAIL | SKIP, detail): BLE advertising, or a central connected."""
        ...

    def sleep_counts(self) -> tuple[int, int] | None:
        """(light sleeps, wakes by the button pin) so far, or None when light sleep is not
        available now (no `alarm`, or a BLE central connected)."""
        ...


def build_app(app_class: Any, clock: Clock, motor: Motor, button: Button, storage: Storage,
              nvm: Nvm, sleeper: Sleeper | None, watchdog: Watchdog,
              battery: Battery | None = None, settings: dict[str, Any] | None = None,
              device_id: bytes = b"", new_hosts: bytes = b"", ram: SleepMemory | None = None,
              usb: Callable[[], bool] | None = None) -> Any:
    """`app_class(...)` (the firmware App, loaded through unknot.fwload) with adapters that
    mypy has checked against this contract. `sleeper` may be None when the caller steps the
    App itself (the App's run() is not used). `new_hosts`: host keys consented to over USB
    (the contents of the drive's auth.KEY_FILE). `ram`: sleep memory (sessions batched to
    the nvm); `usb()`: whether USB power is present."""
    return app_class(clock, motor, button, storage, nvm, sleeper, watchdog, battery=battery,
                     settings=settings, device_id=device_id, new_hosts=new_hosts, ram=ram,
                     usb=usb)
