"""The simulated radio environment: a link, the simulated device's peripheral and a bumble
central for the host, with the bleak backend arguments that talk through it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bumble.keys import JsonKeyStore

from unknot import core
from unknot.sim.bumble_backend import BumbleClient, BumbleScanner
from unknot.sim.link import HOST_ADDRESS, LinkModel, create_link
from unknot.sim.peripheral import SimPeripheral, just_works, make_bumble_device


class SimRadio:
    busy_scan_s: float | None = None  # in process: nothing else can hold the device

    def __init__(
        self,
        app: Any,
        *,
        keys_dir: Path | None,
        name: str = "Unknot-SIM",
        model: LinkModel | None = None,
        extra_services: Any = (),
        wearer: Any = None,
    ) -> None:
        self.app = app
        self.wearer = wearer  # a stand-in for the person at the device (SimWearer), or None
        self.keys_dir = keys_dir
        self.name = name
        self.model = model
        self.extra_services = extra_services

    async def start(self) -> SimRadio:
        self.link = create_link(self.model)
        kd = self.keys_dir
        self.peripheral = SimPeripheral(
            self.app,
            self.link,
            name=self.name,
            keys_path=kd / "device_bonds.json" if kd else None,
            extra_services=self.extra_services,
        )
        self.central, self.central_controller = make_bumble_device(
            self.link, HOST_ADDRESS, "unknot-host"
        )
        self.central.pairing_config_factory = lambda _c: just_works()
        if kd is not None:
            kd.mkdir(parents=True, exist_ok=True)
            self.central.keystore = JsonKeyStore("host", str(kd / "host_bonds.json"))
        await self.central.power_on()
        await self.peripheral.start()
        return self

    async def stop(self) -> None:
        await self.peripheral.stop()

    def scanner_kwargs(self) -> dict[str, Any]:
        return {"backend": BumbleScanner, "central": self.central}

    def client_kwargs(self) -> dict[str, Any]:
        return {"backend": BumbleClient, "central": self.central}


class SimWearer:
    """A STAND-IN for the wearer of a simulated device (`unknot pair --sim`, `unknot device
    forget --sim` with no `unknot sim` running, `unknot demo`; docs/demo.md): it feels the
    numbers the device taps by listening to the simulated motor (each number is one cue
    played that many times), compares them with the host's, and presses the simulated
    button.
    `advance(ms)` lets device time pass (steps a virtual clock, or waits for the engine).
    A person does all this on a real board."""

    def __init__(self, motor: Any, button: Any,
                 advance: Callable[[int], Awaitable[None]]) -> None:
        self.button = button
        self.advance = advance
        self.felt: list[int] = []
        self._number_cue = core.patterns.felt("select", 1)[0]  # the cue a number is tapped with
        motor.listeners.append(self._on_cue)

    @classmethod
    def stepping(cls, device: Any) -> SimWearer:
        """For a SimDevice on its virtual clock, stepped here."""

        async def advance(ms: int) -> None:
            device.advance(ms)
            await asyncio.sleep(0)

        return cls(device.motor, device.button, advance)

    def _on_cue(self, _t: int, cue: str, count: int) -> None:
        if cue == self._number_cue:  # a number: that many taps
            self.felt.append(count)

    async def compare(self, sas: tuple[int, ...]) -> bool:
        """The first numbers felt since the last press (the device may have started tapping
        before this is called)."""
        for _ in range(300):  # up to 30 s of device time: the device taps as its clock runs
            if len(self.felt) >= len(sas):
                break
            await self.advance(100)
        return tuple(self.felt[: len(sas)]) == tuple(sas)

    async def press(self) -> None:
        self.felt = []
        self.button.press()
        await self.advance(1000)  # the gesture decoder's double-press window passes
