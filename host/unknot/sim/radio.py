"""The simulated radio environment: a link, the simulated device's peripheral and a bumble
central for the host, with the bleak backend arguments that talk through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bumble.keys import JsonKeyStore

from unknot.sim.bumble_backend import BumbleClient, BumbleScanner
from unknot.sim.link import HOST_ADDRESS, LinkModel, create_link
from unknot.sim.peripheral import SimPeripheral, just_works, make_bumble_device


class SimRadio:
    def __init__(
        self,
        app: Any,
        *,
        keys_dir: Path | None,
        name: str = "Unknot-SIM",
        model: LinkModel | None = None,
        extra_services: Any = (),
    ) -> None:
        self.app = app
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
