"""What every transport backend is: the Transport interface and the report it reads."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

from unknot.device.files import Progress, UploadSummary


@dataclass
class DeviceReport:
    """What `unknot device info` shows, filled in by each backend as far as it can."""

    transport: str  # "USB drive /media/me/CIRCUITPY", "serial /dev/ttyACM0", "BLE ..."
    firmware_version: str | None = None
    circuitpython: str | None = None
    board: str | None = None
    routines: list[tuple[str, int]] = field(default_factory=list)  # (file name, size)
    routine_count: int | None = None  # when only the number is known (BLE's INFO)
    device_id: str | None = None  # 16 hex digits (BLE's INFO)
    journal: str = "n/a over USB"
    clock: str | None = None
    battery: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Transport(ABC):
    """A connection to one device. Backends open lazily and close in close()."""

    description = ""
    # True when the device applies new settings as it receives them (BLE); otherwise
    # they are in settings.toml and apply when the board restarts.
    settings_apply_at_once = False

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
        """Set these (already validated) settings.toml keys on the device (see
        settings_apply_at_once)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
