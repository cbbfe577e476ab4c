"""`unknot sync --watch`: stay running and sync when the device says there is something new.

The device's advertisement carries a tag over its journal head (docs/protocol.md
"Advertisement", unknot.ble.advert); a passive scan (`ScanListener`) hears it without
connecting. The loop syncs once at start, then sleeps until the scan reports a change:

- the tag says the head moved past the one this computer synced ("new"): sync now, so a
  finished session reaches the history seconds after it ends;
- the tag matches the synced head ("same"): nothing to do; but a device heard again after
  `away_s` of silence is synced once (it may have been used away, and its clock is set);
- a tag no cursor here explains ("unknown": a device or journal not synced yet, or
  someone else's) or no tag (firmware before the advert): sync, then not again for that
  address before the backoff (unknown) or `untagged_sync_s` (no tag) has passed;
- a failed sync (link dropped, no adapter): retried with backoff from `first_retry_s` to
  `max_retry_s` while the device is still heard, one log line per new failure message; a
  device that refuses this computer (not paired: someone else's) is not retried on a
  timer, only when its advertisement changes after the backoff;
  nothing is lost or duplicated (the store commits verified batches with the cursor);
- another process holds the sync lock: retried after `first_retry_s`.

While the device is away nothing is heard and nothing is due: the process does not wake
(one wake-up logs "device away" after `away_s`). The scan is paused during each sync (one
radio). It logs one line per sync and per state change, never one per advertisement, and
keeps only counters and the last summary (not one per sync). Time comes from a
`WatchClock`, so tests and the benchmark run the same loop on a virtual clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from unknot.ble.advert import Known, Sighting, judge, known_devices
from unknot.ble.session import NotPaired
from unknot.ble.sync import SyncSummary
from unknot.errors import DeviceNotFound, SyncBusy, UnknotError

if TYPE_CHECKING:
    from unknot.ble import RadioSource


@dataclass(frozen=True)
class WatchPolicy:
    """When the watcher acts (seconds). docs/history.md explains the choice."""

    first_retry_s: float = 5.0
    max_retry_s: float = 300.0
    away_s: float = 60.0  # not heard this long: away (logged once); heard again: synced once
    untagged_sync_s: float = 120.0  # a device without the tag: synced at most this often
    scan_s: float = 10.0  # how long a sync looks for the device it heard


class WatchClock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (log lines, measurements, the listener's last_seen)."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (a virtual clock just moves on)."""


class Listener(Protocol):
    last_seen: dict[str, float]

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def next(self, timeout: float | None) -> Sighting | None:
        """The next change heard, or None after `timeout` s (None: until one comes)."""


class RealClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


Attempt = Callable[[str | None, float], Awaitable[SyncSummary]]  # (address, scan_s)


