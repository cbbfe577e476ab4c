"""BLE backend (and the simulated device): a thin adapter over unknot.ble, which owns the
link, the device's GATT protocol and the routine upload (open_device, upload_routines,
read_info, set_settings). This is the one place that says whether that is available."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unknot.errors import DeviceError
from unknot.transport import DeviceInfo, Progress, Transport, UploadSummary, routine_names

_NEEDED = ("open_device", "upload_routines", "read_info", "set_settings")


def _ble() -> Any:
    ble: Any = None
    try:
        import unknot.ble

        ble = unknot.ble
    except ImportError:
        pass
    if ble is None or not all(hasattr(ble, n) for n in _NEEDED):
        raise DeviceError("upload over BLE (--ble / --sim) is not available yet in this version; "
                          "use the USB drive (--drive) or serial (--port)")
    return ble


class BleBackend(Transport):
    def __init__(self, address: str | None, sim: bool) -> None:
        self.address = address
        self.sim = sim
        self.description = "simulated device" if sim else f"BLE {address or '(nearest Unknot)'}"
        self._mod = _ble()
        self._session: Any = None

    def _conn(self) -> Any:
        if self._session is None:
            self._session = self._mod.open_device(address=self.address, sim=self.sim)
        return self._session

    def close(self) -> None:
        s, self._session = self._session, None
        if s is not None and hasattr(s, "close"):
            s.close()

    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        routine_names(files)
        result = self._mod.upload_routines(self._conn(), dict(files), progress)
        if isinstance(result, UploadSummary):
            return result
        return UploadSummary(copied=[f"routines/{n}" for n in files],
                             bytes_written=sum(len(d) for d in files.values()))

    def read_info(self) -> DeviceInfo:
        raw = self._mod.read_info(self._conn())
        if isinstance(raw, DeviceInfo):
            return raw
        get = raw.get if isinstance(raw, dict) else lambda k, d=None: getattr(raw, k, d)
        info = DeviceInfo(self.description, journal="")
        info.firmware_version = get("firmware_version")
        info.clock = None if get("clock") is None else str(get("clock"))
        info.battery = None if get("battery") is None else str(get("battery"))
        head, tail = get("journal_head"), get("journal_tail")
        info.journal = f"records {tail}..{head}" if head is not None else "unknown"
        info.routines = list(get("routines", []) or [])
        return info

    def write_settings(self, values: Mapping[str, int | str]) -> None:
        self._mod.set_settings(self._conn(), dict(values))
