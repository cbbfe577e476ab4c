"""The routine set a host installs (over the drive or serial; BLE uploads are checked the
same way by the device at COMMIT): which files, and whether the device would take them.

A set replaces the device's whole set, atomically (the firmware's sets.SetStore, run by the
host over the drive and by the board over serial). Without prune the files already on the
device are carried into the new set; with prune the set is exactly the files given.
"""

from __future__ import annotations

from collections.abc import Mapping

from unknot import core
from unknot.device.files import UploadSummary
from unknot.device.layout import ROUTINES_DIR, check_routine_names
from unknot.errors import DeviceError


def check(files: Mapping[str, bytes]) -> None:
    """DeviceError unless the device would take this set: plain <id>.unk names, every file a
    valid routine, at most MAX_FILES files and MAX_UPLOAD bytes (the device's own limits)."""
    check_routine_names(files)
    p = core.proto
    if len(files) > p.MAX_FILES:
        raise DeviceError(f"{len(files)} routine files: the device takes at most {p.MAX_FILES}")
    total = sum(len(n) + len(d) + 5 for n, d in files.items())
    if total > p.MAX_UPLOAD:
        raise DeviceError(f"the routine set is {total} bytes: the device takes at most "
                          f"{p.MAX_UPLOAD}")
    for name, data in files.items():
        try:
            core.routine.decode(data)
        except ValueError as exc:
            raise DeviceError(f"{name} is not a valid routine ({exc}); nothing installed") from None


def plan(current: Mapping[str, bytes], files: Mapping[str, bytes], prune: bool
         ) -> tuple[dict[str, bytes], UploadSummary]:
    """(the new set, what changes) for `files` over the device's `current` set."""
    new = dict(files) if prune else {**current, **files}
    check(new)
    summary = UploadSummary()
    for name, data in sorted(files.items()):
        rel = f"{ROUTINES_DIR}/{name}"
        if current.get(name) == data:
            summary.unchanged.append(rel)
        else:
            summary.copied.append(rel)
            summary.bytes_written += len(data)
    summary.removed = [f"{ROUTINES_DIR}/{n}" for n in sorted(current) if n not in new]
    return new, summary
