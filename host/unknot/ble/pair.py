"""Pairing and the host list over BLE (`unknot pair`, `unknot device hosts`,
`unknot device forget`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from unknot.ble.session import (
    WINDOW_CLOSED,
    DeviceInfo,
    LinkLost,
    NotPairable,
    PairedHost,
    Wearer,
)
from unknot.errors import DeviceError

if TYPE_CHECKING:
    from unknot.sim.radio import SimRadio

PAIR_WAIT_S = 60.0  # `unknot pair` keeps trying this long for the wearer's window
RETRY_S = 1.0  # between two tries while the window is not open

Say = Callable[[str], None]


def pair_device(wearer: Wearer | None, address: str | None = None, *, sim: bool = False,
                say: Say = print, wait_s: float = PAIR_WAIT_S) -> DeviceInfo:
    """Pair this computer with the device once the wearer opens its window (trying for
    `wait_s`, across the device's drop of a central that has not authenticated); the
    wearer compares the numbers and presses. `wearer` None: the in-process simulated
    device's stand-in wearer (`--sim`)."""
    return asyncio.run(pair_async(wearer, address, sim=sim, say=say, wait_s=wait_s))


async def pair_async(wearer: Wearer | None, address: str | None = None, *, sim: bool = False,
                     say: Say = print, wait_s: float = PAIR_WAIT_S,
                     radio: SimRadio | None = None) -> DeviceInfo:
    from unknot.ble import open_device

    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            async with open_device(address, sim=sim, authenticate=False, open_window=sim,
                                   radio=radio) as s:
                who = wearer if wearer is not None else s.stand_in_wearer
                if who is None:
                    raise DeviceError("no wearer to compare the numbers")
                while True:
                    try:
                        await s.pair(who)
                        return await s.read_info()
                    except NotPairable:
                        if time.monotonic() >= deadline:
                            raise
                        if not told:
                            say("Waiting for the pairing window: hold the device's button "
                                "1 s and let go (it buzzes: a swell, then two taps).")
                            told = True
                        await asyncio.sleep(RETRY_S)
        except (LinkLost, NotPairable) as exc:
            if time.monotonic() >= deadline:
                raise DeviceError(WINDOW_CLOSED) from exc
        except DeviceError as exc:
            # the device drops a central that has not authenticated after 10 s: connect again
            if "not connected" not in str(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(RETRY_S / 4)


def list_hosts(address: str | None = None, *, sim: bool = False
               ) -> tuple[DeviceInfo, list[PairedHost], bytes]:
    """(device, its paired hosts, this computer's host id)."""
    from unknot.ble import open_device

    async def go() -> tuple[DeviceInfo, list[PairedHost], bytes]:
        async with open_device(address, sim=sim) as s:
            info = await s.read_info()
            own = s.auth.host_id if s.auth is not None else b""
            return info, await s.hosts(), own

    return asyncio.run(go())


def forget_host(name: str | None, address: str | None = None, *, sim: bool = False,
                say: Say = print) -> DeviceInfo:
    """Make the device forget the host called `name` (None: every host, this one too);
    the wearer confirms with a press on the device."""
    from unknot import core
    from unknot.ble import open_device

    async def go() -> DeviceInfo:
        async with open_device(address, sim=sim) as s:
            info = await s.read_info()
            if name is None:
                target = core.keyring.EVERY_HOST
            else:
                found = [h for h in await s.hosts() if h.name == name]
                if not found:
                    raise DeviceError(f"the device has no paired computer called {name!r} "
                                      "(see `unknot device hosts`)")
                target = found[0].host_id
            wearer = s.stand_in_wearer
            if wearer is None:
                say("Press the device's button once to confirm (a double press refuses).")
            await s.forget(target, wearer)
            return info

    return asyncio.run(go())
