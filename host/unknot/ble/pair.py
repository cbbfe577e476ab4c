"""Pairing and forgetting over BLE (`unknot pair`, `unknot device forget`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from unknot.ble.session import DeviceInfo

if TYPE_CHECKING:
    from unknot.ble import RadioSource

PAIR_WAIT_S = 30.0  # `unknot pair` may be run first: it waits this long for the window


def pair_device(address: str | None = None, *, radio: RadioSource | None = None) -> DeviceInfo:
    """Give the device in pairing mode a fresh key of this computer; its info once paired
    (`radio`: unknot.radio.pick; the simulated one with its pairing window open)."""
    from unknot.ble import open_device

    async def go() -> DeviceInfo:
        async with open_device(address, radio=radio, authenticate=False) as s:
            await s.pair(wait_s=PAIR_WAIT_S)
            return await s.read_info()

    return asyncio.run(go())


def forget_hosts(address: str | None = None, *, radio: RadioSource | None = None) -> DeviceInfo:
    """Clear every host key on the device (this computer's included)."""
    from unknot.ble import open_device

    async def go() -> DeviceInfo:
        async with open_device(address, radio=radio) as s:
            info = await s.read_info()
            await s.forget_hosts()
            return info

    return asyncio.run(go())
