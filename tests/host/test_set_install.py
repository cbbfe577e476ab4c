"""Routine sets under the filesystem power-cut model (tools/fscut.py), on every transport's
install path: a cut before any filesystem operation (and a torn last write) boots into the
old set or the new one, never a mix (issue 10 item 5).

- drive: `unknot flash --drive` (DriveBackend.write_routines, the host running the
  firmware's sets.SetStore over the mounted drive);
- BLE / the simulated device: the firmware's upload handler (proto.Protocol + upload.Upload)
  streaming an archive into the simulated device's storage (the same SetStore);
- serial: the board runs SetStore under MicroPython (tests/e2e/test_serial_upload.py drives
  it through the raw REPL; here the board-side code sequence is cut under the real VM).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from unknot import core
from unknot.core import wire
from unknot.routine.selection import compile_selection
from unknot.sim import simadapters as sa
from unknot.sim.simnvm import new_nvm
from unknot.transport.drive import DriveBackend

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import fscut  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "firmware"))
from authed import Authed  # noqa: E402


def _sets() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """An old and a new set of five routines with the same names, every file different."""
    lib = dict(compile_selection(()))
    names = sorted(lib)
    old = {f"r{i}.unk": lib[names[i]] for i in range(5)}
    new = {f"r{i}.unk": lib[names[(i + 1) % len(names)]] for i in range(5)}
    return old, new


def _boot(root: Path) -> dict[str, bytes]:
    """What the board loads after the cut: its storage at boot (cleans leftovers first)."""
    store = sa.DirStorage(str(root / "routines"))
    return {n: store.read(n) for n in store.list()}


def _legacy(root: Path, files: dict[str, bytes]) -> None:
    """The firmware before sets: loose files in /routines."""
    (root / "routines").mkdir()
    for n, d in files.items():
        (root / "routines" / n).write_bytes(d)


def _as_set(root: Path, files: dict[str, bytes]) -> None:
    store = core.sets.SetStore(core.sets.OsFS(str(root)), "/routines")
    store.install(sorted(files.items()))


@pytest.mark.parametrize("layout", ["legacy", "set"])
def test_drive_install_is_old_or_new_at_every_cut(tmp_path: Path, layout: str) -> None:
    old, new = _sets()
    make = _legacy if layout == "legacy" else _as_set
    tally = fscut.sweep(lambda r: make(r, old),
                        lambda r: DriveBackend(r).write_routines(new, prune=True),
                        _boot, old, new, tmp_path)
    assert tally.points > 10 and tally.old and tally.new, tally.line()
    print(tally.line())  # the figures for the closing note (pytest -s)
    assert tally.mixed == 0, (tally.line(), tally.notes)


def _archive(files: dict[str, bytes]) -> bytes:
    return b"".join(wire.pack(core.upload.ARCHIVE_ENTRY, len(n), len(d)) + n.encode() + d
                    for n, d in files.items())


def _ble_upload(root: Path, files: dict[str, bytes]) -> None:
    """The device side of a BLE upload: the firmware protocol handler on the simulated
    device's storage, chunks of one ATT payload."""
    p = core.proto

    class App:
        storage = sa.DirStorage(str(root / "routines"))
        following = False  # the protocol's STATUS follow state (unused here)
        announced: list[object] = []  # noqa: RUF012

        def __init__(self) -> None:  # what AUTH_BEGIN's STATE block reads
            self.clock = sa.VirtualClock()
            self.keyring = core.keyring.Keyring(self.clock)
            self.journal = core.journal.Journal(new_nvm())
            self.device_id = b"\x01\x02"
            self.boot = 1
            self.battery = None
            self.routines: list[object] = []

        def reload_routines(self) -> None:
            pass

    proto = Authed(p.Protocol(App(), core.upload.Upload))  # a consented, authenticated host
    blob = _archive(files)
    up = core.upload
    proto.control(wire.pack(up.REQ_UPLOAD_BEGIN, p.OP_UPLOAD_BEGIN, len(blob), zlib.crc32(blob)))
    for off in range(0, len(blob), 240):
        proto.control(wire.pack(up.REQ_UPLOAD_CHUNK, p.OP_UPLOAD_CHUNK, off) + blob[off:off + 240])
    proto.control(bytes([p.OP_UPLOAD_COMMIT]))
    frames = []
    while (f := proto.next_frame()) is not None:
        frames.append(bytes(f))
    assert frames[-1][2] == p.ST_OK, frames[-1]


@pytest.mark.parametrize("layout", ["legacy", "set"])
def test_ble_upload_is_old_or_new_at_every_cut(tmp_path: Path, layout: str) -> None:
    old, new = _sets()
    make = _legacy if layout == "legacy" else _as_set
    tally = fscut.sweep(lambda r: make(r, old), lambda r: _ble_upload(r, new), _boot, old, new,
                        tmp_path)
    assert tally.points > 10 and tally.old and tally.new, tally.line()
    print(tally.line())  # the figures for the closing note (pytest -s)
    assert tally.mixed == 0, (tally.line(), tally.notes)


_MP_CUT = """
import os, vfs
from unknot import sets
_root = os.getcwd()
vfs.umount('/')
vfs.mount(vfs.VfsPosix(_root), '/')
os.chdir('/')
CUT = {cut}
TEAR = {tear}
class Cut(Exception):
    pass
_Base = sets.OsFS
class CutFS(_Base):
    n = 0
    last = None
    def _op(self):
        if CutFS.n == CUT:
            raise Cut()
        CutFS.n += 1
    def mkdir(self, p):
        self._op(); CutFS.last = None; _Base.mkdir(self, p)
    def remove(self, p):
        self._op(); CutFS.last = None; _Base.remove(self, p)
    def rmdir(self, p):
        self._op(); CutFS.last = None; _Base.rmdir(self, p)
    def open(self, p, mode):
        CutFS.last = None
        if 'r' not in mode:
            self._op()
            CutFS.last = p
        return _Base.open(self, p, mode)
sets.OsFS = CutFS
{code}
try:
    run()
    print('done')
except Cut:
    if TEAR and CutFS.last is not None:
        f = open(CutFS.last, 'rb'); d = f.read(); f.close()
        f = open(CutFS.last, 'wb'); f.write(d[:len(d) // 2]); f.close()
    print('cut')
"""


def test_serial_install_is_old_or_new_at_every_cut(tmp_path: Path) -> None:
    """The board-side code of `unknot flash --port` (SerialBackend.set_install_code) under
    the MicroPython VM, cut before every filesystem operation (and torn)."""
    if shutil.which("micropython") is None:
        pytest.skip("no micropython")
    from unknot.transport.serial import set_install_code

    old, new = _sets()
    code = "def run():\n" + "".join(" " + line + "\n"
                                    for line in set_install_code(new).splitlines())
    tally = fscut.Tally()
    k = 0
    while True:
        outcomes = []
        for tear in (False, True):
            root = tmp_path / f"s{k}{'t' if tear else ''}"
            root.mkdir()
            _as_set(root, old)
            env = dict(os.environ, MICROPYPATH=str(REPO / "firmware" / "lib"))
            script = _MP_CUT.format(cut=k, tear=tear, code=code)
            r = subprocess.run(["micropython", "-c", script], cwd=root, env=env,
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            outcomes.append(r.stdout.strip())
            fscut.judge(tally, _boot(root), old, new, f"cut before op {k}{' torn' * tear}")
        if outcomes[0] == "done":
            break
        k += 1
    assert tally.points > 10 and tally.old and tally.new, tally.line()
    print(tally.line())  # the figures for the closing note (pytest -s)
    assert tally.mixed == 0, (tally.line(), tally.notes)
