"""The simulated device: the real firmware App (firmware/lib/unknot, loaded through
unknot.fwload) with simulated adapters. See `unknot.sim.device.SimDevice`."""

from __future__ import annotations

__all__ = ["SimDevice"]


def __getattr__(name: str) -> object:  # lazy: importing unknot.sim stays cheap
    if name == "SimDevice":
        from unknot.sim.device import SimDevice

        return SimDevice
    raise AttributeError(name)
