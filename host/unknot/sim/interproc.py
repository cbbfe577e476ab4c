"""The simulated device reached from another process: HCI over TCP on 127.0.0.1.

`unknot sim` runs the simulated device (firmware App + bumble peripheral on a `LocalLink`)
and an `HciServer`: every TCP connection to it gets a fresh bumble `Controller` on the same
link whose host side is that connection, so a bumble host stack in another process (the
CLI's `open_device`) talks real HCI to a controller that sits next to the peripheral's.
While it serves, `<home>/sim/<name>/link.json` holds {"port", "pid"}; `running_link()`
says whether a live sim serves that device, and `RemoteRadio` is the CLI side (a bumble
central over `tcp-client:127.0.0.1:PORT`, with the same bleak backend arguments as the
in-process `SimRadio`).

Each TCP client is a different central, as on a real radio: its controller gets its own
public address (`client_address(n)`, per connection) and the CLI's host stack its own random
static address (`process_address()`, per process), so the device's bonds and keys tell them
apart. The device serves one central at a time (it stops advertising while connected):
`unknot` commands take turns through `take_turn()` (a lock file next to link.json) and a
command that cannot have the device within `TURN_WAIT_S` fails with `DeviceBusy`.

`--sim NAME` on the commands picks the simulated device (`select()`); `--sim` alone is
`DEFAULT_NAME`. `unknot sim --name NAME` serves it.

When a TCP client goes away without disconnecting (a killed CLI), its controller's links
are dropped on both ends (like a supervision timeout) and it leaves the link, so the
peripheral advertises again for the next client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unknot import paths
from unknot.lock import pid_alive

logging.getLogger("bumble").setLevel(logging.WARNING)

LINK_FILE = "link.json"
TURN_FILE = "turn.lock"
DEFAULT_NAME = "default"
HCI_CONNECTION_TIMEOUT = 0x08
TURN_WAIT_S = 0.7  # how long a command waits for another one's session on the same device
TURN_POLL_S = 0.05
BUSY_SCAN_S = 1.2  # a running sim advertises at least every 1 s unless a central holds it

_selected = DEFAULT_NAME


def select(name: str) -> None:
    """Make `name` the simulated device this process's `--sim` commands reach."""
    global _selected
    _check_name(name)
    _selected = name


def selected() -> str:
    """The simulated device chosen by `--sim [NAME]` (DEFAULT_NAME unless selected)."""
    return _selected


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"bad simulated device name {name!r}")


def client_address(n: int) -> str:
    """The public address of the controller the sim gives its `n`-th TCP client."""
    v = 0x1000 + n % 0xE000
    return f"F0:4E:4B:4E:{v >> 8:02X}:{v & 0xFF:02X}"


def process_address(pid: int | None = None) -> str:
    """This process's random static address as a central of a running sim (per process)."""
    v = (os.getpid() if pid is None else pid) & 0xFFFFFFFF
    return "C2:" + ":".join(f"{b:02X}" for b in v.to_bytes(4, "big")) + ":5A"


