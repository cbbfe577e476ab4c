"""`unknot sync --watch` on the simulated device, on a virtual clock shared by the watcher and
the device (`python tools/bench.py --only watch`).

The real firmware App (SimDevice) is served over the bumble link (SimRadio) and advertises
its tag (firmware advert.py, through the simulated peripheral); the real watch loop
(unknot.ble.watch.Watcher) listens with the real passive scan (unknot.ble.advert.ScanListener
over the bleak bumble backend) and calls the real sync entry point (sync_device) into a real
SQLite history. Only time is virtual: the listener steps the device's VirtualClock second by
second, during which the wearer presses the button (a routine of about 105 s) every 6-14 min.

Scenario: PRESENT_H hours in range, AWAY_H hours away (advertising stopped), then back.
- watch_arrival_s: median time from a session's end on the device to its arrival in the
  history (sessions finished in range); watch_arrival_max_s the worst one.
- watch_wakeups_per_away_hour: times the watcher woke (a change heard, or something due)
  per hour while the device was away.
- watch_return_s: from the device coming back to its first sync.
- watch_device_tags_per_day: tags (AES-CMAC) the device computed per day of the
  scenario: one per new session and one per ROTATE_MS; watch_device_tag_ms what one costs
  the board (the board model's fuel count, tools/board/cpu.py, aesio charged as C: the
  tag itself and loading the seal module it uses, which is dropped again between
  connections; the collection after the drop is not counted), and
  watch_device_tag_cpu_s_per_day the product: the advert's extra CPU a day.

Time charged (virtual): the device steps in 1 s; a changed advertisement is heard
ADV_HEARD_S later (one slow advertising interval, 1 s, with the laptop scanning all the
time); a sync costs SYNC_S (connect, authenticate, read: about 1-2 s over the air; the sim
link takes a fraction of a real second); a sync that finds nothing costs its scan window.
While the device is in range, "heard" is refreshed every virtual second (the device
advertises every second; the real scan only has to deliver the changes).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from unknot import paths
from unknot.ble.advert import ScanListener, Sighting
from unknot.ble.sync import SyncSummary, sync_device
from unknot.ble.watch import Watcher, WatchPolicy
from unknot.errors import DeviceNotFound

EPOCH = 1_800_000_000.0
PRESENT_H = 1.5
AWAY_H = 2.0
BACK_H = 0.25
REAL_SCAN_S = 0.3  # real seconds a sync's scan listens on the sim link
ADV_HEARD_S = 1.0
SYNC_S = 2.0
REAL_WAIT_S = 15.0  # real seconds to wait for the scan to deliver an expected change (load)


class DeviceTime:
    """The watcher's clock: the simulated device's virtual clock. Advancing steps the
    device second by second, pressing the button when the schedule says and noting session
    ends."""

    def __init__(self, device: Any, presses: list[float]) -> None:
        self.device = device
        self.presses = presses  # virtual times (s since start), ascending
        self.ends: list[float] = []  # when each new journal record appeared

    def t(self) -> float:
        return float(self.device.clock.now_ms()) / 1000

    def now(self) -> float:
        return EPOCH + self.t()

    def time(self) -> float:  # the listener's clock
        return self.now()

    def advance(self, seconds: float) -> None:
        end_ms = self.device.clock.now_ms() + int(seconds * 1000)
        while self.device.clock.now_ms() < end_ms:
            if self.presses and self.presses[0] <= self.t():
                self.presses.pop(0)
                self.device.button.press()
            head = self.device.app.journal.head
            self.device.run_until(min(end_ms, self.device.clock.now_ms() + 1000))
            if self.device.app.journal.head != head:
                self.ends.append(self.now())

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


class BenchListener(ScanListener):
    """The real passive scan, with time stepped: `next()` advances the device a second at a
    time (switching range at the scenario's edges) until the scan delivers a change or the
    timeout passes."""

    def __init__(self, clock: DeviceTime, radio: Any, policy: WatchPolicy,
                 edges: tuple[float, float, float]) -> None:
        super().__init__(policy.away_s, {**radio.scanner_kwargs(), "scanning_mode": "passive"},
                         clock)
        self.dt = clock
        self.peripheral = radio.peripheral
        self.away_from, self.back_at, self.stop_at = edges
        self.in_range = True
        self.heard = False  # a real advertisement heard since the device came into range
        self.woke: list[float] = []  # virtual times next() returned

    def _on_advert(self, device: Any, adv: Any) -> None:
        self.heard = True
        super()._on_advert(device, adv)

    async def _set_range(self) -> None:
        want = not (self.away_from <= self.dt.t() < self.back_at)
        if want != self.in_range:
            self.in_range, self.heard = want, False
            await self.peripheral.set_advertising(want)

    def _expecting(self) -> bool:
        """The device advertises something the scan has not delivered yet."""
        if not self.in_range or self._scanner is None:
            return False
        return not self.heard or bytes(self.peripheral.advert.data)[2:] not in \
            self._payload.values()

    async def _deliver(self) -> Sighting | None:
        t_end = time.monotonic() + REAL_WAIT_S
        while self._queue.empty() and time.monotonic() < t_end:
            await asyncio.sleep(0.005)
        if self._queue.empty():
            return None
        self.dt.advance(ADV_HEARD_S)
        return self._queue.get_nowait()

    async def next(self, timeout: float | None) -> Sighting | None:
        until = None if timeout is None else self.dt.t() + timeout
        while self.dt.t() < self.stop_at and (until is None or self.dt.t() < until):
            await self._set_range()
            if self._expecting() or not self._queue.empty():
                seen = await self._deliver()
                if seen is not None:
                    self.woke.append(self.dt.t())
                    return seen
            self.dt.advance(1.0)
            await asyncio.sleep(0)
            if self.in_range and self.heard:
                for address in self.last_seen:
                    self.last_seen[address] = self.dt.now()
        self.woke.append(self.dt.t())
        return None


def _presses(present_h: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    presses, t = [], 60.0
    while t < present_h * 3600 - 300:
        presses.append(t)
        t += rng.uniform(6 * 60, 14 * 60)
    return presses


async def measure(present_h: float = PRESENT_H, away_h: float = AWAY_H,
                  back_h: float = BACK_H, seed: int = 7) -> dict[str, Any]:
    from unknot.device.keys import HostKey, KeyStore, write_key_file
    from unknot.sim.device import SimDevice
    from unknot.sim.radio import SimRadio

    policy = WatchPolicy()
    with tempfile.TemporaryDirectory() as tmp:
        paths.set_home(tmp)
        sim_dir = Path(tmp) / "sim" / "default"
        sim_dir.mkdir(parents=True)
        write_key_file(sim_dir, HostKey.new(), KeyStore())  # USB consent
        device = SimDevice(sim_dir)
        clock = DeviceTime(device, _presses(present_h, seed))
        radio = await SimRadio(device.app, keys_dir=Path(tmp) / "keys").start()
        away_from = present_h * 3600
        back_at = away_from + away_h * 3600
        stop_at = back_at + back_h * 3600
        listener = BenchListener(clock, radio, policy, (away_from, back_at, stop_at))
        syncs: list[tuple[float, int]] = []  # (virtual time, new records)

        async def attempt(address: str | None, scan_s: float) -> SyncSummary:
            try:
                summary = await sync_device(address, radio=radio, scan_s=REAL_SCAN_S,
                                            lock_wait_s=0.0)
            except DeviceNotFound:
                clock.advance(scan_s)  # a real scan listens this long
                raise
            clock.advance(SYNC_S)
            return summary

        lines: list[str] = []
        watcher = Watcher(attempt, listener, lines.append, policy=policy, clock=clock,
                          on_sync=lambda at, s: syncs.append((at - EPOCH, s.new)))
        try:
            await watcher.run(until=lambda: clock.t() >= stop_at)
        finally:
            await radio.stop()
            paths.set_home(None)
    return _figures(clock, listener, syncs, device, (away_from, back_at, stop_at), lines)


def _figures(clock: DeviceTime, listener: BenchListener, syncs: list[tuple[float, int]],
             device: Any, edges: tuple[float, float, float], lines: list[str]) -> dict[str, Any]:
    away_from, back_at, stop_at = edges
    arrivals = []
    synced = [at for at, new in syncs if new]
    for end in clock.ends:
        e = end - EPOCH
        if e < away_from:
            arrivals.append(min(s for s in synced if s >= e) - e)
    return {
        "arrivals": arrivals,
        "away_wakeups": len([t for t in listener.woke if away_from <= t < back_at]),
        "away_h": (back_at - away_from) / 3600,
        "return_s": min(at for at, _ in syncs if at >= back_at) - back_at,
        "sessions": len(clock.ends),
        "stored": sum(new for _, new in syncs),
        "tags_per_day": device.app.protocol.peripheral.advert.updates * 86400 / stop_at,
        "lines": lines,
    }


def tag_ms() -> float:
    """Board milliseconds of one Advert.update while idle (a random counter, the AES-CMAC
    tag, the payload) and of loading the seal module for it, counted on the board model
    (tools/board/cpu.py: wasmtime fuel, 32-bit MicroPython, aesio charged as C). The meter
    runs the unspilled VM, where a collection is unsafe: the tag is counted with seal
    loaded (no drop), the load apart (its sys.modules entry removed, no collection)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "board"))
    import cpu

    meter = cpu.Meter()
    setup = ("import sys\nfrom unknot import advert, seal\na = advert.Advert()\n"
             "s = advert.secret(bytes(16), 1)\nh = 0")
    update = meter.ms("a.update(s, h, 0)\n    h += 1", setup, n=5)
    load = meter.ms("sys.modules.pop('unknot.seal')\n    import unknot.seal", setup, n=5)
    return update + load


def run() -> dict[str, float | int]:
    m = asyncio.run(measure())
    ms = tag_ms()
    return {
        "watch_arrival_s": round(statistics.median(m["arrivals"]), 1),
        "watch_arrival_max_s": round(max(m["arrivals"]), 1),
        "watch_wakeups_per_away_hour": round(m["away_wakeups"] / m["away_h"], 1),
        "watch_return_s": round(m["return_s"], 1),
        "watch_device_tags_per_day": round(m["tags_per_day"], 1),
        "watch_device_tag_ms": round(ms, 1),
        "watch_device_tag_cpu_s_per_day": round(ms * m["tags_per_day"] / 1000, 1),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
