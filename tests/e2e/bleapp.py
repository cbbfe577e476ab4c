"""Shared test app for the BLE end-to-end tests: the firmware App's attributes that the
protocol handler uses, over the firmware's real Journal (loaded through unknot.fwload).

Imported by tests/e2e/test_ble_sync.py, tests/e2e/test_ble_kill.py and the child process
that test_ble_kill.py starts (run as a script with tests/e2e on sys.path)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from unknot import fwload
from unknot.store import HistoryStore


class Clock:
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
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {"old.unk": b"old"}

    def list(self) -> list[str]:
        return list(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]

    def write(self, name: str, data: bytes) -> None:
        self.files[name] = data


class App:
    """The firmware App's attributes the protocol handler uses, over a real Journal.

    The journal holds `records` deterministic records (seq 1..records); nvm_size defaults to
    the smallest size that keeps them all (one spare slot, see docs/journal.md)."""

    def __init__(self, records: int, nvm_size: int | None = None) -> None:
        journal_cls = fwload.module("journal").Journal
        if nvm_size is None:
            nvm_size = max(4096, (records + 2) * 20)
        self.journal = journal_cls(bytearray(b"\xff" * nvm_size), 0, nvm_size)
        for i in range(records):
            self.journal.append(1_700_000_000 + 60 * i, i % 5, 3, 4, 60 + i % 7, 1, 2)
        self.clock = Clock()
        self.device_id = bytes(range(1, 9))
        self.boot = 2
        self.storage = Storage()
        self.routines = [1]
        self.reloads = 0
        self.settings: dict[str, Any] = {}

    def apply_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        self.settings.update(values)
        return values

    def reload_routines(self) -> bool:
        self.reloads += 1
        return True


def run(coro_fn: Callable[[], Any]) -> Any:
    return asyncio.run(coro_fn())


def db_seqs(store: HistoryStore) -> list[int]:
    return [s.seq for s in store.sessions()]
