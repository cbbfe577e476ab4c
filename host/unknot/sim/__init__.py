"""The simulated device: the real firmware App (firmware/lib/unknot, loaded through
unknot.fwload) with the simulated adapters (`simadapters`; contract: unknot.adapters), run
on virtual time (`device.SimDevice`) or in real time (`engine`, `server`), and its simulated
radio (`peripheral`, `link`, `radio`, `bumble_backend`, `interproc`). Nothing here imports
the host's BLE client (unknot.ble); docs/demo.md "Where the code lives" has the map."""

from __future__ import annotations

__all__ = ["SimDevice"]


def __getattr__(name: str) -> object:  # lazy: importing unknot.sim stays cheap
    if name == "SimDevice":
        from unknot.sim.device import SimDevice

        return SimDevice
    raise AttributeError(name)
