"""Writing files onto a mounted board drive: atomically, verified, unchanged files skipped.

Every file is written to a temp file in the same directory, fsynced, renamed with os.replace,
then read back and compared by sha256. A full or read-only drive raises DeviceError and
leaves the old file as it was (the temp file is removed).
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from unknot.errors import DeviceError

# progress(name, bytes_done, bytes_total) for the file being written
Progress = Callable[[str, int, int], None]


@dataclass
class UploadSummary:
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_written: int = 0
    replaced: int | None = None  # BLE: routines in the device's set before it was replaced


    def line(self) -> str:
        s = (f"{len(self.copied)} copied, {len(self.unchanged)} unchanged, "
             f"{self.bytes_written} bytes written")
        if self.removed:
            s += f", {len(self.removed)} removed"
        return s


_CHUNK = 16 * 1024


def file_sha256(path: Path) -> str | None:
    """sha256 of a file, or None if it does not exist (or is not a regular file)."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def os_error(path: Path, exc: OSError) -> DeviceError:
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
        raise os_error(path, exc) from None
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
