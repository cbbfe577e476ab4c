"""BLE backend (and the simulated device): a thin adapter over unknot.ble, which owns the
link, the device's GATT protocol and the routine upload (open_device, upload_routines,
read_info, set_settings)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from unknot.transport import DeviceInfo, Progress, Transport, UploadSummary, routine_names


class BleBackend(Transport):
    """Each operation opens the link, does its exchange and disconnects (unknot.ble's
    open_device is an async context manager that always disconnects)."""

    def __init__(self, address: str | None, sim: bool) -> None:
        self.address = address
        self.sim = sim
        self.description = "simulated device" if sim else f"BLE {address or '(nearest Unknot)'}"
        import unknot.ble

        self._mod: Any = unknot.ble

    def _run(self, op: Callable[[Any], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            async with self._mod.open_device(address=self.address, sim=self.sim) as session:
                return await op(session)

        return asyncio.run(main())

    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        """BLE replaces the device's whole routine set at once (all or nothing), so routines
        not sent are always removed, with or without prune."""
        routine_names(files)
        total = sum(len(d) for d in files.values())

        def step(done: int, whole: int) -> None:
            if progress:
                progress("routines (BLE)", done, whole)

        self._run(lambda s: self._mod.upload_routines(s, dict(files), step))
        return UploadSummary(copied=[f"routines/{n}" for n in files], bytes_written=total)

    def read_info(self) -> DeviceInfo:
        raw = self._run(self._mod.read_info)
        info = DeviceInfo(f"{self.description} {getattr(raw, 'name', '')} "
                          f"{getattr(raw, 'address', '')}".strip())
        info.firmware_version = getattr(raw, "firmware", None)
        unix = getattr(raw, "unix", None)
        info.clock = (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(unix))
                      if unix is not None else "not set (it is set on the next `unknot sync`)")
        battery = getattr(raw, "battery", None)
        info.battery = None if battery is None else f"{battery} %"
        head, tail, cap = (getattr(raw, k, None) for k in ("head", "tail", "capacity"))
        if head is not None and tail is not None:
            info.journal = f"{head - tail} of {cap} records kept (seq {tail}..{head})"
        count = getattr(raw, "routine_count", None)
        if count is not None:
            info.extra["routines on device"] = str(count)
        device_id = getattr(raw, "device_id", None)
        if device_id:
            info.extra["device id"] = str(device_id)
        return info

    def write_settings(self, values: Mapping[str, int | str]) -> None:
        self._run(lambda s: self._mod.set_settings(s, dict(values)))
