"""`unknot sync --watch`: stay running and sync whenever the device is in range.

One loop, one attempt at a time. Each attempt is a whole `unknot sync` (the library's one
sync entry point, `unknot.ble.sync.sync_device`): scan for `scan_s`, connect, sync, always
disconnect, all under the sync lock. Between attempts the loop sleeps:

- after a successful sync: `after_sync_s` (2 min), so a finished session reaches the
  history within about that long while the device stays near;
- while the device is away (no advertisement found): `first_retry_s` (5 s), doubling after
  each miss up to `max_retry_s` (5 min), so an absent device costs about 12 short scans an
  hour; a successful sync resets it;
- after a failed sync (link dropped, no Bluetooth adapter): the same backoff, one log
  line per new failure message. Nothing is lost or
  duplicated by a failure: the store commits whole verified batches with the cursor and
  upserts on (device, seq), and the next attempt resumes from the cursor;
- when another process holds the sync lock: `first_retry_s`.

It logs one line per sync and one per state change (device away / back / sync failed),
never one per scan. Time comes from a `WatchClock`, so tests and the benchmark run the same
loop on a virtual clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from unknot.ble.sync import SyncSummary
from unknot.errors import DeviceNotFound, SyncBusy, UnknotError

if TYPE_CHECKING:
    from unknot.ble import RadioSource


@dataclass(frozen=True)
class WatchPolicy:
    """When the watcher wakes up (seconds). docs/history.md explains the choice."""

    first_retry_s: float = 5.0
    max_retry_s: float = 300.0
    after_sync_s: float = 120.0
    scan_s: float = 10.0  # how long one attempt listens for the device's advertisement


class WatchClock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (used for log lines and measurements)."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (a virtual clock just moves on)."""


class RealClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


Attempt = Callable[[float], Awaitable[SyncSummary]]  # scan_s -> summary; raises UnknotError


class Watcher:
    """The watch loop. `attempt(scan_s)` does one whole sync; `log` gets each line."""

    def __init__(
        self,
        attempt: Attempt,
        log: Callable[[str], None],
        *,
        policy: WatchPolicy | None = None,
        clock: WatchClock | None = None,
    ) -> None:
        self.attempt = attempt
        self.log = log
        self.policy = policy or WatchPolicy()
        self.clock: WatchClock = clock or RealClock()
        self.away: bool | None = None  # None until the first attempt says
        self.retry_s = self.policy.first_retry_s
        self.failure: str | None = None  # the last failure logged (repeats are not)
        self.wakeups = 0  # attempts made (each one scan, and a connection if found)
        self.syncs: list[tuple[float, SyncSummary]] = []  # (finished at, summary)

    def _line(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.clock.now()))
        self.log(f"{stamp}  {text}")

    def _backoff(self) -> float:
        delay = self.retry_s
        self.retry_s = min(self.policy.max_retry_s, self.retry_s * 2)
        return delay

    async def step(self) -> float:
        """One attempt; returns how long to sleep before the next."""
        self.wakeups += 1
        try:
            summary = await self.attempt(self.policy.scan_s)
        except DeviceNotFound:
            if self.away is not True:
                self._line("device away: not advertising nearby; scanning with backoff")
                self.away = True
            return self._backoff()
        except SyncBusy as exc:
            self._line(f"{exc}; retrying in {self.policy.first_retry_s:g} s")
            return self.policy.first_retry_s
        except UnknotError as exc:
            delay = self._backoff()
            if str(exc) != self.failure:
                self._line(f"sync failed: {exc}; retrying with backoff from {delay:g} s")
                self.failure = str(exc)
            return delay
        if self.away is True:
            self._line("device back in range")
        self.away = False
        self.failure = None
        self.retry_s = self.policy.first_retry_s
        self.syncs.append((self.clock.now(), summary))
        d = summary.device
        self._line(
            f"{d.name or d.address} ({d.device_id}): synced, {summary.new} new, "
            f"{summary.lost} lost"
        )
        return self.policy.after_sync_s

    async def run(self, until: Callable[[], bool] | None = None) -> None:
        """Attempt, sleep, repeat; forever, or until `until()` is true after an attempt.
        Cancelling it (Ctrl-C) stops it cleanly: the attempt in flight disconnects and
        releases the lock on its way out."""
        while True:
            delay = await self.step()
            if until is not None and until():
                return
            await self.clock.sleep(delay)


def watch(
    address: str | None = None,
    *,
    name: str | None = None,
    radio: RadioSource | None = None,
    clock_rate: float = 1.0,
    log: Callable[[str], None] = print,
    policy: WatchPolicy | None = None,
) -> None:
    """`unknot sync --watch`: run the watcher on the real clock until interrupted (`radio`,
    `clock_rate`: unknot.radio)."""
    from unknot.ble.sync import sync_device

    def attempt(scan_s: float) -> Awaitable[SyncSummary]:
        # The watcher never waits for the lock: it retries later instead.
        return sync_device(address, name=name, radio=radio, clock_rate=clock_rate,
                           scan_s=scan_s, lock_wait_s=0.0)

    asyncio.run(Watcher(attempt, log, policy=policy).run())
