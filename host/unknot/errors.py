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


class HistoryError(UnknotError):
    """The history database cannot be used (bad path, bad device id, damaged, ...)."""


DOCTOR_HINT = "`unknot doctor --repair` backs it up and rebuilds it from what is readable"


def describe_failure(exc: BaseException) -> str | None:
    """One line for an environment failure a user can act on (a file that cannot be
    written, a full disk, a damaged or locked SQLite database), or None for a bug.
    The CLI entry calls this for every exception a command lets through: the one place
    where sqlite3 and OS errors become messages."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return f"the history database is damaged ({exc}); {DOCTOR_HINT}"
        if name.startswith("SQLITE_FULL"):
            return "the disk is full: the history database was left as it was"
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
            return f"cannot write the history database ({exc}): check the permissions of --home"
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return "the history database is busy (another unknot is writing it); try again"
        if name.startswith("SQLITE_IOERR"):
            return f"the history database could not be read or written ({exc})"
        return f"history database error: {exc}"
    if isinstance(exc, OSError) and exc.errno is not None:
        what = exc.filename if exc.filename is not None else "a file"
        return f"cannot use {what}: {exc.strerror or exc}"
    return None
