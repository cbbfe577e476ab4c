"""USB drive backend: the board's CIRCUITPY drive mounted on this computer.

Every file is written atomically: a temp file in the same directory, fsync, os.replace, then
read back and compared by sha256. A full or read-only drive raises DeviceError and leaves the
old file as it was (the temp file is removed). Unchanged files (same sha256) are not written.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from unknot.drive import read_boot_info
from unknot.errors import DeviceError
from unknot.transport import (
    FIRMWARE_INIT,
    ROUTINE_SUFFIX,
    ROUTINES_DIR,
    SETTINGS_FILE,
    DeviceInfo,
    Progress,
    Transport,
    UploadSummary,
    firmware_version_of,
    routine_names,
    settings,
)

_CHUNK = 16 * 1024


def file_sha256(path: Path) -> str | None:
    """sha256 of a file, or None if it does not exist (or is not a regular file)."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _os_error(path: Path, exc: OSError) -> DeviceError:
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return DeviceError(f"the drive is full while writing {path} (the old file, if any, is "
                           "unchanged). Remove files from the drive or flash fewer routines.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return DeviceError(f"cannot write {path}: {exc.strerror}. The drive is read-only: if "
                           "you held the button at reset (serial mode), press reset once "
                           "without it so the computer may write the drive again.")
    return DeviceError(f"cannot write {path}: {exc.strerror or exc}")


def write_atomic(path: Path, data: bytes, progress: Progress | None = None,
                 name: str | None = None) -> None:
    """Write data to path via a same-directory temp file, fsync and os.replace; verify."""
    tmp = path.with_name(f".{path.name}.unknot-tmp")
    label = name or path.name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            for i in range(0, len(data), _CHUNK):
                f.write(data[i : i + _CHUNK])
                if progress:
                    progress(label, min(i + _CHUNK, len(data)), len(data))
            if not data and progress:
                progress(label, 0, 0)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise _os_error(path, exc) from None
    if file_sha256(path) != hashlib.sha256(data).hexdigest():
        raise DeviceError(f"{path} reads back different from what was written: the drive "
                          "may be failing or was unplugged; run the command again")


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (vfat on some kernels) refuse fsync on a directory
    finally:
        os.close(fd)


def sync_files(root: Path, files: Mapping[str, bytes], progress: Progress | None = None,
               summary: UploadSummary | None = None) -> UploadSummary:
    """Write relative path -> bytes under root, skipping files whose sha256 matches."""
    summary = summary or UploadSummary()
    for rel, data in files.items():
        dest = root / rel
        if file_sha256(dest) == hashlib.sha256(data).hexdigest():
            summary.unchanged.append(rel)
            if progress:
                progress(rel, len(data), len(data))
            continue
        write_atomic(dest, data, progress, rel)
        summary.copied.append(rel)
        summary.bytes_written += len(data)
    return summary


class DriveBackend(Transport):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = f"USB drive {root}"

    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        routine_names(files)
        summary = sync_files(self.root, {f"{ROUTINES_DIR}/{n}": d for n, d in files.items()},
                             progress)
        if prune:
            for p in sorted((self.root / ROUTINES_DIR).glob("*" + ROUTINE_SUFFIX)):
                if p.name not in files:
                    try:
                        p.unlink()
                    except OSError as exc:
                        raise _os_error(p, exc) from None
                    summary.removed.append(f"{ROUTINES_DIR}/{p.name}")
        return summary

    def read_info(self) -> DeviceInfo:
        info = DeviceInfo(self.description)
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
            raise _os_error(path, exc) from None
        write_atomic(path, settings.apply(text, values).encode("utf-8"))
