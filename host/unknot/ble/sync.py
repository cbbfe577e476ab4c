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
from unknot.history import HistoryStore

BATCH = 500  # records per verified batch: ~25 notifications at MTU 247 (see tools/bench_sync.py)


@dataclass
class SyncSummary:
    device: DeviceInfo
    new: int = 0
    known: int = 0
    lost: int = 0


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
    seq = store.cursor(info.device_id)
    total = max(0, info.head - seq)
    done = 0
    while seq < info.head:
        got = await session.read_records(seq, batch)
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
