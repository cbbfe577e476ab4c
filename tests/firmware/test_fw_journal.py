"""Journal, boot counter and settings on the page-erase flash model (docs/journal.md): record
format, image layout, overflow, recovery, v1 migration, and a power cut at every erase and
program step of appends (wrapping), settings saves, boot-counter saves and the migration."""

from __future__ import annotations

import functools
import json
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from unknot.sim.simnvm import PageNVM, PowerCut, new_nvm

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from journal_app import prefill

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "journal"
FIELDS = ("seq", "start", "routine_id", "steps_done", "steps_total", "active_s", "flags", "boot")


def test_record_vectors(fw):
    for v in json.loads((VECTORS / "records.json").read_text()):
        f = v["fields"]
        packed = fw.journal.pack_record(*(f[k] for k in FIELDS))
        assert packed.hex() == v["hex"], v["name"]
        assert fw.journal.unpack_record(bytes.fromhex(v["hex"])) == tuple(f[k] for k in FIELDS)
    for v in json.loads((VECTORS / "invalid.json").read_text()):
        assert fw.journal.unpack_record(bytes.fromhex(v["hex"])) is None, v["name"]


def test_record_layout_matches_doc(fw):
    rec = fw.journal.pack_record(7, 1_700_000_000, 0xBEEF, 3, 9, 300, 0x05, 258)
    fields = struct.unpack("<IIHBBHBBI", rec)
    assert fields[:8] == (7, 1_700_000_000, 0xBEEF, 3, 9, 300, 5, 2)
    assert fields[8] == zlib.crc32(rec[:16])


def journal_on(fw: Any, nvm: Any, *args: Any, **kw: Any) -> Any:
    """The firmware Journal on `nvm`, told the model's page size (the board's is 4 KiB),
    migrated from layout v1 first as the App does (migrate.py)."""
    j = fw.journal.Journal(nvm, *args, page=nvm.page, **kw)
    if j.v1:
        fw.migrate.migrate(j)
    return j


def _rec(i: int) -> tuple[int, ...]:
    return (5000 + i, 77, i % 5, 5, i, 1, 1)


@functools.cache
def fw_record(seq: int, i: int) -> bytes:
    from unknot import fwload

    return bytes(fwload.module("journal").pack_record(seq, *_rec(i)))


def test_append_read_reboot(fw):
    nvm = new_nvm()
    j = journal_on(fw, nvm)
    seqs = [j.append(*_rec(i)) for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5] and (j.head, j.tail, j.dropped) == (6, 1, 0)
    assert j.capacity == (4096 - 276) // 20 == 191
    assert nvm.erases == [3, 2]  # one page erase per record, alternating pages
    j2 = journal_on(fw, nvm)
    assert (j2.head, j2.tail, j2.epoch) == (6, 1, j.epoch)
    assert fw.journal.unpack_record(j2.read(3))[1] == 5002
    assert j2.read(0) is None and j2.read(6) is None
    assert j2.append(0, 0, 0, 0, 0, 0, 0) == 6


def test_image_layout_matches_doc(fw):
    nvm = new_nvm()
    j = journal_on(fw, nvm)
    j.boot = 3
    j.set_settings(b"SNOOZE_MIN=7\n")
    j.append(*_rec(0))
    img = bytes(nvm[0:4096])  # the first write goes to slot 0 (page 0)
    magic, gen, epoch, boot, head, count, slen, zero = struct.unpack_from("<4sIIIIHBB", img)
    assert (magic, gen, epoch, boot, head, count, slen, zero) == (
        b"UNJ3", 1, j.epoch, 3, 2, 1, 13, 0)  # no RAM: nothing held, reserve 0
    assert img[24:37] == b"SNOOZE_MIN=7\n" and img[37:272] == b"\xff" * 235
    assert img[272:292] == j.read(1)
    assert struct.unpack_from("<I", img, 292)[0] == zlib.crc32(img[:292])


def test_empty_zeroed_and_erased(fw):
    for fill in (b"\x00", b"\xff"):
        j = journal_on(fw, PageNVM(data=fill * 8192))
        assert (j.head, j.tail, j.dropped, len(j), j.boot, j.settings) == (1, 1, 0, 0, 0, b"")


