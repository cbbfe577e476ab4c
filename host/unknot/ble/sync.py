"""Sync the device journal into the history store, resuming from the host's cursor.

Each batch is verified (count + CRC from the END frame) and committed in its own
transaction with the cursor, so a dropped link or a killed process leaves the database
consistently partial; the next sync continues where it stopped, without duplicates.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from unknot import journal
from unknot.ble.session import DeviceInfo, Session
from unknot.errors import SyncError
from unknot.history import HistoryStore

BATCH = 500  # records per verified batch: ~25 notifications at MTU 247 (see tools/bench_sync.py)


@dataclass
class SyncSummary:
    device: DeviceInfo
    new: int = 0
    known: int = 0
    lost: int = 0
    notice: str | None = None  # one line for the user: a new journal on the device


async def sync(
    session: Session,
    store: HistoryStore,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = BATCH,
    set_clock: bool = True,
) -> SyncSummary:
    info = await session.read_info()
    host_now = time.time()
    if set_clock:
        await session.set_clock(int(host_now))
    summary = SyncSummary(device=info)
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
        journal_no, seq = journal_no + 1, 1
    # (a cursor without an epoch, synced before protocol v2, adopts this one and is kept)
    total = max(0, info.head - seq)
    done = 0
    while seq < info.head:
        got = await session.read_records(seq, batch)
        if got.epoch != info.epoch:
            raise SyncError("the device's journal changed during the sync; sync again")
        records = [journal.unpack(r) for r in got.records]
        result = store.ingest(
            info.device_id,
            info.name,
            info.firmware,
            records,
            device_unix_at_sync=info.unix,
            device_uptime_s=info.uptime_s,
            device_boot=info.boot,
            host_now=host_now,
            tail_seq=got.first,
            epoch=info.epoch,
            journal=journal_no,
        )
        summary.new += result.new
        summary.known += result.known
        summary.lost += result.lost
        if got.next_seq <= seq:
            break  # nothing more the device can give
        seq = got.next_seq
        done = min(total, seq - (info.head - total))
        if progress is not None:
            progress(done, total)
    return summary


def sync_history(
    address: str | None = None,
    *,
    sim: bool = False,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncSummary:
    """`unknot sync`: find the device (or the simulated one), sync it into the history
    database in the unknot home, disconnect."""
    from unknot.ble import open_device

    async def go() -> SyncSummary:
        with HistoryStore.open() as store:
            async with open_device(address, sim=sim, name=name) as session:
                return await sync(session, store, progress=progress)

    return asyncio.run(go())
