"""USB drive backend: the board's CIRCUITPY drive mounted on this computer. Routine sets are
installed with the firmware's own sets.SetStore run over the drive (atomic: a new set folder
switched by its manifest); other files with unknot.device.files (atomic, verified)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from unknot import core
from unknot.device import routineset, settings
from unknot.device.circuitpy import ble_status, read_boot_info
from unknot.device.files import Progress, UploadSummary, os_error, write_atomic
from unknot.device.layout import (
    FIRMWARE_INIT,
    ROUTINES_DIR,
    SETTINGS_FILE,
    check_routine_names,
    firmware_version_of,
)
from unknot.errors import DeviceError
from unknot.transport.base import DeviceReport, Transport


class DriveBackend(Transport):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"USB drive {root}"

    def _sets(self) -> core.sets.SetStore:
        return core.sets.SetStore(core.sets.OsFS(str(self.root)), "/" + ROUTINES_DIR)

    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        check_routine_names(files)
        store = self._sets()
        try:
            current = {n: store.read(n) for n in store.list()}
        except OSError as exc:
            raise os_error(self.root / ROUTINES_DIR, exc) from None
        new, summary = routineset.plan(current, files, prune)
        if new != current:
            try:
                store.install(sorted(new.items()))
            except OSError as exc:
                raise os_error(self.root / ROUTINES_DIR, exc) from None
            check = self._sets()
            if {n: check.read(n) for n in check.list()} != new:
                raise DeviceError(f"{self.root / ROUTINES_DIR} reads back different from what "
                                  "was written: the drive may be failing or was unplugged; "
                                  "run the command again")
        if progress:
            for name, data in sorted(files.items()):
                progress(f"{ROUTINES_DIR}/{name}", len(data), len(data))
        return summary

    def read_info(self) -> DeviceReport:
        info = DeviceReport(self.description)
        boot = read_boot_info(self.root)
        info.circuitpython, info.board = boot.version, boot.board
        try:
            init = (self.root / FIRMWARE_INIT).read_text(encoding="utf-8")
            info.firmware_version = firmware_version_of(init)
        except OSError:
            info.firmware_version = None
        if info.firmware_version:
            info.extra["BLE"] = ble_status(boot)
        store = self._sets()
        try:
            info.routines = [(n, len(store.read(n))) for n in store.list()]
        except OSError:
            info.routines = []
        return info

    def write_settings(self, values: Mapping[str, int | str]) -> None:
        path = self.root / SETTINGS_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except OSError as exc:
            raise os_error(path, exc) from None
        write_atomic(path, settings.apply(text, values).encode("utf-8"))
