"""The filesystem power-cut model for routine-set installs (issue 10 item 5).

A cut before filesystem operation k: the first k mutating operations (create/open a file for
writing, mkdir, remove, rmdir, rename) happened, the rest never did. "Torn" adds the state
where the last file written before the cut holds only half its data. Under CPython the
operations are seen through an audit hook (sys.addaudithook: os.mkdir, os.remove, os.rmdir,
os.rename, open), so the real install code runs unchanged; only paths under `root` count.
After a cut the device "boots": `judge` says whether what the loader then takes is the old
set, the new set, or a mix (and whether a routine is missing).

    python tools/fscut.py            # the drive install of the code in this tree
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PowerCut(BaseException):
    """The power went: no code under test may catch it (it is not an Exception)."""


_MUTATING = ("os.mkdir", "os.remove", "os.rmdir", "os.rename")


class _Cutter:
    def __init__(self) -> None:
        self.root: str | None = None
        self.cut_at = -1
        self.ops: list[tuple[str, str]] = []
        self.dead = False
        self.last_written: str | None = None

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        root = self.root
        if root is None:
            return
        if event == "open":
            path, mode, flags = args
            if isinstance(mode, str):
                writing = any(c in mode for c in "wax+")
            else:
                writing = isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR))
            if not writing:
                return
        elif event not in _MUTATING:
            return
        path = str(args[0])
        if not path.startswith(root):
            return
        if self.dead or len(self.ops) == self.cut_at:
            self.dead = True
            raise PowerCut(f"{event} {path}")
        self.ops.append((event, path))
        if event == "open":
            self.last_written = path


_CUTTER = _Cutter()
_INSTALLED = False


def _install() -> None:
    global _INSTALLED
    if not _INSTALLED:
        sys.addaudithook(_CUTTER.hook)
        _INSTALLED = True


def run(root: Path, action: Callable[[], object],
        cut_at: int = -1) -> tuple[list[tuple[str, str]], bool]:
    """Run `action` with a cut before mutating operation `cut_at` (-1: none) under `root`.
    Returns (operations done, whether the cut happened)."""
    _install()
    c = _CUTTER
    c.root, c.cut_at, c.ops, c.dead, c.last_written = str(root), cut_at, [], False, None
    try:
        action()
        cut = False
    except PowerCut:
        cut = True
    finally:
        c.root = None
    return list(c.ops), cut


def tear_last_write() -> bool:
    """Truncate the file being written when the power went (the last operation before the
    cut opened it) to half its length: a torn write. A write followed by other operations
    was complete (the filesystem does them in order)."""
    ops = _CUTTER.ops
    path = _CUTTER.last_written
    if path is None or not ops or ops[-1] != ("open", path):
        return False
    p = Path(path)
    if not p.is_file() or p.stat().st_size < 2:
        return False
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return True


@dataclass
class Tally:
    """Cut states of one install path: how many boot into the old set, the new set, a mix,
    and how many of the mixes miss a routine."""

    points: int = 0
    old: int = 0
    new: int = 0
    mixed: int = 0
    missing: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.points} states: {self.old} old, {self.new} new, {self.mixed} mixed "
                f"({self.missing} with a routine missing)")


def judge(tally: Tally, seen: Mapping[str, bytes], old: Mapping[str, bytes],
          new: Mapping[str, bytes], what: str) -> None:
    tally.points += 1
    if dict(seen) == dict(old):
        tally.old += 1
    elif dict(seen) == dict(new):
        tally.new += 1
    else:
        tally.mixed += 1
        if (set(old) & set(new)) - set(seen) or len(seen) < min(len(old), len(new)):
            tally.missing += 1
        tally.notes.append(what)


def sweep(make: Callable[[Path], None], install: Callable[[Path], object],
          boot: Callable[[Path], Mapping[str, bytes]], old: Mapping[str, bytes],
          new: Mapping[str, bytes], work: Path, torn: bool = True) -> Tally:
    """Cut the install at every operation (and, with torn, tear the write before it);
    `make(root)` lays down the old set, `install(root)` installs the new one, `boot(root)`
    is what the device loads afterwards (name -> bytes)."""
    tally = Tally()
    k = 0
    while True:
        for tear in (False, True) if torn else (False,):
            root = work / f"cut{k}{'t' if tear else ''}"
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            make(root)
            _, cut = run(root, lambda r=root: install(r), k)
            if tear and (not cut or not tear_last_write()):
                continue
            judge(tally, boot(root), old, new, f"cut before op {k}{' torn' if tear else ''}")
            if not cut:
                return tally
        k += 1


if __name__ == "__main__":  # pragma: no cover - a measurement aid
    sys.exit("use tests/host/test_set_install.py")
