"""Getting things onto a board: one façade, three backends (USB drive, serial REPL, BLE).

    with open_transport(drive=None, port=None, ble=None, sim=False) as t:
        t.write_routines({"neck-stretches.unk": data}, progress)
        t.read_info()
        t.write_settings({"UNKNOT_MICRO_MIN": 45})

The backend is chosen here and only the chosen one is imported (the serial backend pulls in
mpremote/pyserial, the BLE one bleak/bumble). Connections are lazy and always closed: use the
transport as a context manager.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from unknot.core import library
from unknot.errors import DeviceError

ROUTINES_DIR = "routines"  # on the device: /routines/<id>.unk
ROUTINE_SUFFIX = library.SUFFIX
SETTINGS_FILE = "settings.toml"
FIRMWARE_INIT = "lib/unknot/__init__.py"  # holds FIRMWARE_VERSION = "x.y.z"

# progress(name, bytes_done, bytes_total) for the file being written
Progress = Callable[[str, int, int], None]

READ_ONLY_HELP = (
    "the board's filesystem is read-only to code while its USB drive is mounted on a "
    "computer. Either copy over the drive (unknot flash --drive PATH), or make it writable "
    "over serial: hold the button while pressing reset (boot.py then remounts it for code; "
    "the drive becomes read-only to the computer until the next plain reset). "
    "See docs/getting-started.md, 'Two storage modes'."
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class UploadSummary:
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_written: int = 0

    def line(self) -> str:
        s = (f"{len(self.copied)} copied, {len(self.unchanged)} unchanged, "
             f"{self.bytes_written} bytes written")
        if self.removed:
            s += f", {len(self.removed)} removed"
        return s


@dataclass
class DeviceInfo:
    transport: str  # "USB drive /media/me/CIRCUITPY", "serial /dev/ttyACM0", "BLE ..."
    firmware_version: str | None = None
    circuitpython: str | None = None
    board: str | None = None
    routines: list[tuple[str, int]] = field(default_factory=list)  # (file name, size)
    journal: str = "n/a over USB"
    clock: str | None = None
    battery: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Transport(ABC):
    """A connection to one device. Backends open lazily and close in close()."""

    description = ""

    @abstractmethod
    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        """Write name -> compiled routine bytes to /routines/<name>; skip unchanged; with
        prune, remove other .unk files there. Each file is written atomically and verified."""

    @abstractmethod
    def read_info(self) -> DeviceInfo: ...

    @abstractmethod
    def write_settings(self, values: Mapping[str, int | str]) -> None:
        """Set these (already validated) settings.toml keys on the device."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def routine_names(files: Mapping[str, bytes]) -> None:
    for name in files:
        if "/" in name or "\\" in name or not name.endswith(ROUTINE_SUFFIX):
            raise DeviceError(f"bad routine file name {name!r} (expected <id>{ROUTINE_SUFFIX})")


def open_transport(
    drive: str | Path | None = None,
    port: str | None = None,
    ble: str | bool | None = None,
    sim: bool = False,
) -> Transport:
    """The one place a backend is chosen. With nothing given, the USB drive is found
    automatically. ble=True means "the one Unknot device in range", a string an address."""
    chosen = [x for x in (drive is not None, port is not None, ble not in (None, False), sim) if x]
    if len(chosen) > 1:
        raise DeviceError("choose one of --drive, --port, --ble, --sim")
    if port is not None:
        from unknot.transport.serial import SerialBackend

        return SerialBackend(port)
    if sim or ble not in (None, False):
        from unknot.transport.ble import BleBackend

        return BleBackend(address=ble if isinstance(ble, str) else None, sim=sim)
    from unknot.drive import resolve_drive
    from unknot.transport.drive import DriveBackend

    return DriveBackend(resolve_drive(drive))


def firmware_version_of(init_py: str) -> str | None:
    """FIRMWARE_VERSION from the text of the firmware's lib/unknot/__init__.py."""
    import re

    m = re.search(r"""^FIRMWARE_VERSION\s*=\s*["']([^"']+)["']""", init_py, re.M)
    return m[1] if m else None
