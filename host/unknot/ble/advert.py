"""Reading the device's advertisement without connecting: is there something new?
(docs/protocol.md "Advertisement"; the tag itself is the firmware's, `unknot.core.advert`.)

`judge()` compares a payload with what this computer knows of each device it synced (the
device secret from the key store, the journal epoch and head it reached from the history's
cursors): "same" (nothing new),
"new" (the head moved on), "unknown" (a device or journal not synced here, or a stranger's),
"untagged" (firmware before the advert). `ScanListener` is the passive scan that delivers
sightings to the watcher (unknot.ble.watch): only when a device's payload changes or it
comes back after a silence, so the watcher wakes for those and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from unknot import core

LOOKAHEAD = 64  # heads beyond the synced one a "new" verdict recognises (more: "unknown")
Verdict = Literal["same", "new", "unknown", "untagged"]


@dataclass(frozen=True)
class Known:
    """What this computer knows of one device: the tag's key and the head it synced to."""

    device_id: str
    secret: bytes
    head: int


@dataclass(frozen=True)
class Sighting:
    address: str
    payload: bytes | None  # the manufacturer data after the company id, None if absent
    back: bool = False  # seen again after a silence of at least the listener's away_s


def payload_of(manufacturer_data: Mapping[int, bytes]) -> bytes | None:
    data = manufacturer_data.get(core.advert.COMPANY)
    return None if data is None else bytes(data)


def judge(payload: bytes | None, known: Sequence[Known]) -> tuple[Verdict, Known | None, int]:
    """(verdict, the device it is, how many records are new)."""
    parsed = None if payload is None else core.advert.parse(payload)
    if parsed is None or parsed[0] != core.advert.VERSION:
        return "untagged", None, 0
    _version, counter, tag = parsed
    for k in known:
        for extra in range(LOOKAHEAD + 1):
            if core.advert.tag(k.secret, counter, k.head + extra) == tag:
                return ("same" if extra == 0 else "new"), k, extra
    return "unknown", None, 0


def known_devices() -> list[Known]:
    """Every device this computer synced and holds the device secret of (the history's
    cursor: epoch and head; the key store: the secret the device handed over at
    authentication). Read-only; none yet: []."""
    from unknot.device.keys import KeyStore
    from unknot.history import HistoryStore

    keys = KeyStore()
    with HistoryStore.open(readonly=True) as store:
        out = []
        for device_id in store.known_ids():
            cur = store.cursor(device_id)
            hk = keys.get(device_id)
            if cur.epoch is not None and hk is not None and hk.device_secret is not None:
                out.append(Known(device_id, core.advert.secret(hk.device_secret, cur.epoch),
                                 cur.next_seq))
        return out


def scanner_kwargs() -> dict[str, Any]:
    """A passive scan where the platform has one: BlueZ only scans passively with a pattern
    to match (ours: the company id at the start of the manufacturer data); macOS has no
    passive scan, so it scans actively there."""
    if sys.platform == "darwin":
        return {}
    if sys.platform.startswith("linux"):
        from bleak.args.bluez import BlueZScannerArgs, OrPattern
        from bleak.assigned_numbers import AdvertisementDataType

        company = core.advert.COMPANY.to_bytes(2, "little")
        pattern = OrPattern(0, AdvertisementDataType.MANUFACTURER_SPECIFIC_DATA, company)
        return {"scanning_mode": "passive", "bluez": BlueZScannerArgs(or_patterns=[pattern])}
    return {"scanning_mode": "passive"}


class ScanListener:
    """A passive scan for the Unknot service. Every advertisement updates `last_seen` (in
    the callback: no wake-up of the watcher); `next()` returns only changes (a new payload
    of a device, or a device back after `away_s` of silence). `scan_kw` chooses the
    backend (the simulated radio's); default: this computer's adapter, passive."""

    def __init__(self, away_s: float, scan_kw: dict[str, Any] | None = None,
                 clock: Any = time) -> None:
        self.away_s = away_s
        self.scan_kw = scanner_kwargs() if scan_kw is None else scan_kw
        self.clock = clock
        self.last_seen: dict[str, float] = {}
        self._payload: dict[str, bytes | None] = {}
        self._queue: asyncio.Queue[Sighting] = asyncio.Queue()
        self._scanner: Any = None

    def _on_advert(self, device: Any, adv: Any) -> None:
        if core.gatt.SERVICE not in [u.lower() for u in adv.service_uuids]:
            return  # (BlueZ's passive scan matches the company id only)
        now = self.clock.time()
        address = str(device.address)
        payload = payload_of(adv.manufacturer_data)
        last = self.last_seen.get(address)
        self.last_seen[address] = now
        back = last is not None and now - last >= self.away_s
        if back or last is None or self._payload.get(address) != payload:
            self._payload[address] = payload
            self._queue.put_nowait(Sighting(address, payload, back))

    async def start(self) -> None:
        from bleak import BleakScanner

        from unknot.errors import DeviceError

        # BlueZ filters a passive scan by its or-pattern, not by service UUID (bleak warns)
        uuids = None if "bluez" in self.scan_kw else [core.gatt.SERVICE]
        self._scanner = BleakScanner(self._on_advert, service_uuids=uuids, **self.scan_kw)
        try:
            await self._scanner.start()
        except OSError as exc:
            raise DeviceError(f"no Bluetooth adapter available ({exc.strerror or exc})") from exc

    async def stop(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            with contextlib.suppress(Exception):
                await scanner.stop()

    async def next(self, timeout: float | None) -> Sighting | None:
        """The next change, or None after `timeout` seconds (None: wait for one)."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
