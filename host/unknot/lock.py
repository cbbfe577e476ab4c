"""An inter-process lock on a file: the one place that knows how the platform locks files.

`held(path)` holds an exclusive lock for the body of a `with`; the holder's pid is written
into the file so a waiting process can name it. The operating system releases the lock when
the holder exits or is killed, so a crashed sync never leaves a stale lock behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from unknot.errors import SyncBusy

POLL_S = 0.2  # how often a waiting process retries the lock

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def holder(path: Path) -> int | None:
    """The pid written by the process that holds (or last held) the lock, if readable."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _busy(path: Path) -> SyncBusy:
    pid = holder(path)
    return SyncBusy("sync already running" + (f" (pid {pid})" if pid else ""))


@contextlib.asynccontextmanager
async def held(
    path: Path, *, wait_s: float = 0.0, on_wait: Callable[[int | None], None] | None = None
) -> AsyncIterator[None]:
    """Hold the lock at `path` for the body. If another process holds it, wait up to
    `wait_s` seconds (calling `on_wait(pid)` once), then raise SyncBusy."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        told = False
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise _busy(path)
            if on_wait is not None and not told:
                on_wait(holder(path))
                told = True
            await asyncio.sleep(POLL_S)
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            except OSError as exc:  # e.g. a full disk: name the file
                raise OSError(exc.errno, exc.strerror, str(path)) from exc
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """True if process `pid` still runs (or exists under another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
