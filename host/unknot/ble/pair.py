"""Pairing and forgetting over BLE (`unknot pair`, `unknot device forget`)."""

from __future__ import annotations

import asyncio

from unknot.ble.session import DeviceInfo

PAIR_WAIT_S = 30.0  # `unknot pair` may be run first: it waits this long for the window


def pair_device(address: str | None = None, *, sim: bool = False) -> DeviceInfo:
    """Give the device in pairing mode a fresh key of this computer; its info once paired."""
    from unknot.ble import open_device

    async def go() -> DeviceInfo:
        async with open_device(address, sim=sim, authenticate=False, open_window=sim) as s:
            await s.pair(wait_s=PAIR_WAIT_S)
            return await s.read_info()

    return asyncio.run(go())


def forget_hosts(address: str | None = None, *, sim: bool = False) -> DeviceInfo:
    """Clear every host key on the device (this computer's included)."""
    from unknot.ble import open_device

    async def go() -> DeviceInfo:
        async with open_device(address, sim=sim) as s:
            info = await s.read_info()
            await s.forget_hosts()
            return info

    return asyncio.run(go())
