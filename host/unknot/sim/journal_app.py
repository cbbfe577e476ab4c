"""A stand-in for the firmware App that serves a prefilled journal: what the sync protocol
handler uses of the App (clock, journal, storage, settings), over the firmware's real Journal
(through the typed facade unknot.core) in an nvm as large as the record count needs.

The real App's nvm holds 383 records; benchmarks and link tests need more, and need them
written instantly, so they use this instead of a SimDevice. Used by tools/bench_sync.py and
the BLE end-to-end tests."""

from __future__ import annotations

from typing import Any

from unknot import core


class Clock:
    """A device clock that stands still unless a test moves `t` (ms since boot)."""

    def __init__(self) -> None:
        self.t = 5_000
        self.base: int | None = None

    def now_ms(self) -> int:
        return self.t

    def unix(self) -> int | None:
        return None if self.base is None else self.base + self.t // 1000

    def set_unix(self, t: int) -> None:
        self.base = t - self.t // 1000


class Storage:
    """The device's /routines folder, in memory."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files: dict[str, bytes] = dict(files or {})
        self.staged: dict[str, bytes] = {}  # upload staging (firmware app.py: storage contract)

    def list(self) -> list[str]:
        return list(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]

    def write(self, name: str, data: bytes) -> None:
        self.files[name] = data

    def stage_write(self, name: str, data: bytes | memoryview, new: bool) -> None:
        self.staged[name] = (b"" if new else self.staged[name]) + bytes(data)

    def stage_commit(self) -> None:
        self.files.update(self.staged)
        self.staged = {}

    def stage_drop(self) -> None:
        self.staged = {}


class JournalApp:
    """Holds `records` deterministic, varied records (seq 1..records); nvm_size defaults to
    the smallest size that keeps them all (one spare slot, see docs/journal.md)."""

    def __init__(
        self,
        records: int,
        nvm_size: int | None = None,
        files: dict[str, bytes] | None = None,
    ) -> None:
        jmod = core.journal
        if nvm_size is None:
            nvm_size = max(4096, (records + 2) * jmod.RECORD_SIZE)
        self.journal = jmod.Journal(bytearray(b"\xff" * nvm_size), 0, nvm_size)
        for i in range(records):
            self.journal.append(1_700_000_000 + 61 * i, i % 5, 3 + i % 2, 4, 60 + i % 97, 1, 2)
        self.clock = Clock()
        self.device_id = bytes(range(1, 9))
        self.boot = 2
        self.storage = Storage(files)
        self.routines = [1]
        self.battery: int | None = None
        self.keyring = core.auth.Keyring(self.clock)  # hosts: tests add theirs (keep/add)
        self.reloads = 0
        self.settings: dict[str, Any] = {}

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