def test_overflow_reports_dropped(fw):
    nvm = new_nvm(1280, page=640)  # two 640-byte slots: 18 records
    j = journal_on(fw, nvm)
    for i in range(25):
        j.append(*_rec(i))
    assert j.capacity == 18 and (j.head, j.tail, j.dropped) == (26, 8, 7)
    assert j.read(7) is None and j.read(8) is not None
    j2 = journal_on(fw, nvm)
    assert (j2.head, j2.tail, j2.dropped) == (26, 8, 7)
    assert [fw.journal.unpack_record(j2.read(s))[1] for s in (8, 25)] == [5007, 5024]


def test_corrupt_newest_image_falls_back(fw):
    nvm = new_nvm(1024, page=512)
    j = journal_on(fw, nvm)
    for i in range(3):
        j.append(*_rec(i))
    nvm.data[j._slot * 512 + 150] ^= 0xFF  # newest image (seq 3) damaged
    j2 = journal_on(fw, nvm)
    assert (j2.head, j2.tail) == (3, 1)


# -- power cuts -------------------------------------------------------------------------


class Committed:
    """What the device had confirmed before the cut, and what was in flight."""

    def __init__(self) -> None:
        self.records: dict[int, bytes] = {}  # seq -> the record
        self.last = 0  # last committed seq
        self.settings = b""
        self.boot = 0  # boot number persisted by the last completed write
        self.flight_settings: bytes | None = None
        self.flight_boot: int | None = None


def _cut_everywhere(
    make: Callable[[], PageNVM],
    scenario: Callable[[PageNVM, Committed], None],
    check: Callable[[PageNVM, Committed, int], tuple[int, int]],
) -> dict[str, int]:
    """Run `scenario` once per flash step with the power cut at that step (and once with
    no cut), reboot on the memory as left, and `check`. Returns the counts."""
    probe = make()
    scenario(probe, Committed())
    steps = probe.steps
    lost = reused = 0
    for cut in range(steps + 1):
        nvm = make()
        nvm.steps = 0
        nvm.cut_in = cut
        done = Committed()
        try:
            scenario(nvm, done)
        except PowerCut:
            pass
        nvm.cut_in = None
        got = check(nvm, done, cut)
        lost += got[0]
        reused += got[1]
    return {"cuts": steps + 1, "lost": lost, "reused": reused}


def _check_journal(fw: Any, storage: Any = None) -> Callable[[PageNVM, Committed, int],
                                                            tuple[int, int]]:
    def check(nvm: PageNVM, done: Committed, cut: int) -> tuple[int, int]:
        j = journal_on(fw, nvm, storage)
        last = done.last
        # in flight: at most one more record (seq last+1) made it
        assert j.head in (last + 1, last + 2), cut
        reused = int(j.head <= last)
        low = max(1, (j.head - 1) - j.capacity + 1)
        lost = sum(1 for seq in done.records if seq >= low and seq < j.tail)
        for seq in range(j.tail, j.head):  # contiguous, and the committed ones intact
            b = j.read(seq)
            rec = done.records.get(seq)
            if rec is not None and b != rec:
                lost += 1
            assert struct.unpack_from("<I", b)[0] == seq, cut
        assert lost == 0, (cut, lost)
        assert j.settings in (done.settings, done.flight_settings), cut
        assert j.boot in (done.boot, done.flight_boot), cut
        if done.flight_boot is None:
            assert j.boot == done.boot, cut
        seq = j.append(9, 9, 9, 9, 9, 9, 9)
        assert seq == j.head - 1 and seq > last, cut
        return lost, reused

    return check


def _write(j: Any, done: Committed, op: Callable[[], Any]) -> Any:
    """Run one journal write; record what it committed."""
    done.flight_settings = j.settings
    done.flight_boot = j.boot
    out = op()
    done.settings, done.boot = j.settings, j.boot
    done.flight_settings = done.flight_boot = None
    return out


def _append(j: Any, done: Committed, i: int) -> None:
    seq = _write(j, done, lambda: j.append(*_rec(i)))
    done.records[seq] = fw_record(seq, i)
    done.last = seq