@contextlib.asynccontextmanager
async def take_turn(directory: Path) -> AsyncIterator[None]:
    """Hold the simulated device in `directory` for one session; another `unknot` process
    holding it for longer than TURN_WAIT_S makes this raise DeviceBusy."""
    import time

    from unknot.errors import DeviceBusy

    try:
        import fcntl
    except ImportError:  # no flock (Windows): sessions are not serialised
        yield
        return
    with open(directory / TURN_FILE, "a+b") as fh:
        deadline = time.monotonic() + TURN_WAIT_S
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise DeviceBusy() from None
                await asyncio.sleep(TURN_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def sim_dir(name: str | None = None) -> Path:
    """The state directory of the simulated device `name` (default: the one `--sim [NAME]`
    selected) -- nvm file, bonds, link.json."""
    name = selected() if name is None else name
    _check_name(name)
    path = paths.home() / "sim" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class LinkInfo:
    port: int
    pid: int
    host: str = "127.0.0.1"
    speed: float = 1.0  # the device clock's speed (x real time): the sync's clock rate



def running_link(directory: Path) -> LinkInfo | None:
    """The link of a sim process serving `directory`, or None (no file, bad file, or its
    process is gone or not listening: then the stale file is removed)."""
    path = directory / LINK_FILE
    try:
        raw = json.loads(path.read_text())
        info = LinkInfo(port=int(raw["port"]), pid=int(raw["pid"]), host=str(raw.get("host",
                        "127.0.0.1")), speed=float(raw.get("speed", 1.0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not pid_alive(info.pid) or not _listening(info):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return info


def _listening(info: LinkInfo) -> bool:
    """The port accepts connections (guards against a pid reused by another program)."""
    import socket

    try:
        with socket.create_connection((info.host, info.port), timeout=1.0):
            return True
    except OSError:
        return False


def write_link(directory: Path, port: int, speed: float = 1.0) -> Path:
    """Publish this process as the server of `directory` (atomic write)."""
    path = directory / LINK_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"port": port, "pid": os.getpid(), "host": "127.0.0.1",
                               "speed": speed}))
    os.replace(tmp, path)
    return path


def remove_link(directory: Path) -> None:
    """Remove link.json if it is ours."""
    path = directory / LINK_FILE
    try:
        if int(json.loads(path.read_text())["pid"]) == os.getpid():
            path.unlink()
    except (OSError, ValueError, KeyError, TypeError):
        pass


class HciServer:
    """Serve controllers on `link` to host stacks over TCP (one controller per client)."""

    def __init__(self, link: Any, name: str = "unknot-tcp-host") -> None:
        self.link = link
        self.name = name
        self.clients = 0  # connections accepted so far (for tests and the TUI)
        self.connected = 0  # connections open now
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, host=host, port=port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def _protocol(self) -> asyncio.Protocol:
        return _ClientProtocol(self)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None


class _HostSink:
    """Controller -> TCP: the controller calls on_packet with each HCI packet for its host."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def on_packet(self, packet: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(packet)


class _ClientProtocol(asyncio.Protocol):
    def __init__(self, server: HciServer) -> None:
        self.server = server
        self.controller: Any = None
        self.source: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        from bumble.controller import Controller
        from bumble.transport.common import StreamPacketSource

        assert isinstance(transport, asyncio.Transport)
        self.source = StreamPacketSource()
        self.controller = Controller(
            self.server.name,
            host_source=self.source,
            host_sink=_HostSink(transport),
            link=self.server.link,
            public_address=client_address(self.server.clients),
        )
        self.server.clients += 1
        self.server.connected += 1

    def data_received(self, data: bytes) -> None:
        if self.source is not None:
            self.source.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connected -= 1
        ctrl, self.controller = self.controller, None
        if ctrl is None:
            return
        link = self.server.link
        for conn in list(ctrl.le_connections.values()):
            peer = link.find_le_controller(conn.peer_address)
            if peer is not None and peer is not ctrl:
                for pconn in list(peer.le_connections.values()):
                    if pconn.peer_address == conn.self_address:
                        with contextlib.suppress(Exception):
                            peer.on_le_disconnected(pconn, HCI_CONNECTION_TIMEOUT)
            with contextlib.suppress(Exception):
                ctrl.on_le_disconnected(conn, HCI_CONNECTION_TIMEOUT)
        with contextlib.suppress(KeyError):
            link.remove_controller(ctrl)


class RemoteRadio:
    """The CLI side: a bumble central whose controller lives in the `unknot sim` process."""

    busy_scan_s: float | None = BUSY_SCAN_S  # not advertising for this long: a central holds it
    wearer: None = None  # the wearer is at the `unknot sim` terminal (a person)

    def __init__(self, link: LinkInfo, *, keys_dir: Path | None) -> None:
        self.link = link
        self.keys_dir = keys_dir
        self._transport: Any = None

    async def start(self) -> RemoteRadio:
        from bumble.device import Device
        from bumble.hci import Address
        from bumble.keys import JsonKeyStore
        from bumble.transport import open_transport

        from unknot.errors import DeviceError
        from unknot.sim.peripheral import just_works

        spec = f"tcp-client:{self.link.host}:{self.link.port}"
        try:
            self._transport = await open_transport(spec)
        except OSError as exc:
            raise DeviceError(f"cannot reach the running `unknot sim` at {spec}: {exc}") from exc
        self.central = Device.with_hci(
            "unknot-host", Address(process_address()), self._transport.source, self._transport.sink
        )
        self.central.pairing_config_factory = lambda _c: just_works()
        if self.keys_dir is not None:
            self.keys_dir.mkdir(parents=True, exist_ok=True)
            self.central.keystore = JsonKeyStore("host", str(self.keys_dir / "host_bonds.json"))
        try:
            await asyncio.wait_for(self.central.power_on(), 10.0)
        except TimeoutError:
            await self.stop()
            raise DeviceError(f"the running `unknot sim` at {spec} did not answer") from None
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        t, self._transport = self._transport, None
        if t is not None:
            with contextlib.suppress(Exception):
                await t.close()

    def scanner_kwargs(self) -> dict[str, Any]:
        from unknot.sim.bumble_backend import BumbleScanner

        return {"backend": BumbleScanner, "central": self.central}

    def client_kwargs(self) -> dict[str, Any]:
        from unknot.sim.bumble_backend import BumbleClient

        return {"backend": BumbleClient, "central": self.central}
