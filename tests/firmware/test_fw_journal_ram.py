"""The journal's RAM hold (docs/journal.md "RAM hold"): sessions kept in sleep_memory and
written to the nvm in batches; READ serves them like stored records; a reset keeps them, a
power cut loses at most the held ones and never makes a sequence number come back.

The sweep cuts at every flash step (erase, word) and at every write of the RAM, and reboots
both ways: "RAM kept" (a reset, the watchdog: the RAM as the cut left it, a copy into it
possibly torn) and "RAM lost" (a power cut: the RAM powers up with other bytes)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pytest
from unknot.sim.simnvm import PageNVM, PowerCut, new_nvm
from unknot.sim.simram import SleepMemory, new_sleep_memory


def _rec(i: int) -> tuple[int, ...]:
    return (7000 + i, 3, i % 5, 5, 30 + i, 1, 2)


def _open(fw: Any, nvm: PageNVM, ram: SleepMemory, hold: int | None = None) -> Any:
    kw: dict[str, Any] = {} if hold is None else {"hold": hold}
    return fw.journal.Journal(nvm, ram=ram, page=nvm.page, **kw)


def test_sessions_are_batched_and_served(fw):
    nvm, ram = new_nvm(), new_sleep_memory()
    j = _open(fw, nvm, ram)
    hold = fw.journal.HOLD
    seqs = [j.append(*_rec(i)) for i in range(hold)]
    assert seqs == list(range(1, hold + 1)) and nvm.erases == [0, 0]
    assert (j.head, j.tail, len(j), j.held) == (hold + 1, 1, hold, hold)
    assert [fw.journal.unpack_record(j.read(s))[1] for s in seqs] == [7000 + i for i in range(hold)]
    assert j.append(*_rec(hold)) == hold + 1  # the next one writes all of them: one erase
    assert sum(nvm.erases) == 1 and j.held == 0 and j.durable == hold + 2
    assert j.append(*_rec(hold + 1)) == hold + 2 and sum(nvm.erases) == 1
    again = _open(fw, nvm, ram)  # a reset: the RAM is kept
    assert (again.head, again.held, again.epoch) == (hold + 3, 1, j.epoch)
    assert again.read(hold + 2) == j.read(hold + 2) and again.read(1) == j.read(1)


def test_power_cut_skips_the_reserve_and_writes_the_next_at_once(fw):
    nvm, ram = new_nvm(), new_sleep_memory()
    j = _open(fw, nvm, ram)
    for i in range(fw.journal.HOLD + 1):
        j.append(*_rec(i))  # 1..8 on flash, reserve 9..15
    j.append(*_rec(20))
    j.append(*_rec(21))  # 9, 10 held (and READ could send them)
    ram.power_cut()
    k = _open(fw, nvm, ram)
    assert k.ram_lost and k.head == 9 + fw.journal.HOLD and k.read(9) is None
    e = sum(nvm.erases)
    assert k.append(*_rec(22)) == 16 and sum(nvm.erases) == e + 1  # beyond the reserve
    assert k.read(16) is not None and k.read(8) is not None and k.tail == 1
    assert _open(fw, nvm, ram).head == 17


def test_hold_zero_writes_every_record_and_reserves_nothing(fw):
    nvm, ram = new_nvm(), new_sleep_memory()
    j = _open(fw, nvm, ram, hold=0)
    j.append(*_rec(0))
    j.append(*_rec(1))
    assert sum(nvm.erases) == 2 and j.spare == 0
    ram.power_cut()
    assert _open(fw, nvm, ram).head == 3  # nothing reserved: no gap after a power cut


def test_a_failed_write_keeps_the_session(fw):
    nvm, ram = new_nvm(), new_sleep_memory()
    j = _open(fw, nvm, ram, hold=0)
    nvm.fail_writes = 1
    seq = j.append(*_rec(0))
    assert seq == 1 and j.held == 1 and j.error and "timed out" in j.error
    assert j.head == 1  # beyond the reserve of the last image: not served yet
    assert j.flush() and j.error is None and j.head == 2 and j.read(1) is not None
    assert _open(fw, nvm, ram).head == 2


def test_refused_single_page_nvm(fw):
    nvm, ram = new_nvm(4096), new_sleep_memory()
    j = fw.journal.Journal(nvm, ram=ram)  # the board's 4 KiB page: one page, two images
    assert j.refused and "4096" in j.refused
    assert j.append(*_rec(0)) == 1 and j.held == 1 and j.head == 2 and nvm.erases == [0]
    assert j.error and "refused" in j.error
    k = fw.journal.Journal(nvm, ram=ram)  # a reset: held in RAM, same epoch
    assert (k.head, k.epoch) == (2, j.epoch)


# -- cut at every flash step and every RAM write ------------------------------------------


class Seen:
    """What the device did before the cut: seqs handed out (a host may have read them), the
    records that reached the flash, the settings."""

    def __init__(self) -> None:
        self.records: dict[int, bytes] = {}  # seq -> record, every one handed out
        self.durable = 1  # every handed-out seq below this is on flash
        self.last = 0  # the last seq handed out
        self.settings = b""
        self.flight: bytes | None = None


def _scenario(fw: Any, hold: int) -> Callable[[PageNVM, SleepMemory, Seen], None]:
    """Three boots (resets, RAM kept): settings saves, 30 sessions (several batches, a
    journal of 18 records wrapping), a flush before a shutdown."""

    def run(nvm: PageNVM, ram: SleepMemory, seen: Seen) -> None:
        i = 0
        for boot, n in ((1, 9), (2, 12), (3, 9)):
            j = _open(fw, nvm, ram, hold)
            seen.durable = max(seen.durable, j.durable)
            j.boot = boot
            j.set_settings(b"SNOOZE_MIN=%d\n" % boot)
            seen.flight = j.settings
            j.flush()
            seen.settings, seen.flight = j.settings, None
            seen.durable = j.durable
            for _ in range(n):
                seq = j.append(*_rec(i))
                seen.records[seq] = bytes(j.read(seq))
                seen.last = seq
                seen.durable = j.durable
                i += 1
        j.set_settings(b"TICKS=0\n")
        seen.flight = j.settings
        j.flush()
        seen.settings, seen.flight = j.settings, None
        seen.durable = j.durable

    return run


def _check(fw: Any, hold: int, nvm: PageNVM, ram: SleepMemory, seen: Seen,
           kept: bool) -> tuple[int, int, int]:
    """(durable records lost, seqs reused, sessions at risk that were lost)."""
    j = _open(fw, nvm, ram, hold)
    lost = at_risk = 0
    low = max(1, j.durable - j.capacity)
    for seq, rec in seen.records.items():
        if seq < j.tail and seq < low:
            continue  # dropped by the overflow of the 18-record journal, as without a cut
        if j.read(seq) == rec:
            continue
        if seq < seen.durable:
            lost += 1
        else:
            at_risk += 1
    reused = int(j.head <= seen.last)
    assert j.settings in (seen.settings, seen.flight)
    seq = j.append(9, 9, 9, 9, 9, 9, 9)
    reused += int(seq <= seen.last)
    if kept:
        assert at_risk == 0  # a reset keeps every session
    return lost, reused, at_risk


def _sweep(fw: Any, hold: int) -> dict[str, int]:
    run = _scenario(fw, hold)

    def make() -> tuple[PageNVM, SleepMemory]:
        nvm = new_nvm(1280, page=640)  # 18 records a slot: wraps during the scenario
        return nvm, new_sleep_memory(steps=nvm)

    nvm, ram = make()
    run(nvm, ram, Seen())
    total = nvm.steps
    out = {"cuts": 0, "lost": 0, "reused": 0, "at_risk_max": 0, "at_risk_sum": 0}
    for cut in range(total + 1):
        for kept in (True, False):
            nvm, ram = make()
            nvm.cut_in = cut
            seen = Seen()
            try:
                run(nvm, ram, seen)
            except PowerCut:
                pass
            nvm.cut_in = None
            if not kept:
                ram.power_cut(cut + 1)
            lost, reused, risk = _check(fw, hold, nvm, ram, seen, kept)
            out["cuts"] += 1
            out["lost"] += lost
            out["reused"] += reused
            out["at_risk_max"] = max(out["at_risk_max"], risk)
            out["at_risk_sum"] += risk
    return out


@pytest.mark.parametrize("hold", [7, 0])
def test_cut_at_every_flash_step_and_ram_write(fw, hold):
    got = _sweep(fw, hold)
    assert got["lost"] == 0 and got["reused"] == 0, got
    assert got["at_risk_max"] <= hold, got
    if hold:
        assert got["at_risk_max"] == hold  # the bound is reached: the measure is real
    assert got["cuts"] > 2 * 1000


def test_ram_block_layout_matches_doc(fw):
    import zlib

    nvm, ram = new_nvm(), new_sleep_memory()
    j = _open(fw, nvm, ram)
    j.append(*_rec(0))
    j.append(*_rec(1))
    j.set_boot(5)
    magic, epoch, boot, crc = struct.unpack_from("<4sIII", bytes(ram[0:16]))
    assert (magic, epoch, boot, crc) == (b"UNR1", j.epoch, 5, zlib.crc32(bytes(ram[0:12])))
    assert bytes(ram[16 + 20 : 16 + 40]) == bytes(j.read(1))  # seq s in slot s % 12
    assert bytes(ram[16 + 40 : 16 + 60]) == bytes(j.read(2))
    assert fw.journal.RAM_MAX == (len(ram) - 16) // 20 == 12