def _journal_scenario(fw: Any) -> Callable[[PageNVM, Committed], None]:
    """Three boots: settings saves, boot-counter saves (with the boot's first write), and
    appends that wrap the 18-record journal twice."""

    def run(nvm: PageNVM, done: Committed) -> None:
        i = 0
        for boot, appends in ((1, 10), (2, 16), (3, 14)):
            j = journal_on(fw, nvm)
            j.boot = boot  # persisted by this boot's first write
            j.set_settings(b"SNOOZE_MIN=%d\n" % boot)
            _write(j, done, j.flush)  # settings save (and boot-counter save)
            for _ in range(appends):
                _append(j, done, i)
                i += 1
                if i % 7 == 0:
                    j.set_settings(b"MICRO_MIN=%d\n" % i)
                    _write(j, done, j.flush)

    return run


def test_power_cut_at_every_step(fw):
    counts = _cut_everywhere(lambda: new_nvm(1024, page=512), _journal_scenario(fw),
                             _check_journal(fw))
    # 3 boots x 1 settings/boot save + 40 appends + 5 settings saves, 129 steps each
    assert counts == {"cuts": 48 * 129 + 1, "lost": 0, "reused": 0}


def test_power_cut_real_geometry_full_journal(fw):
    """8 KiB nvm, 4 KiB pages: a full journal (191 records), a settings save, then two
    appends that each drop the oldest record."""
    base = new_nvm()
    j = journal_on(fw, base)
    j.boot = 4
    prefill(j, [_rec(i) for i in range(j.capacity)])
    start = bytes(base.data)
    before = {s: fw_record(s, s - 1) for s in range(j.tail, j.head)}

    def run(nvm: PageNVM, done: Committed) -> None:
        j = journal_on(fw, nvm)
        done.boot, done.settings, done.last = 4, b"", j.head - 1
        done.records = dict(before)
        j.boot = 5
        j.set_settings(b"TICKS=0\n")
        _write(j, done, j.flush)
        _append(j, done, 191)
        _append(j, done, 198)

    counts = _cut_everywhere(lambda: PageNVM(data=start), run, _check_journal(fw))
    assert counts == {"cuts": 3 * 1025 + 1, "lost": 0, "reused": 0}


# -- migration from the v1 layout ---------------------------------------------------------


def _v1_nvm(fw: Any, records: int, boot: int, settings: bytes) -> bytes:
    """An 8 KiB nvm as the v1 firmware left it: two 256-byte store copies (the newer one
    holding boot + settings), then a ring of 383 20-byte slots (seq in slot seq % 383)."""
    data = bytearray(b"\xff" * 8192)
    for copy, gen, b in ((0, 9, boot - 1), (1, 10, boot)):
        body = struct.pack("<HI", 4 + len(settings), gen) + struct.pack("<I", b) + settings
        data[copy * 256 : copy * 256 + len(body) + 4] = body + struct.pack(
            "<I", zlib.crc32(body))
    slots = (8192 - 512) // 20
    for seq in range(1, records + 1):
        pos = 512 + (seq % slots) * 20
        data[pos : pos + 20] = fw_record(seq, seq - 1)
    return bytes(data)


def test_migration_keeps_the_newest_records(fw, sa):
    old = _v1_nvm(fw, 150, 7, b"SNOOZE_MIN=7\n")
    nvm = PageNVM(data=old)
    storage = sa.DictStorage({})
    j = journal_on(fw, nvm, storage)
    assert (j.head, j.tail, j.migrated, j.boot, j.settings) == (151, 1, 150, 7, b"SNOOZE_MIN=7\n")
    assert nvm.erases == [1, 0] and storage.files == {}  # the v1 copy is gone again
    assert fw.journal.unpack_record(j.read(150))[1] == 5149
    full = journal_on(fw, PageNVM(data=_v1_nvm(fw, 400, 2, b"")))
    assert (full.head, full.tail, full.dropped) == (401, 401 - 191, 400 - 191)


