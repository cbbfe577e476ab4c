"""The simulated device reached from another process: HCI over TCP on 127.0.0.1.

`unknot sim` runs the simulated device (firmware App + bumble peripheral on a `LocalLink`)
and an `HciServer`: every TCP connection to it gets a fresh bumble `Controller` on the same
link whose host side is that connection, so a bumble host stack in another process (the
CLI's `open_device`) talks real HCI to a controller that sits next to the peripheral's.
While it serves, `<home>/sim/<name>/link.json` holds {"port", "pid"}; `running_link()`
says whether a live sim serves that device, and `RemoteRadio` is the CLI side (a bumble
central over `tcp-client:127.0.0.1:PORT`, with the same bleak backend arguments as the
in-process `SimRadio`).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unknot import paths

logging.getLogger("bumble").setLevel(logging.WARNING)

LINK_FILE = "link.json"
DEFAULT_NAME = "default"
HCI_CONNECTION_TIMEOUT = 0x08


def sim_dir(name: str = DEFAULT_NAME) -> Path:
    """The state directory of the simulated device `name` (nvm file, bonds, link.json)."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"bad simulated device name {name!r}")
    path = paths.home() / "sim" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class LinkInfo:
    port: int
    pid: int
    host: str = "127.0.0.1"
    speed: float = 1.0  # the device clock's speed (x real time): the sync's clock rate


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    if not _alive(info.pid) or not _listening(info):
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

    def __init__(self, link: Any, address: str, name: str = "unknot-tcp-host") -> None:
        self.link = link
        self.address = address
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
            public_address=self.server.address,
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
        from unknot.sim.link import HOST_ADDRESS
        from unknot.sim.peripheral import just_works

        spec = f"tcp-client:{self.link.host}:{self.link.port}"
        try:
            self._transport = await open_transport(spec)
        except OSError as exc:
            raise DeviceError(f"cannot reach the running `unknot sim` at {spec}: {exc}") from exc
        self.central = Device.with_hci(
            "unknot-host", Address(HOST_ADDRESS), self._transport.source, self._transport.sink
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
