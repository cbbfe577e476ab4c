"""`unknot sim` at run time: `SimServer` runs a simulated device (Engine on a ScaledClock)
with its BLE peripheral on a bumble link, reachable from other processes over HCI-on-TCP
(`unknot.sim.interproc`); `serve()` shows it (live panel, or headless lines) until q/Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from unknot.errors import DeviceError
from unknot.history.records import device_id_hex
from unknot.sim import interproc
from unknot.sim.device import SimDevice
from unknot.sim.engine import Engine, Felt
from unknot.sim.panel import felt_line, render
from unknot.sim.scaledclock import ScaledClock
from unknot.sim.terminal import KEY_GESTURES, KEYS_HELP, PAIR_KEY, QUIT_KEYS, cbreak_keys
from unknot.text import plural

SIM_NAME_PREFIX = "Unknot-"
REFRESH_HZ = 15


def ble_name(name: str) -> str:
    """The advertised name of the simulated device `name`."""
    return SIM_NAME_PREFIX + ("SIM" if name == interproc.DEFAULT_NAME else name.upper())


class SimServer:
    """The running simulated device: Engine + BLE peripheral + HCI-over-TCP server."""

    def __init__(self, directory: Path, name: str, speed: float) -> None:
        self.directory = directory
        self.name = name
        self.speed = speed

    async def start(self, port: int = 0) -> SimServer:
        from unknot.sim.link import LinkModel, create_link
        from unknot.sim.peripheral import SimPeripheral

        if interproc.running_link(self.directory) is not None:
            raise DeviceError(f"the simulated device {self.directory.name!r} is already "
                              "running in another terminal")
        self.device = SimDevice(self.directory, clock=ScaledClock(self.speed))
        self.engine = Engine(self.device)
        self.link = create_link(LinkModel(), live=True)
        self.peripheral = SimPeripheral(
            self.device.app, self.link, name=self.name,
            keys_path=self.directory / "device_bonds.json",
        )
        await self.peripheral.start()
        self.hci = interproc.HciServer(self.link)
        self.port = await self.hci.start(port=port)
        interproc.write_link(self.directory, self.port, self.speed)
        self.engine.start()
        return self

    def ble_rows(self) -> tuple[tuple[str, str], ...]:
        state = "connected" if self.peripheral.connection is not None else "advertising"
        return (("BLE", f"{state} · {plural(self.hci.connected, 'host')} on TCP, "
                        f"{self.hci.clients} so far · {self.peripheral.handled} requests"),)

    async def stop(self) -> None:
        interproc.remove_link(self.directory)
        await self.hci.stop()
        await self.engine.stop()
        await self.peripheral.stop()


def _key(ch: str, engine: Engine, done: asyncio.Event) -> None:
    if ch in KEY_GESTURES:
        engine.gesture(KEY_GESTURES[ch])
    elif ch == PAIR_KEY:
        engine.open_pairing()
        print("pairing window open for 60 s: run `unknot pair --sim` in another terminal",
              flush=True)
    elif ch in QUIT_KEYS:
        done.set()


async def serve(directory: Path, name: str, speed: float, headless: bool, port: int) -> None:
    """Run the simulated device in `directory`, advertised as `name`, until q or a signal."""
    import signal

    server = await SimServer(directory, name, speed).start(port)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, done.set)
    engine = server.engine
    try:
        if headless:
            ident = device_id_hex(bytes(server.device.app.device_id))
            print(f"serving {name} (device {ident}) on 127.0.0.1:{server.port} "
                  f"speed x{speed:g}; state in {directory}", flush=True)

            def log(f: Felt) -> None:
                print(felt_line(f), flush=True)

            engine.listeners.append(log)
            with cbreak_keys(lambda k: _key(k, engine, done)):
                await done.wait()
            return
        from rich.console import Console
        from rich.live import Live

        console = Console()
        title = (f"{name} (simulated) · x{speed:g} · 127.0.0.1:{server.port}")
        footer = (KEYS_HELP + "\nother terminals: unknot sync --sim / flash --sim / "
                  "device info --sim")
        with cbreak_keys(lambda k: _key(k, engine, done)), \
                Live(render(engine.status(), title, footer), console=console,
                     refresh_per_second=REFRESH_HZ, transient=False) as live:
            engine.listeners.append(
                lambda f: live.console.print(felt_line(f), highlight=False, markup=False))
            while not done.is_set():
                live.update(render(engine.status(), title, footer, server.ble_rows()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 1 / REFRESH_HZ)
    finally:
        await server.stop()
