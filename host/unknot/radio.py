"""The one place that picks the radio: the real one (bleak's default backend) or the
simulated device's (unknot.sim). It sits above both unknot.ble (which never imports the
simulator) and unknot.sim; every command with a `--sim` option asks it.

    from unknot import radio
    async with open_device(address, radio=radio.pick(sim)) as session: ...

Heavy imports (bumble, the simulated device) happen only when the simulated radio is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from unknot.ble import Radio, RadioSource

if TYPE_CHECKING:  # only `sync --watch` needs them: not imported by every --sim command
    from unknot.ble.advert import ScanListener, Sighting
    from unknot.ble.watch import Listener


def pick(sim: bool, *, open_window: bool = False) -> RadioSource | None:
    """None (bleak's default backend: the real radio) unless `sim`: then the simulated
    device chosen by `--sim [NAME]`, held for one connection (`simulated`)."""
    return functools.partial(simulated, open_window) if sim else None


def clock_rate(sim: bool) -> float:
    """The device clock's speed: 1 for a board or a sim served in this process, a running
    `unknot sim`'s speed (it publishes it) otherwise. Places records of an unset clock."""
    if not sim:
        return 1.0
    from unknot.sim import interproc

    link = interproc.running_link(interproc.sim_dir())
    return link.speed if link is not None else 1.0


@contextlib.asynccontextmanager
async def simulated(open_window: bool = False) -> AsyncIterator[Radio]:
    """The simulated device chosen by `--sim [NAME]`, persisted under <home>/sim/NAME/: the
    running `unknot sim --name NAME` (reached over HCI-on-TCP) when there is one (its wearer
    opens the pairing window: key `b`), else served in this process (`open_window`: opened
    here, as the wearer would). One command at a time holds it (`interproc.take_turn`:
    DeviceBusy)."""
    from unknot.sim import interproc
    from unknot.sim.radio import SimRadio, SimWearer
    from unknot.sim.server import ble_name

    name = interproc.selected()
    sim_dir = interproc.sim_dir(name)
    async with interproc.take_turn(sim_dir):
        running = interproc.running_link(sim_dir)
        if running is not None:
            remote = await interproc.RemoteRadio(running, keys_dir=sim_dir).start()
            try:
                yield remote
            finally:
                await remote.stop()
            return
        from unknot.sim.device import SimDevice

        device = SimDevice(sim_dir)
        if open_window:
            device.app.keyring.open()
        radio = await SimRadio(device.app, keys_dir=sim_dir, name=ble_name(name),
                               wearer=SimWearer.stepping(device)).start()
        try:
            yield radio
        finally:
            await radio.stop()


def watch_listener(sim: bool, away_s: float) -> Listener | None:
    """What `sync --watch` listens with: None (this computer's adapter, passive) unless
    `sim`: then the running `unknot sim`'s link (`SimListener`)."""
    return SimListener(away_s) if sim else None


class SimListener:
    """`sync --watch --sim`: a passive scan on the running `unknot sim`'s link (its own
    central over HCI-on-TCP; it never connects, so it takes no turn). With none running it
    looks for one every CHECK_S (each sync then serves the device in process, as
    `unknot sync --sim` does)."""

    CHECK_S = 5.0

    def __init__(self, away_s: float) -> None:
        self.away_s = away_s
        self.last_seen: dict[str, float] = {}
        self.scan: ScanListener | None = None
        self._remote: Any = None

    async def start(self) -> None:
        from unknot.sim import interproc

        running = interproc.running_link(interproc.sim_dir())
        if running is None:
            return
        from unknot.ble.advert import ScanListener

        self._remote = await interproc.RemoteRadio(running, keys_dir=None).start()
        kw = {**self._remote.scanner_kwargs(), "scanning_mode": "passive"}
        self.scan = ScanListener(self.away_s, kw)
        self.scan.last_seen = self.last_seen
        await self.scan.start()

    async def stop(self) -> None:
        scan, remote, self.scan, self._remote = self.scan, self._remote, None, None
        if scan is not None:
            await scan.stop()
        if remote is not None:
            await remote.stop()

    async def next(self, timeout: float | None) -> Sighting | None:
        if self.scan is None:
            await asyncio.sleep(self.CHECK_S if timeout is None else min(timeout, self.CHECK_S))
            await self.start()
            return None
        return await self.scan.next(timeout)