class Watcher:
    """The watch loop: `attempt(address, scan_s)` does one whole sync (address None: the
    first Unknot found); `listener` hears the advertisements; `log` gets each line."""

    def __init__(self, attempt: Attempt, listener: Listener, log: Callable[[str], None], *,
                 policy: WatchPolicy | None = None, clock: WatchClock | None = None,
                 known: Callable[[], Sequence[Known]] = known_devices,
                 on_sync: Callable[[float, SyncSummary], None] | None = None,
                 only: str | None = None) -> None:
        self.attempt = attempt
        self.listener = listener
        self.log = log
        self.policy = policy or WatchPolicy()
        self.clock: WatchClock = clock or RealClock()
        self.known = known
        self._known: Sequence[Known] | None = None  # known() until the next sync attempt
        self.on_sync = on_sync
        self.only = None if only is None else only.upper()  # --address: other devices ignored
        self.away: bool | None = None  # None until the first attempt or sighting says
        self.failure: str | None = None  # the last failure logged (repeats are not)
        self.wakeups = 0  # times the loop woke: a change heard, or something due
        self.syncs = 0  # attempts made
        self.last: tuple[float, SyncSummary] | None = None  # the last successful sync
        self.synced_at: dict[str, float] = {}  # address -> last successful sync
        self.retry_at: dict[str, float] = {}  # address -> a sync due then (a failed one)
        self.backoff: dict[str, float] = {}  # address -> the next retry delay
        self.hold_until: dict[str, float] = {}  # address -> no "unknown"/untagged sync before

    def _line(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.clock.now()))
        self.log(f"{stamp}  {text}")

    def _present(self, address: str, now: float) -> bool:
        seen = self.listener.last_seen.get(address)
        return seen is not None and now - seen < self.policy.away_s

    def _timeout(self, now: float) -> float | None:
        """Seconds until something is due: a retry of a device still heard, or the moment
        silence means away. None: nothing is (sleep until a change is heard)."""
        due = [t for a, t in self.retry_at.items() if self._present(a, now)]
        if self.away is False and self.listener.last_seen:
            due.append(max(self.listener.last_seen.values()) + self.policy.away_s)
        return None if not due else max(0.0, min(due) - now)

    def _failed(self, address: str | None, now: float, delay: float | None = None) -> float:
        key = address or ""
        step = self.backoff.get(key, self.policy.first_retry_s)
        self.backoff[key] = min(self.policy.max_retry_s, step * 2)
        wait = step if delay is None else delay
        if address is not None:
            self.retry_at[address] = now + wait
        return wait

    async def _sync(self, address: str | None) -> None:
        """One attempt, with the scan paused (one radio); its outcome logged."""
        self.syncs += 1
        self._known = None  # the attempt may move a cursor or bring a device secret
        await self.listener.stop()
        try:
            summary = await self.attempt(address, self.policy.scan_s)
        except DeviceNotFound:
            if self.away is not True:
                self._line("device away: not advertising nearby; syncing when it is heard")
                self.away = True
            self._failed(address, self.clock.now())
            return
        except NotPaired as exc:  # a stranger's device, or consent withdrawn: no timed retry
            key = address or ""
            wait = self.backoff.get(key, self.policy.first_retry_s)
            self.backoff[key] = min(self.policy.max_retry_s, wait * 2)
            self.hold_until[key] = self.clock.now() + wait
            if str(exc) != self.failure:
                self._line(f"not synced: {exc}")
                self.failure = str(exc)
            return
        except SyncBusy as exc:
            wait = self._failed(address, self.clock.now(), self.policy.first_retry_s)
            self._line(f"{exc}; retrying in {wait:g} s")
            return
        except UnknotError as exc:
            wait = self._failed(address, self.clock.now())
            if str(exc) != self.failure:
                self._line(f"sync failed: {exc}; retrying with backoff from {wait:g} s")
                self.failure = str(exc)
            return
        finally:
            await self.listener.start()
        self._synced(address, summary)

    def _synced(self, address: str | None, summary: SyncSummary) -> None:
        now = self.clock.now()
        self.away, self.failure, self.last = False, None, (now, summary)
        key = address or summary.device.address
        self.synced_at[key] = now
        self.listener.last_seen[key] = now  # heard: the sync itself talked to it
        self.retry_at.pop(key, None)
        self.backoff.pop(key, None)
        d = summary.device
        self._line(f"{d.name or d.address} ({d.device_id}): synced, {summary.new} new, "
                   f"{summary.lost} lost")
        if self.on_sync is not None:
            self.on_sync(now, summary)

    def _wanted(self, seen: Sighting, now: float) -> bool:
        """Whether what was heard calls for a sync (see the module doc)."""
        if self._known is None:  # read once per sync: not per sighting
            self._known = self.known()
        verdict, _device, _new = judge(seen.payload, self._known)
        if verdict == "new":
            return True
        if verdict == "same":
            return seen.back or seen.address not in self.synced_at
        if now < self.hold_until.get(seen.address, 0.0):
            return False
        if verdict == "untagged":
            self.hold_until[seen.address] = now + self.policy.untagged_sync_s
        else:
            self.hold_until[seen.address] = now + self.backoff.get(
                seen.address, self.policy.first_retry_s)
        return True

    async def step(self) -> None:
        """Wait for a change or for what is due, and act on it."""
        seen = await self.listener.next(self._timeout(self.clock.now()))
        self.wakeups += 1
        now = self.clock.now()
        if seen is None:
            due = [a for a, t in self.retry_at.items() if t <= now and self._present(a, now)]
            for address in due:
                self.retry_at.pop(address, None)
                await self._sync(address)
            if not due and self.away is False and self._timeout(now) == 0.0:
                self._line("device away: not heard for "
                           f"{self.policy.away_s:g} s; syncing when it is heard again")
                self.away = True
            return
        if self.only is not None and seen.address.upper() != self.only:
            return
        if self.away is True:
            self._line("device back in range")
            self.away = False
        if self._wanted(seen, now):
            await self._sync(seen.address)

    async def run(self, until: Callable[[], bool] | None = None) -> None:
        """Sync once, then listen and act, forever or until `until()` is true after a step.
        Cancelling it (Ctrl-C) stops it cleanly: a sync in flight disconnects and releases
        the lock on its way out, and the scan stops."""
        await self.listener.start()
        try:
            await self._sync(None)
            while until is None or not until():
                await self.step()
        finally:
            await self.listener.stop()


def watch(address: str | None = None, *, name: str | None = None,
          radio: RadioSource | None = None, clock_rate: float = 1.0,
          listener: Listener | None = None, log: Callable[[str], None] = print,
          policy: WatchPolicy | None = None) -> None:
    """`unknot sync --watch`: run the watcher on the real clock until interrupted (`radio`,
    `clock_rate`, `listener`: unknot.radio; default: this computer's adapter)."""
    from unknot.ble.advert import ScanListener
    from unknot.ble.sync import sync_device

    policy = policy or WatchPolicy()

    def attempt(heard: str | None, scan_s: float) -> Awaitable[SyncSummary]:
        # The watcher never waits for the lock: it retries later instead.
        return sync_device(address or heard, name=name, radio=radio, clock_rate=clock_rate,
                           scan_s=scan_s, lock_wait_s=0.0)

    hears = listener if listener is not None else ScanListener(policy.away_s)
    asyncio.run(Watcher(attempt, hears, log, policy=policy, only=address).run())
