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

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from unknot.device.files import Progress, UploadSummary
from unknot.errors import DeviceError


@dataclass
class DeviceReport:
    """What `unknot device info` shows, filled in by each backend as far as it can."""

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
    def read_info(self) -> DeviceReport: ...

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
    from unknot.device.circuitpy import resolve_drive
    from unknot.transport.drive import DriveBackend

    return DriveBackend(resolve_drive(drive))

