"""The simulated device's radio: a bumble peripheral serving the Unknot GATT service.

The service is built from the firmware's GATT table (`gatt.CHARACTERISTICS`: uuid,
properties, permissions), the table the board's `_bleio` service is built from, and
every request is handled by the firmware's own protocol handler (`proto.Protocol`) running
against the simulated device's App, so the host talks to the same code the board runs (as
on the board, one Protocol per connection; INFO, `info.value`, is served without one). Like
the board (and unlike bumble's GATT server), the peripheral enforces properties and
security: control writes/reads need an encrypted link (else ATT Insufficient
Authentication), read-only characteristics refuse writes. Pairing is SMP just-works with
bonding; bonds persist in a JSON key store under the device's directory.

BLE callbacks only queue work; one task (the "app loop") runs the handler and sends the
notifications, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bumble import att, gatt, pairing
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.hci import Address
from bumble.host import Host
from bumble.keys import JsonKeyStore
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from unknot import core
from unknot.sim.advertising import AppHook, ScanResponseController
from unknot.sim.link import DEVICE_ADDRESS

logging.getLogger("bumble").setLevel(logging.WARNING)

FAST_ADV_S = 0.1  # advertising interval while recently idle
SLOW_ADV_S = 1.0  # after SLOW_AFTER_S without a connection, to save power
SLOW_AFTER_S = 30.0

_OPEN_RW = gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE


def _refuse(code: att.ErrorCode) -> att.ATT_Error:
    return att.ATT_Error(error_code=code)


def _require_encryption(conn: Connection) -> None:
    if not conn.is_encrypted:
        raise _refuse(att.ErrorCode.INSUFFICIENT_AUTHENTICATION)


def _guard(permission: int, conn: Connection, refuse: att.ErrorCode) -> None:
    """Enforce a permission from the firmware's GATT table, as the board's stack does."""
    if permission == core.gatt.NO_ACCESS:
        raise _refuse(refuse)
    if permission == core.gatt.ENCRYPT:
        _require_encryption(conn)


def make_bumble_device(link: LocalLink, address: str, name: str) -> tuple[Device, Controller]:
    """A bumble Device with its own controller on `link` (needs a running loop)."""
    controller = ScanResponseController(name, link=link, public_address=address)
    device = Device(
        name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller))
    )
    return device, controller


def just_works(bonding: bool = True) -> pairing.PairingConfig:
    delegate = pairing.PairingDelegate(
        io_capability=pairing.PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT
    )
    return pairing.PairingConfig(sc=True, mitm=False, bonding=bonding, delegate=delegate)


class SimPeripheral:
    """Serve `app` (a firmware App, e.g. the SimDevice's) over BLE on `link`."""

    def __init__(
        self,
        app: Any,
        link: LocalLink,
        *,
        name: str,
        keys_path: Path | None,
        address: str = DEVICE_ADDRESS,
        extra_services: Iterable[gatt.Service] = (),
    ) -> None:
        self.app = app
        self.link = link
        self.name = name
        self.gatt_ids = core.gatt
        # Like the board (hw/ble.py BleLink): the connection's protocol (None without one),
        # which the App's loop polls; it hands frames it has ready (STATUS frames of a
        # following host, announced by the loop) to `sender`, here queued for the notifying
        # task, in order. `taps` are called with each new Protocol (tests wrap its methods).
        self.proto: core.proto.Protocol | None = None
        self.taps: list[Callable[[core.proto.Protocol], None]] = []
        self.info = bytes(core.info.value(app.device_id))  # served before any connection
        # Like the board's BleLink, the App loop polls the radio side: the protocol, and the
        # advertisement's payload (core.advert) while no central is connected.
        self.advert = core.advert.Advert()
        self._advertising: float | None = None  # the interval advertised at, None = off
        self._adv_stale = False  # the payload changed: advertise it again
        app.protocol = AppHook(self)
        self.device, self.controller = make_bumble_device(link, address, name)
        self.device.pairing_config_factory = lambda _conn: just_works()
        if keys_path is not None:
            keys_path.parent.mkdir(parents=True, exist_ok=True)
            self.device.keystore = JsonKeyStore("device", str(keys_path))
        g = self.gatt_ids
        readers = {"info": self._read_info, "control": self._read_control}
        writers = {"control": self._write_control}
        chars: dict[str, gatt.Characteristic[bytes]] = {}
        for name, uuid, props, read_perm, write_perm, _size in g.CHARACTERISTICS:
            value = gatt.CharacteristicValue(
                read=self._reader(read_perm, readers.get(name, self._no_read)),
                write=self._writer(write_perm, writers.get(name, self._ro)),
            )
            props_flag = gatt.Characteristic.Properties(props)
            chars[name] = gatt.Characteristic(uuid, props_flag, _OPEN_RW, value)
        self.info_char = chars["info"]
        self.control_char = chars["control"]
        self.data_char = chars["data"]
        self.device.add_service(
            gatt.Service(g.SERVICE, [self.info_char, self.control_char, self.data_char])
        )
        for service in extra_services:
            self.device.add_service(service)
        self._queue: asyncio.Queue[tuple[str, Connection | None, bytes]] = asyncio.Queue()
        self._loop_task: asyncio.Task[None] | None = None
        self._policy_task: asyncio.Task[None] | None = None
        self._slow_timer: asyncio.TimerHandle | None = None
        self.connection: Connection | None = None
        self.handled = 0  # control writes handled (for tests)
        self.dropped = 0  # centrals disconnected by the connection policy
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)

    # -- GATT callbacks: check, then queue; never act --------------------------------------

    @staticmethod
    def _reader(
        permission: int, read: Callable[[Connection], bytes]
    ) -> Callable[[Connection], bytes]:
        def guarded(conn: Connection) -> bytes:
            _guard(permission, conn, att.ErrorCode.READ_NOT_PERMITTED)
            return read(conn)

        return guarded

    @staticmethod
    def _writer(
        permission: int, write: Callable[[Connection, bytes], None]
    ) -> Callable[[Connection, bytes], None]:
        def guarded(conn: Connection, value: bytes) -> None:
            _guard(permission, conn, att.ErrorCode.WRITE_NOT_PERMITTED)
            write(conn, value)

        return guarded

    def _read_info(self, conn: Connection) -> bytes:
        return self.info

    def _read_control(self, conn: Connection) -> bytes:
        return b"" if self.proto is None else bytes(self.proto.last_response)

    def _write_control(self, conn: Connection, value: bytes) -> None:
        self._queue.put_nowait(("control", conn, bytes(value)))

    def _send_soon(self, frame: bytes | memoryview) -> bool:
        conn = self.connection
        if conn is not None:
            self._queue.put_nowait(("notify", conn, bytes(frame)))  # the buffer is reused
        return True

    def _ro(self, conn: Connection, value: bytes) -> None:
        raise _refuse(att.ErrorCode.WRITE_NOT_PERMITTED)

    def _no_read(self, conn: Connection) -> bytes:
        raise _refuse(att.ErrorCode.READ_NOT_PERMITTED)

    def _on_connection(self, conn: Connection) -> None:
        self.connection = conn
        self._queue.put_nowait(("connect", conn, b""))
        if self._slow_timer is not None:
            self._slow_timer.cancel()
            self._slow_timer = None
        conn.on(conn.EVENT_DISCONNECTION, lambda *_: self._on_disconnection(conn))

    def _on_disconnection(self, conn: Connection) -> None:
        if self.connection is conn:
            self.connection = None
        self._queue.put_nowait(("reset", None, b""))
        self._schedule_slow_down()
        if self._adv_stale:  # after bumble's own restart with the old payload
            asyncio.get_running_loop().call_later(0.01, self._readvertise_soon)

    # -- the app loop ---------------------------------------------------------------------

    @staticmethod
    def _now() -> int:
        """The link's clock (ms): real time, as the radio's (the App's may be scaled)."""
        return int(asyncio.get_running_loop().time() * 1000)

    def _begin(self) -> None:
        """A central connected: its Protocol (the board imports proto here)."""
        proto = core.proto.Protocol(self.app, core.upload.Upload, lambda: core.pairing)
        proto.sender = self._send_soon
        for tap in self.taps:
            tap(proto)
        proto.connect(self._now())
        self.proto = proto

    def _end(self) -> None:
        """The central left: reset its Protocol and drop it (the board drops its modules)."""
        proto, self.proto = self.proto, None
        if proto is not None:
            proto.sender = None
            proto.reset()

    async def _policy_loop(self) -> None:
        """The connection policy (firmware proto.Protocol.drop_at), checked until due."""
        while True:
            drop = None if self.proto is None else self.proto.drop_at(self._now())
            wait = 1.0 if drop is None else min(1.0, max(0.02, (drop - self._now()) / 1000))
            await asyncio.sleep(wait)
            await self._drop_squatter()
            if self.connection is None:
                self._readvertise_soon()

    async def _app_loop(self) -> None:
        while True:
            kind, conn, data = await self._queue.get()
            if kind == "reset":
                self._end()
                continue
            if kind == "connect":
                self._end()  # (a connection whose end was not seen)
                self._begin()
                continue
            assert conn is not None
            if kind == "notify":
                if self.connection is conn:
                    with contextlib.suppress(Exception):  # the link went away
                        await self.device.notify_subscriber(conn, self.data_char, data)
                continue
            proto = self.proto
            if proto is None or self.connection is not conn:
                continue  # written by a central that has gone
            proto.set_mtu(conn.att_mtu)
            proto.control(data)
            self.handled += 1
            while (frame := proto.next_frame()) is not None:
                if self.connection is not conn:
                    break
                try:
                    await self.device.notify_subscriber(conn, self.data_char, bytes(frame))
                except Exception:  # the link went away mid-stream
                    break

    async def _drop_squatter(self) -> None:
        """Disconnect the central the connection policy says must go (not authenticated in
        time, or idle); `dropped` counts them."""
        proto = self.proto
        drop = None if proto is None else proto.drop_at(self._now())
        conn = self.connection
        if proto is None or drop is None or drop > self._now() or conn is None:
            return
        proto.reset()  # the policy clock stops; the disconnection drops it
        self.dropped += 1
        with contextlib.suppress(Exception):
            await conn.disconnect()

    # -- lifecycle ------------------------------------------------------------------------

    def advertising_data(self) -> bytes:
        """As the board's (hw/ble.py): flags, the service UUID and the advert payload, 31
        bytes; the name is in the scan response."""
        uuid = UUID(self.gatt_ids.SERVICE)
        data = bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),  # LE general discoverable, no BR/EDR
                    (
                        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                        uuid.to_bytes(),
                    ),
                    (AdvertisingData.MANUFACTURER_SPECIFIC_DATA, bytes(self.advert.data)),
                ]
            )
        )
        assert len(data) <= 31, "legacy advertising data is at most 31 bytes"
        return data

    def scan_response_data(self) -> bytes:
        return bytes(AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode())]))

    def poll_advert(self, now_ms: int) -> int | None:
        """The App loop's hook (see AppHook): a new payload when the journal head changed
        or the rotation is due; advertised again at once unless a central is connected (then
        after it leaves). Returns the rotation deadline (App clock, ms)."""
        app = self.app
        busy = app.player is not None  # a routine plays: a rotation waits for its end
        head = app.journal.head
        if self.advert.due(head, now_ms, busy) and self.advert.update(
                core.advert.secret_of(app), head, now_ms, busy):
            self._adv_stale = True
            if self.connection is None and self._advertising is not None:
                with contextlib.suppress(RuntimeError):  # no loop: the policy loop does it
                    asyncio.get_running_loop().call_soon(self._readvertise_soon)
        return self.advert.due_ms

    def _readvertise_soon(self) -> None:
        if self._adv_stale and self._advertising is not None:
            self._adv_stale = False
            self._readvertise_task = asyncio.get_running_loop().create_task(self._new_data())

    async def _new_data(self) -> None:
        """The new payload into the running advertising set (no stop and start: a central
        connecting meanwhile is not disturbed; the board has to restart, hw/ble.py)."""
        adv_set = self.device.legacy_advertising_set
        if adv_set is None:
            if self._advertising is not None:
                await self._set_interval(self._advertising)
            return
        with contextlib.suppress(Exception):  # stopped meanwhile: the next start has it
            await adv_set.set_advertising_data(self.advertising_data())

    async def set_advertising(self, on: bool) -> None:
        """Start (at the fast interval) or stop advertising, as coming into or going out of
        range: the benchmark's and tests' switch."""
        if on:
            await self._set_interval(FAST_ADV_S)
        else:
            self._advertising = None
            with contextlib.suppress(Exception):
                await self.device.stop_advertising()

    async def _advertise(self, interval_s: float) -> None:
        ms = interval_s * 1000
        self._adv_stale = False
        self._advertising = interval_s
        await self.device.start_advertising(
            advertising_data=self.advertising_data(),
            scan_response_data=self.scan_response_data(),
            auto_restart=True,
            advertising_interval_min=ms,
            advertising_interval_max=ms,
        )

    def _schedule_slow_down(self) -> None:
        loop = asyncio.get_running_loop()
        if self._slow_timer is not None:
            self._slow_timer.cancel()

        def slow() -> None:
            self._slow_timer = None
            if self.connection is None and self._advertising is not None:
                self._slow_task = loop.create_task(self._set_interval(SLOW_ADV_S))

        self._slow_timer = loop.call_later(SLOW_AFTER_S, slow)

    async def _set_interval(self, interval_s: float) -> None:
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
            await self._advertise(interval_s)

    async def start(self) -> None:
        self.poll_advert(self.app.clock.now_ms())
        await self.device.power_on()
        loop = asyncio.get_running_loop()
        self._loop_task = loop.create_task(self._app_loop())
        self._policy_task = loop.create_task(self._policy_loop())
        await self._advertise(FAST_ADV_S)
        self._schedule_slow_down()

    async def stop(self) -> None:
        if self._slow_timer is not None:
            self._slow_timer.cancel()
        for task in (self._loop_task, self._policy_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()

    def drop_link(self) -> None:
        """Mimic a supervision timeout: both controllers lose the connection at once."""
        for controller in list(self.link.controllers):
            for conn in list(controller.le_connections.values()):
                controller.on_le_disconnected(conn, 0x08)  # HCI Connection Timeout

