"""Corrupt journal records and overflow are counted apart, end to end over the BLE link:
the device's READ stops at a bad record and its END frame says where to resume."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from bleapp import App, consent, db_seqs, run
from unknot import core
from unknot.ble import open_device
from unknot.ble.sync import sync
from unknot.history import HistoryStore
from unknot.sim.radio import SimRadio


def _record_pos(j: Any, seq: int) -> int:
    """nvm offset of record `seq` in the journal's newest image (layout v2, docs/journal.md):
    the image whose header carries the journal's generation."""
    jm = core.journal
    for slot in range(2):
        base = slot * j.slot_size
        magic, gen = struct.unpack_from(jm.HEADER, bytes(j.nvm[base : base + jm.HEADER_SIZE]))[:2]
        if magic == jm.MAGIC and gen == j.generation:
            return base + jm.RECORDS_AT + (seq - j.tail) * jm.RECORD_SIZE
    raise AssertionError("no current image")


def test_corrupt_slots_are_not_overflow(tmp_path: Path, home: Path) -> None:
    app = App(60)
    consent(app)
    j = app.journal
    for seq in (20, 21, 45):  # break the CRC of three records (bit rot after the boot)
        j.nvm[_record_pos(j, seq) + 6] ^= 0xFF

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "keys").start()
        with HistoryStore.open(tmp_path / "h.sqlite3") as store:
            async with open_device(radio=radio) as s:
                got = await sync(s, store, batch=25)
            assert (got.new, got.known, got.lost, got.corrupt) == (57, 0, 0, 3)
            assert db_seqs(store) == [s for s in range(1, 61) if s not in (20, 21, 45)]
            assert sum(x["corrupt"] for x in store.sync_log()) == 3
            assert store.cursor(got.device.device_id).next_seq == 61
            async with open_device(radio=radio) as s:
                again = await sync(s, store)
            assert (again.new, again.lost, again.corrupt) == (0, 0, 0)
        await radio.stop()

    run(go)
