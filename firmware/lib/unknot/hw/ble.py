"""The board's BLE adapter: the Unknot GATT service (declared once) and a thin link that
feeds the core's protocol handler (docs/protocol.md).

adafruit_ble has no write callbacks, so nothing here acts from a callback: the app loop calls
`BleLink.poll(now_ms)` (set `app.protocol = BleLink(protocol, name)`), which notices a new
control write by its value, queues it into the protocol (`submit`), and sends pending frames
as notifications sized to the connection's MTU.
"""

from adafruit_ble import BLERadio
from adafruit_ble.advertising.standard import ProvideServicesAdvertisement
from adafruit_ble.attributes import Attribute
from adafruit_ble.characteristics import Characteristic
from adafruit_ble.services import Service
from adafruit_ble.uuid import VendorUUID
from micropython import const

from .. import gatt

_FAST_ADV_S = 0.1  # advertising interval while recently idle
_SLOW_ADV_S = 1.0
_SLOW_AFTER_MS = const(30000)
_BUSY_RETRY_MS = const(10)


_PERMISSION = {
    gatt.NO_ACCESS: Attribute.NO_ACCESS,
    gatt.OPEN: Attribute.OPEN,
    gatt.ENCRYPT: Attribute.ENCRYPT_NO_MITM,
}


def _characteristic(row):
    _name, uuid, properties, read_perm, write_perm, max_length = row
    return Characteristic(
        uuid=VendorUUID(uuid),
        properties=properties,
        read_perm=_PERMISSION[read_perm],
        write_perm=_PERMISSION[write_perm],
        max_length=max_length,
        fixed_length=False,
    )


class UnknotService(Service):
    """The device's one service, built from the table in gatt.py; the same class describes it
    for a central (adafruit_ble)."""

    uuid = VendorUUID(gatt.SERVICE)
    info, control, data = (_characteristic(row) for row in gatt.CHARACTERISTICS)


class BleLink:
    """Advertise, poll the service, drive `protocol` (a proto.Protocol)."""

    def __init__(self, protocol, name, radio=None):
        self.protocol = protocol
        self.radio = radio or BLERadio()
        self.radio.name = name
        self.service = UnknotService()
        self.adv = ProvideServicesAdvertisement(self.service)
        self.adv.complete_name = name
        self.connection = None
        self._adv_interval = 0.0
        self._idle_since = None
        self._seen = b""  # control value after our last look: a change is a new write
        protocol.sender = self._send

    @property
    def connected(self):
        """A central is connected (the app then never light-sleeps)."""
        return self.connection is not None or bool(self.radio.connected)

    def _advertise(self, interval, now_ms):
        if self._adv_interval == interval:
            return
        if self._adv_interval:
            self.radio.stop_advertising()
        self.radio.start_advertising(self.adv, interval=interval)
        self._adv_interval = interval
        if self._idle_since is None:
            self._idle_since = now_ms

    def _send(self, frame):
        conn = self.connection
        if conn is None or not conn.connected:
            return None  # dropped: the protocol is reset on the next poll
        mtu_room = conn._bleio_connection.max_packet_length
        if len(frame) > mtu_room:
            frame = frame[:mtu_room]  # never happens: frames are built for set_mtu()
        try:
            self.service.data = frame  # a local characteristic: notifies subscribers
        except Exception:
            return False  # no buffer free: try again on a later poll
        return True

    def poll(self, now_ms):
        """The app loop's BLE hook: returns a deadline (ms) or None."""
        proto = self.protocol
        conns = self.radio.connections
        conn = conns[0] if conns else None
        if conn is not self.connection:
            if self.connection is not None:
                proto.reset()  # link dropped: stop streams, discard a half upload
            self.connection = conn
            last = bytes(proto.last_response)
            self.service.control = last  # reads return the last response frame
            self._seen = last
            self._idle_since = None
            self._adv_interval = 0.0
            if conn is not None:
                proto.set_mtu(conn._bleio_connection.max_packet_length + 3)
        if conn is None:
            idle = self._idle_since
            slow = idle is not None and now_ms - idle >= _SLOW_AFTER_MS
            self._advertise(_SLOW_ADV_S if slow else _FAST_ADV_S, now_ms)
            self.service.info = proto.info()
            return None if slow else now_ms + _SLOW_AFTER_MS
        self.service.info = proto.info()
        value = bytes(self.service.control)
        if value and value != self._seen:
            proto.submit(value)
        deadline = proto.poll(now_ms)
        last = bytes(proto.last_response)
        if value != last:
            self.service.control = last
        self._seen = last
        if deadline is None:
            return None
        return min(deadline, now_ms + _BUSY_RETRY_MS)


def attach(app):
    """code.py's hook: the app loop's `app.protocol` (a BleLink over the core's Protocol)."""
    from ..proto import Protocol

    name = gatt.NAME_PREFIX + "-" + "".join("%02X" % b for b in app.device_id[-2:])
    return BleLink(Protocol(app), name)
