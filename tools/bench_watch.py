"""`unknot sync --watch` on the simulated device, on a virtual clock shared by the watcher and
the device (`python tools/bench.py --only watch`).

The real firmware App (SimDevice) is served over the bumble link (SimRadio); the real watch
loop (unknot.ble.watch.Watcher) calls the real sync entry point (sync_device) into a real
SQLite history. Only time is virtual: the watcher's sleeps step the device's VirtualClock,
during which the wearer presses the button (a routine of about 105 s) every 6-14 min.

Scenario: PRESENT_H hours in range, AWAY_H hours away (advertising stopped), then back.
- watch_arrival_s: mean time from a session's end on the device to its arrival in the
  history (sessions finished in range); watch_arrival_max_s the worst one.
- watch_wakeups_per_away_hour: watcher attempts (each one scan window) per hour while the
  device is away, over the whole away period (the backoff ramp included).
- watch_return_s: from the device coming back to its first sync.

Each scan that finds nothing is charged the policy's scan window (10 s) of virtual time; a
scan that finds the device and the sync itself are charged nothing (on the sim link they
take a fraction of a second; over the air about 1-2 s, to be added to the arrival figure).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path
from typing import Any

from unknot import paths
from unknot.ble.sync import SyncSummary, sync_device
from unknot.ble.watch import Watcher, WatchPolicy
from unknot.errors import DeviceNotFound

EPOCH = 1_800_000_000.0
PRESENT_H = 1.5
AWAY_H = 2.0
BACK_H = 0.25
REAL_SCAN_S = 0.3  # real seconds one scan listens on the sim link (it advertises every 0.1 s)


class DeviceTime:
    """The watcher's clock: the simulated device's virtual clock. Sleeping steps the device
    second by second, pressing the button when the schedule says and noting session ends."""

    def __init__(self, device: Any, presses: list[float]) -> None:
        self.device = device
        self.presses = presses  # virtual times (s since start), ascending
        self.ends: list[float] = []  # when each new journal record appeared

    def t(self) -> float:
        return float(self.device.clock.now_ms()) / 1000

    def now(self) -> float:
        return EPOCH + self.t()

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


async def measure(present_h: float = PRESENT_H, away_h: float = AWAY_H,
                  back_h: float = BACK_H, seed: int = 7) -> dict[str, Any]:
    from unknot.sim.device import SimDevice
    from unknot.sim.peripheral import FAST_ADV_S
    from unknot.sim.radio import SimRadio

    policy = WatchPolicy()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths.set_home(tmp)
        from unknot.device.keys import HostKey, KeyStore, write_key_file

        (Path(tmp) / "sim" / "default").mkdir(parents=True)
        write_key_file(Path(tmp) / "sim" / "default", HostKey.new(), KeyStore())  # USB consent
        device = SimDevice(Path(tmp) / "sim" / "default")
        presses, t = [], 60.0
        while t < present_h * 3600 - 300:
            presses.append(t)
            t += rng.uniform(6 * 60, 14 * 60)
        clock = DeviceTime(device, presses)
        radio = await SimRadio(device.app, keys_dir=Path(tmp) / "keys").start()
        away_from = present_h * 3600
        back_at = away_from + away_h * 3600
        stop_at = back_at + back_h * 3600
        attempts: list[tuple[float, bool]] = []  # (virtual start, found)
        state = {"advertising": True}

        async def set_range() -> None:
            want = not (away_from <= clock.t() < back_at)
            if want == state["advertising"]:
                return
            per = radio.peripheral
            if want:
                await per.device.start_advertising(
                    advertising_data=per.advertising_data(), auto_restart=True,
                    advertising_interval_min=FAST_ADV_S * 1000,
                    advertising_interval_max=FAST_ADV_S * 1000)
            else:
                await per.device.stop_advertising()
            state["advertising"] = want

        async def attempt(scan_s: float) -> SyncSummary:
            await set_range()
            started = clock.t()
            try:
                summary = await sync_device(radio=radio, scan_s=REAL_SCAN_S, lock_wait_s=0.0)
            except DeviceNotFound:
                attempts.append((started, False))
                clock.advance(scan_s)  # a real scan listens this long
                raise
            attempts.append((started, True))
            return summary

        lines: list[str] = []
        watcher = Watcher(attempt, lines.append, policy=policy, clock=clock)
        try:
            await watcher.run(until=lambda: clock.t() >= stop_at)
        finally:
            await radio.stop()
            paths.set_home(None)
    arrivals = []
    synced = [at - EPOCH for at, s in watcher.syncs if s.new]
    for end in clock.ends:
        e = end - EPOCH
        if e < away_from:
            arrivals.append(min(s for s in synced if s >= e) - e)
    away = [a for a, _found in attempts if away_from <= a < back_at]
    back = min(a for a, found in attempts if found and a >= back_at)
    return {
        "arrivals": arrivals,
        "away_attempts": len(away),
        "away_h": away_h,
        "return_s": back - back_at,
        "sessions": len(clock.ends),
        "stored": sum(s.new for _, s in watcher.syncs),
        "lines": lines,
    }


def run() -> dict[str, float | int]:
    m = asyncio.run(measure())
    return {
        "watch_arrival_s": round(sum(m["arrivals"]) / len(m["arrivals"]), 1),
        "watch_arrival_max_s": round(max(m["arrivals"]), 1),
        "watch_wakeups_per_away_hour": round(m["away_attempts"] / m["away_h"], 1),
        "watch_return_s": round(m["return_s"], 1),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
