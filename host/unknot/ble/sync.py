"""Sync the device journal into the history store, resuming from the host's cursor.

Each batch is verified (count + CRC from the END frame) and committed in its own
transaction with the cursor, so a dropped link or a killed process leaves the database
consistently partial; the next sync continues where it stopped, without duplicates.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from unknot import journal
from unknot.ble.session import DeviceInfo, Session
from unknot.errors import SyncError, describe_failure
from unknot.history import DeviceSeen, HistoryStore
from unknot.history.records import HistoryError

if TYPE_CHECKING:
    from unknot.ble import RadioSource

BATCH = 500  # records per verified batch: ~25 notifications at MTU 247 (see tools/bench_sync.py)


@dataclass
class SyncSummary:
    device: DeviceInfo
    new: int = 0
    known: int = 0
    lost: int = 0
    corrupt: int = 0
    notice: str | None = None  # one line for the user: a new journal on the device


async def sync(
    session: Session,
    store: HistoryStore,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
    set_clock: bool = True,
    clock_rate: float = 1.0,
) -> SyncSummary:
    """clock_rate: the device clock's speed (1 for a board, `speed` for a simulated one),
    used to place the records of a device whose clock was not set."""
    info = await session.read_info()
    host_now = time.time()
    if set_clock:
        await session.set_clock(int(host_now))
    summary = SyncSummary(device=info)
    journal_no, seq = _start_at(store, info, summary)
    total = max(0, info.head - seq)
    first_pass = True
    while seq < info.head or first_pass:
        # One ingest even with nothing new, so the device is known after its first sync.
        first_pass = False
        got = await session.read_records(seq, batch) if seq < info.head else None
        if got is not None and got.epoch != info.epoch:
            raise SyncError("the device's journal changed during the sync; sync again")
        records = [journal.unpack(r) for r in got.records] if got else []
        seen = DeviceSeen(
            info.device_id, info.name, info.firmware, unix=info.unix, uptime_s=info.uptime_s,
            boot=info.boot, tail_seq=got.first if got else seq,
            resume_seq=got.next_seq if got else None, simulated=session.simulated,
            clock_rate=clock_rate, epoch=info.epoch, journal=journal_no)
        result = store.ingest(seen, records, host_now)
        summary.new += result.new
        summary.known += result.known
        summary.lost += result.lost
        summary.corrupt += result.corrupt
        if got is None or got.next_seq <= seq:
            break  # nothing more the device can give
        seq = got.next_seq
        if progress is not None:
            progress(min(total, seq - (info.head - total)), total)
    return summary


def _start_at(store: HistoryStore, info: DeviceInfo, summary: SyncSummary) -> tuple[int, int]:
    """(the host's journal number, the first seq to ask for): the cursor, or seq 1 of a new
    journal when the device's epoch changed or its head went back (`summary.notice` says)."""
    # The cursor belongs to one journal (device, epoch). `info` was vouched for by the
    # device's proof of our key (Session.authenticate), so a look-alike never gets here.
    cur = store.cursor(info.device_id)
    journal_no, seq = cur.journal, cur.next_seq
    who = info.name or info.device_id
    if cur.epoch is not None and cur.epoch != info.epoch:
        summary.notice = (f"{who} has a new journal (erased or replaced): syncing it from its "
                          "first record; the sessions already here are kept")
    elif info.head < seq:
        summary.notice = (f"{who}'s journal went backwards (head {info.head}, this computer had "
                          f"{seq - 1}): syncing it from its first record as a new journal")
    if summary.notice is not None:
        return journal_no + 1, 1
    # (a cursor without an epoch, synced before protocol v2, adopts this one and is kept)
    return journal_no, seq


LOCK_WAIT_S = 30.0  # how long a manual `unknot sync` waits for a sync already running


async def sync_device(
    address: str | None = None,
    *,
    name: str | None = None,
    radio: RadioSource | None = None,
    clock_rate: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
    scan_s: float = 10.0,
    lock_wait_s: float | None = None,
    on_wait: Callable[[int | None], None] | None = None,
) -> SyncSummary:
    """Find the device (over `radio`: unknot.radio.pick), sync it into the history database in
    the unknot home, disconnect. Holds the sync lock (<home>/sync.lock) throughout, so a
    manual sync and the watcher (unknot.ble.watch) never run at once; if it is held, waits up
    to `lock_wait_s` (default LOCK_WAIT_S) and then raises SyncBusy. The one sync entry point:
    `unknot sync` and `unknot sync --watch` both call it. clock_rate: see sync()."""
    from unknot import paths
    from unknot.ble import open_device
    from unknot.lock import held

    wait_s = LOCK_WAIT_S if lock_wait_s is None else lock_wait_s
    async with held(paths.sync_lock(), wait_s=wait_s, on_wait=on_wait):
        with HistoryStore.open() as store:
            async with open_device(address, name=name, radio=radio, timeout=scan_s) as session:
                try:
                    return await sync(session, store, progress=progress, clock_rate=clock_rate)
                except sqlite3.Error as exc:  # e.g. a full disk: name the file
                    raise HistoryError(f"{store.path}: {describe_failure(exc)}") from exc


def sync_history(
    address: str | None = None,
    *,
    name: str | None = None,
    radio: RadioSource | None = None,
    clock_rate: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
    on_wait: Callable[[int | None], None] | None = None,
) -> SyncSummary:
    """`unknot sync`: sync_device() once, from synchronous code."""
    return asyncio.run(sync_device(address, name=name, radio=radio, clock_rate=clock_rate,
                                   progress=progress, on_wait=on_wait))
