"""BLE backend (and the simulated device): a thin adapter over unknot.ble, which owns the
link, the device's GATT protocol and the routine upload (open_device, Session)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from unknot import radio
from unknot.ble import open_device
from unknot.device.files import Progress, UploadSummary
from unknot.device.layout import check_routine_names
from unknot.transport.base import DeviceReport, Transport

if TYPE_CHECKING:
    from unknot.ble.session import Session

T = TypeVar("T")


class BleBackend(Transport):
    """Each operation opens the link, does its exchange and disconnects (unknot.ble's
    open_device is an async context manager that always disconnects)."""

    settings_apply_at_once = True  # the firmware applies SET_SETTINGS as it saves them

    def __init__(self, address: str | None, sim: bool) -> None:
        self.address = address
        self.sim = sim
        self.description = "simulated device" if sim else f"BLE {address or '(nearest Unknot)'}"

    def _run(self, op: Callable[[Session], Awaitable[T]]) -> T:
        async def main() -> T:
            async with open_device(address=self.address, radio=radio.pick(self.sim)) as session:
                return await op(session)

        return asyncio.run(main())

    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        """BLE replaces the device's whole routine set at once (all or nothing), so routines
        not sent are always removed, with or without prune."""
        check_routine_names(files)
        total = sum(len(d) for d in files.values())

        def step(done: int, whole: int) -> None:
            if progress:
                progress("routines (BLE)", done, whole)

        async def upload(s: Session) -> int:
            before = (await s.read_info()).routine_count
            await s.upload_routines(dict(files), step)
            return before

        before = self._run(upload)
        return UploadSummary(copied=[f"routines/{n}" for n in files], bytes_written=total,
                             replaced=before)

    def read_info(self) -> DeviceReport:
        raw = self._run(lambda s: s.read_info())
        info = DeviceReport(f"{self.description} {raw.name} {raw.address}".strip())
        info.firmware_version = raw.firmware
        unset = _unset_clock(self.sim)
        info.clock = (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(raw.unix))
                      if raw.unix is not None else unset)
        info.battery = None if raw.battery is None else f"{raw.battery} %"
        kept = raw.head - raw.tail
        info.journal = f"{kept} of {raw.capacity} records kept (seq {raw.tail}..{raw.head})"
        if raw.nvm_refused:
            info.extra["Flash"] = ("refused: this board's nvm is one flash page, too small for "
                                   "a power-safe journal; sessions are kept in RAM only "
                                   "(docs/journal.md)")
        elif raw.nvm_error:
            info.extra["Flash"] = ("write failed: finished sessions wait in RAM and the "
                                   "device retries (a power cut would lose them: sync now)")
        info.routine_count = raw.routine_count
        info.device_id = raw.device_id or None
        return info

    def write_settings(self, values: Mapping[str, int | str]) -> None:
        self._run(lambda s: s.set_settings(dict(values)))


def _unset_clock(sim: bool) -> str:
    """Why the device's clock is not set, and what sets it."""
    if not sim:
        return "not set (it is set on the next `unknot sync`)"
    from unknot.sim import interproc

    if interproc.running_link(interproc.sim_dir()) is not None:
        return ("not set (the running `unknot sim` has not been synced since it started: "
                "`unknot sync --sim` sets it)")
    return ("not set (a simulated device started by a command starts with its clock unset; "
            "`unknot sync --sim` sets it, `unknot sim` keeps one running)")
