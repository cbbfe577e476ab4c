"""A bleak backend over a bumble central Device (the simulated radio).

`BleakScanner(backend=BumbleScanner, central=dev)` and
`BleakClient(ble_device, backend=BumbleClient, central=dev)` behave like bleak on a real
adapter, but every ATT PDU goes through bumble's host and controller stacks to the peer on a
`bumble.link.LocalLink`. Pitfalls handled here: an operation in flight when the link drops
surfaces from bumble as CancelledError -> BleakError; ATT error responses -> AttError.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_str
from bumble import att, core, gatt
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.hci import Address

_PROPS = [
    (gatt.Characteristic.Properties.BROADCAST, "broadcast"),
    (gatt.Characteristic.Properties.READ, "read"),
    (gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE, "write-without-response"),
    (gatt.Characteristic.Properties.WRITE, "write"),
    (gatt.Characteristic.Properties.NOTIFY, "notify"),
    (gatt.Characteristic.Properties.INDICATE, "indicate"),
]


class AttError(BleakError):
    """The peer answered with an ATT error response (`code`: the ATT error code)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _uuid(u: core.UUID) -> str:
    return normalize_uuid_str(u.to_hex_str("-").lower())


class BumbleScanner(BaseBleakScanner):
    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        central: Device,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._central = central
        self._active = scanning_mode != "passive"  # passive: no scan requests

    def _on_advertisement(self, adv: Advertisement) -> None:
        data: AdvertisingData = adv.data
        name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME)
        uuids: list[str] = []
        for kind in (
            AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
            AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
            AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
            AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        ):
            for u in data.get_all(kind):
                for one in u if isinstance(u, list) else [u]:
                    uuids.append(_uuid(one))
        if not self.is_allowed_uuid(uuids):
            return
        local_name = name if isinstance(name, str) else None
        address = str(adv.address).split("/")[0]
        makers: dict[int, bytes] = {}
        for entry in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA):
            if isinstance(entry, tuple):
                makers[int(entry[0])] = bytes(entry[1])
        ad = AdvertisementData(
            local_name=local_name,
            manufacturer_data=makers,
            service_data={},
            service_uuids=uuids,
            tx_power=None,
            rssi=adv.rssi,
            platform_data=(adv,),
        )
        device = self.create_or_update_device(address, address, local_name, adv.address, ad)
        self.call_detection_callbacks(device, ad)

    async def start(self) -> None:
        self.seen_devices = {}
        self._central.on(self._central.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self._central.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self) -> None:
        self._central.remove_listener(self._central.EVENT_ADVERTISEMENT, self._on_advertisement)
        with contextlib.suppress(Exception):
            await self._central.stop_scanning()


class BumbleClient(BaseBleakClient):
    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        central: Device,
        mtu: int = 247,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=float(kwargs.get("timeout", 10.0)),
        )
        self._central = central
        self._want_mtu = mtu
        self._name = (
            address_or_ble_device.name
            if isinstance(address_or_ble_device, BLEDevice) and address_or_ble_device.name
            else self.address
        )
        self._conn: Connection | None = None
        self._peer: Peer | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._conn.att_mtu if self._conn is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    def _on_disconnection(self, *_: Any) -> None:
        was = self._conn is not None
        self._conn = None
        self._peer = None
        if was and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def _guard(self, coro: Any) -> Any:
        """Run one GATT operation; map link loss and ATT errors to bleak errors."""
        if self._conn is None:
            coro.close()
            raise BleakError("not connected")
        try:
            return await coro
        except asyncio.CancelledError:
            if self._conn is None:
                raise BleakError("link lost during a GATT operation") from None
            raise
        except att.ATT_Error as exc:
            raise AttError(int(exc.error_code), f"ATT error {exc.error_name}") from exc
        except core.BaseBumbleError as exc:
            raise BleakError(str(exc)) from exc

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        try:
            conn = await self._central.connect(Address(self.address), timeout=self._timeout)
        except (TimeoutError, core.BaseBumbleError) as exc:
            raise BleakError(f"could not connect to {self.address}: {exc}") from exc
        self._conn = conn
        conn.on(conn.EVENT_DISCONNECTION, self._on_disconnection)
        peer = Peer(conn)
        self._peer = peer
        await self._guard(peer.request_mtu(self._want_mtu))
        if pair:
            await self.pair()
        await self._guard(peer.discover_services())
        services = BleakGATTServiceCollection()
        for svc in peer.services:
            await self._guard(svc.discover_characteristics())
            bsvc = BleakGATTService(svc, svc.handle, _uuid(svc.uuid))
            services.add_service(bsvc)
            for ch in svc.characteristics:
                props: Any = [name for flag, name in _PROPS if ch.properties & flag]
                bch = BleakGATTCharacteristic(
                    ch, ch.handle, _uuid(ch.uuid), props, lambda: self.mtu_size - 3, bsvc
                )
                services.add_characteristic(bch)
                for desc in await self._guard(ch.discover_descriptors()):
                    services.add_descriptor(
                        BleakGATTDescriptor(desc, desc.handle, _uuid(desc.type), bch)
                    )
        self.services = services

    async def disconnect(self) -> None:
        conn = self._conn
        if conn is None:
            return
        with contextlib.suppress(Exception):
            await conn.disconnect()
        self._conn = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        conn = self._conn
        if conn is None:
            raise BleakError("not connected")
        keystore = self._central.keystore
        keys = await keystore.get(str(conn.peer_address)) if keystore is not None else None
        try:
            if keys is not None:
                await self._guard(conn.encrypt())
                return
        except BleakError:
            if self._conn is None:
                raise
        try:
            await self._guard(conn.pair())
        except BleakError as exc:
            raise BleakError(f"pairing refused: {exc}") from exc

    async def unpair(self) -> None:
        keystore = self._central.keystore
        if keystore is not None:
            with contextlib.suppress(KeyError):
                await keystore.delete(self.address)
        await self.disconnect()

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        assert self._peer is not None or self._conn is None
        value = await self._guard(
            self._peer.read_value(characteristic.obj) if self._peer else _none()
        )
        return bytearray(value)

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        value = await self._guard(self._peer.read_value(descriptor.obj) if self._peer else _none())
        return bytearray(value)

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        await self._guard(
            self._peer.write_value(characteristic.obj, bytes(data), with_response=response)
            if self._peer
            else _none()
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        await self._guard(
            self._peer.write_value(descriptor.obj, bytes(data), with_response=True)
            if self._peer
            else _none()
        )

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        def subscriber(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = subscriber
        await self._guard(
            self._peer.subscribe(characteristic.obj, subscriber) if self._peer else _none()
        )

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        subscriber = self._subscribers.pop(characteristic.handle, None)
        if self._peer is not None:
            await self._guard(self._peer.unsubscribe(characteristic.obj, subscriber))


async def _none() -> None:
    return None