def test_power_cut_at_every_step_of_the_migration(fw, sa):
    """A full v1 ring (382 records of 400): the migration (copy to storage, one page write)
    cut at every step, then rebooted; then the next boot's first append."""
    old = _v1_nvm(fw, 400, 7, b"SNOOZE_MIN=7\n")
    storage = sa.DictStorage({})
    keep = {s: fw_record(s, s - 1) for s in range(400 - 191 + 1, 401)}

    def run(nvm: PageNVM, done: Committed) -> None:
        storage.files.clear()
        done.boot, done.settings, done.last = 7, b"SNOOZE_MIN=7\n", 400
        done.records = dict(keep)
        j = journal_on(fw, nvm, storage)  # migrates
        j.boot = 8
        _append(j, done, 400)

    check = _check_journal(fw, storage)
    counts = _cut_everywhere(lambda: PageNVM(data=old), run, check)
    assert counts == {"cuts": 2 * 1025 + 1, "lost": 0, "reused": 0}


def test_migration_without_storage_copy_is_still_complete(fw):
    nvm = PageNVM(data=_v1_nvm(fw, 20, 3, b""))
    j = journal_on(fw, nvm)
    assert (j.head, j.tail, j.boot) == (21, 1, 3)
    assert journal_on(fw, nvm).head == 21


def test_settings_too_large(fw):
    j = journal_on(fw, new_nvm())
    with pytest.raises(ValueError):
        j.set_settings(b"x" * (fw.journal.SETTINGS_MAX + 1))


class ReadOnly:
    """The drive as code.py sees it in the normal storage mode: readable, not writable."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, name: str) -> bytes:
        return self.files[name]

    def write(self, name: str, data: bytes) -> None:
        raise OSError(30, "Read-only filesystem")

    def remove(self, name: str) -> None:
        raise OSError(30, "Read-only filesystem")


def _migration_sweep(fw: Any, sa: Any, boot_py: bool) -> dict[str, int]:
    """Normal mode: boot.py (copy of the v1 nvm while it may write the drive, when
    `boot_py`), then code.py migrates on a read-only drive, cut at every flash step; then a
    boot (boot.py again, code.py) and an append. Returns the counts."""
    old = _v1_nvm(fw, 400, 7, b"SNOOZE_MIN=7\n")
    keep = {s: fw_record(s, s - 1) for s in range(400 - 191 + 1, 401)}
    files: dict[str, bytes] = {}

    def boot(nvm: PageNVM) -> Any:
        if boot_py:
            fw.migrate.prepare(nvm, sa.DictStorage(files))
        return journal_on(fw, nvm, ReadOnly(files))

    def run(nvm: PageNVM, done: Committed) -> None:
        files.clear()
        done.boot, done.settings, done.last = 7, b"SNOOZE_MIN=7\n", 400
        done.records = dict(keep)
        j = boot(nvm)  # migrates
        j.boot = 8
        _append(j, done, 400)

    lost = reused = cuts = 0
    probe = PageNVM(data=old)
    run(probe, Committed())
    for cut in range(probe.steps + 1):
        nvm = PageNVM(data=old)
        nvm.steps, nvm.cut_in = 0, cut
        done = Committed()
        try:
            run(nvm, done)
        except PowerCut:
            pass
        nvm.cut_in = None
        j = boot(nvm)
        cuts += 1
        low = max(1, (j.head - 1) - j.capacity + 1)  # what fits: the rest drops anyway
        lost += sum(1 for seq, rec in done.records.items() if seq >= low and j.read(seq) != rec)
        reused += int(j.head <= done.last)
    return {"cuts": cuts, "lost": lost, "reused": reused, "stash_left": int(bool(files))}


def test_migration_in_normal_mode_is_power_safe_with_boot_py(fw, sa):
    """Code cannot write the drive: boot.py keeps the v1 copy before the app migrates, so a
    cut at any step of the migration's page write loses nothing."""
    got = _migration_sweep(fw, sa, boot_py=True)
    assert got == {"cuts": 2 * 1025 + 1, "lost": 0, "reused": 0, "stash_left": 0}, got


def test_migration_in_normal_mode_without_the_copy_loses_records(fw, sa):
    """The same without boot.py's copy: the cut after page 0's erase loses v1 data (what
    the copy is for; the measure must see it)."""
    got = _migration_sweep(fw, sa, boot_py=False)
    assert got["lost"] > 0 or got["reused"] > 0, got
