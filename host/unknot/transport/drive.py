"""USB drive backend: the board's CIRCUITPY drive mounted on this computer; files are
written with unknot.device.files (atomic, verified, unchanged files skipped)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from unknot.device import settings
from unknot.device.circuitpy import read_boot_info
from unknot.device.files import Progress, UploadSummary, os_error, sync_files, write_atomic
from unknot.device.layout import (
    FIRMWARE_INIT,
    ROUTINE_SUFFIX,
    ROUTINES_DIR,
    SETTINGS_FILE,
    check_routine_names,
    firmware_version_of,
)
from unknot.transport.base import DeviceReport, Transport


class DriveBackend(Transport):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"USB drive {root}"

    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        check_routine_names(files)
        summary = sync_files(self.root, {f"{ROUTINES_DIR}/{n}": d for n, d in files.items()},
                             progress)
        if prune:
            for p in sorted((self.root / ROUTINES_DIR).glob("*" + ROUTINE_SUFFIX)):
                if p.name not in files:
                    try:
                        p.unlink()
                    except OSError as exc:
                        raise os_error(p, exc) from None
                    summary.removed.append(f"{ROUTINES_DIR}/{p.name}")
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
        rdir = self.root / ROUTINES_DIR
        if rdir.is_dir():
            info.routines = [(p.name, p.stat().st_size)
                             for p in sorted(rdir.glob("*" + ROUTINE_SUFFIX))]
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
