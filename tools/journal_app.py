"""A stand-in for the firmware App that serves a prefilled journal: what the sync protocol
handler uses of the App (clock, journal, storage, settings), over the firmware's real Journal
(through the typed facade unknot.core) in an nvm as large as the record count needs.

The real App's nvm (8 KiB) holds 197 records; benchmarks and link tests need more, and
need them written instantly, so they use this instead of a SimDevice. Used by
tools/bench_sync.py and the BLE end-to-end tests."""

from __future__ import annotations

from typing import Any

from unknot import core
from unknot.sim.simadapters import DictStorage, VirtualClock, new_nvm
from unknot.sim.simnvm import size_for

BOOT_MS = 5_000  # the device clock stands at 5 s since boot unless a test moves `t`


def prefill(j: Any, fields: list[tuple[int, ...]]) -> None:
    """Append records to the firmware Journal `j` with one flash write (its image writer;
    the firmware itself writes sessions one batch at a time): a prefilled test journal."""
    new = b"".join(core.journal.pack_record(j.head + i, *f) for i, f in enumerate(fields))
    room = j.capacity * core.journal.RECORD_SIZE
    new = new[max(0, len(new) - room):]
    keep = min(j.count, (room - len(new)) // core.journal.RECORD_SIZE)
    j._next = j.head + len(fields)
    j._write(keep, new)


class JournalApp:
    """Holds `records` deterministic, varied records (seq 1..records) in the page-erase nvm
    model; nvm_size defaults to the smallest one whose image slot keeps them all (see
    docs/journal.md)."""

    def __init__(
        self,
        records: int,
        nvm_size: int | None = None,
        files: dict[str, bytes] | None = None,
    ) -> None:
        jmod = core.journal
        if nvm_size is None:
            nvm_size = size_for(jmod.RECORDS_AT + 4 + records * jmod.RECORD_SIZE)
        self.journal = jmod.Journal(new_nvm(nvm_size))
        prefill(self.journal,
                [(1_700_000_000 + 61 * i, i % 5, 3 + i % 2, 4, 60 + i % 97, 1, 2)
                 for i in range(records)])
        self.clock = VirtualClock(BOOT_MS)
        self.player = None  # no routine ever plays
        self.device_id = bytes(range(1, 9))
        self.boot = 2
        self.storage = DictStorage(dict(files or {}))
        self.routines = [1]
        self.battery: int | None = None
        self.keyring = core.keyring.Keyring(self.clock)  # hosts: tests add theirs (keep)
        self.player = None  # no routine plays
        self.reloads = 0
        self.settings: dict[str, Any] = {}
        self.announced: list[tuple[int, ...]] = []  # STATUS queue (proto reads it; empty)

    def apply_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        self.settings.update(values)
        return values

    def reload_routines(self) -> bool:
        self.reloads += 1
        return True

    def records(self) -> list[tuple[int, ...]]:
        """Every stored record, unpacked: (seq, start, routine_id, ... boot)."""
        unpack = core.journal.unpack_record
        j = self.journal
        return [tuple(unpack(j.read(s) or b"") or ()) for s in range(j.tail, j.head)]
