"""Shared pieces for the BLE end-to-end tests (the App stand-in is tools/journal_app.py).

Imported by tests/e2e/test_ble_sync.py, tests/e2e/test_ble_kill.py and the child process
that test_ble_kill.py starts (run as a script with tests/e2e on sys.path)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from unknot.device.keys import HostKey, KeyStore
from unknot.history import HistoryStore

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from journal_app import JournalApp  # tools/ is not a package


class App(JournalApp):
    """The shared stand-in App with one old routine file on the device."""

    def __init__(self, records: int, nvm_size: int | None = None) -> None:
        super().__init__(records, nvm_size, files={"old.unk": b"old"})
        self.journal.epoch = 0x0B1E  # one journal: every App(n) made by a test is the same one


def run(coro_fn: Callable[[], Any]) -> Any:
    return asyncio.run(coro_fn())


def db_seqs(store: HistoryStore) -> list[int]:
    return [s.seq for s in store.sessions(include_sim=True)]


def device_hex(app: Any) -> str:
    """The device id as INFO carries it (8 bytes, hex)."""
    return bytes(app.device_id[:8]).ljust(8, b"\0").hex()


def consent(app: Any, store: KeyStore | None = None) -> HostKey:
    """The wearer's consent, given: a fresh key of this computer kept by the device and by the
    host's key store (UNKNOT_HOME, see the `home` fixture)."""
    hk = HostKey.new()
    app.keyring.keep(hk.host_id, hk.key)
    (store or KeyStore()).save(device_hex(app), hk)
    return hk


class FeelingWearer:
    """The wearer of a JournalApp device in a test: feels the numbers the device would tap
    (its keyring's attempt), compares them with the laptop's and presses (or not)."""

    def __init__(self, app: Any, presses: bool = True) -> None:
        self.app = app
        self.presses = presses
        self.felt: tuple[int, ...] = ()

    async def compare(self, sas: tuple[int, ...]) -> bool:
        consent = self.app.keyring.consent
        self.felt = tuple(consent[1].sas) if consent is not None else ()
        return self.felt == tuple(sas)

    async def press(self) -> None:
        if self.presses:
            self.app.keyring.answer(True)


def record_writes(radio: Any) -> tuple[list[bytes], Callable[[], None]]:
    """(the control writes that reach the device, in order; a call that stops recording):
    a tap on each connection's protocol (the sim builds one per connection) copies every
    write before handling it."""
    written: list[bytes] = []

    def tap(proto: Any) -> None:
        handle = proto.control

        def record(data: Any) -> None:
            written.append(bytes(data))
            handle(data)

        proto.control = record

    radio.peripheral.taps.append(tap)
    return written, lambda: radio.peripheral.taps.remove(tap)
