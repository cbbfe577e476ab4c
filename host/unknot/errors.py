"""Typed errors. The CLI turns every UnknotError into one line on stderr and exit code 1."""

from __future__ import annotations


class UnknotError(Exception):
    """Base class for errors a user can act on (bad input, missing device, ...)."""

    exit_code = 1


class RoutineError(UnknotError):
    """A routine source or binary file is invalid."""


class DeviceError(UnknotError):
    """The device could not be found, reached or written."""


class SyncError(UnknotError):
    """A BLE sync failed; the history database is left as it was."""


class DeviceNotFound(DeviceError):
    """No Unknot device is advertising nearby (out of range, off, or asleep)."""


class SyncBusy(SyncError):
    """Another sync (the watcher, or a manual `unknot sync`) holds the sync lock."""
