"""The board's BLE adapter: the Unknot GATT service (declared once) and a thin link that
feeds the core's protocol handler (docs/protocol.md).

Nothing here acts from a callback: the CONTROL characteristic is bound to a
`_bleio.PacketBuffer` (the pattern of adafruit_ble_file_transfer), which queues every write in
the background, so two writes between polls are two requests. The app loop calls
`BleLink.poll(now_ms)` (set `app.protocol = BleLink(protocol, name)`), which takes the queued
writes into a fixed buffer, passes each to the protocol, and sends pending frames as
notifications sized to the connection's MTU (the packet buffer's outgoing packet length).
"""

import _bleio
from adafruit_ble import BLERadio
from adafruit_ble.advertising.standard import ProvideServicesAdvertisement
from adafruit_ble.attributes import Attribute
from adafruit_ble.characteristics import Characteristic, ComplexCharacteristic
from adafruit_ble.services import Service
from adafruit_ble.uuid import VendorUUID
from micropython import const

from .. import advert, gatt

_FAST_ADV_S = 0.1  # advertising interval while recently idle
_SLOW_ADV_S = 1.0
_SLOW_AFTER_MS = const(30000)
_BUSY_RETRY_MS = const(10)
# While a central is connected the loop comes back at least this often: a control write
# waits in the packet buffer until the next poll (the sleeper wakes only for the button and
# its deadline), so this bounds the answer's latency (found by the board model, issue 16).
_LINK_POLL_MS = const(20)
_QUEUED_WRITES = const(4)  # control writes the packet buffer holds between two polls


_PERMISSION = {
    gatt.NO_ACCESS: Attribute.NO_ACCESS,
    gatt.OPEN: Attribute.OPEN,
    gatt.ENCRYPT: Attribute.ENCRYPT_NO_MITM,
}


class _Control:
    """The bound CONTROL characteristic: `packets` queues the writes, `char` holds the value
    a read returns (the last response frame)."""

    def __init__(self, char):
        self.char = char
        self.packets = _bleio.PacketBuffer(
            char, buffer_size=_QUEUED_WRITES, max_packet_size=gatt.MAX_VALUE
        )


class _ControlCharacteristic(ComplexCharacteristic):
    def bind(self, service):
        return _Control(super().bind(service))


def _characteristic(row):
    name, uuid, properties, read_perm, write_perm, max_length = row
    kind = _ControlCharacteristic if name == "control" else Characteristic
    return kind(
        uuid=VendorUUID(uuid),
        properties=properties,
        read_perm=_PERMISSION[read_perm],
        write_perm=_PERMISSION[write_perm],
        max_length=max_length,
        fixed_length=False,
    )


class UnknotService(Service):
    """The device's one service, built from the table in gatt.py; the same class describes it
    for a central (adafruit_ble). CONTROL is bound to a packet buffer (`_Control`)."""

    uuid = VendorUUID(gatt.SERVICE)
    info, control, data = (_characteristic(row) for row in gatt.CHARACTERISTICS)


class BleLink:
    """Advertise, poll the service, drive `protocol` (a proto.Protocol)."""

    def __init__(self, protocol, name, radio=None):
        self.protocol = protocol
        self.radio = radio or BLERadio()
        self.radio.name = name
        self.service = UnknotService()
        # flags + the service UUID + the advert payload: 31 bytes, the legacy maximum; the
        # name goes in the scan response (adafruit_ble's default one: name and tx power)
        self.adv = ProvideServicesAdvertisement(self.service)
        self.advert = advert.Advert()
        self.connection = None
        self._adv_interval = 0.0
        self._idle_since = None
        self._rx = bytearray(gatt.MAX_VALUE)  # one control write at a time, taken from the queue
        self._info_changes = -1
        self._last = None
        protocol.sender = self._send

    @property
    def connected(self):
        """A central is connected (the app then never light-sleeps)."""
        return self.connection is not None or bool(self.radio.connected)

    def _advertise(self, interval, now_ms):
        app = self.protocol.app
        busy = app.busy()  # a routine plays or a cue is felt: a new tag waits (app.py)
        head = app.journal.head
        if not busy and self.advert.due(head, now_ms, busy) and self.advert.update(
                advert.secret_of(app), head, now_ms, busy):
            self.adv.data_dict[advert.AD_TYPE] = bytes(self.advert.data)
            if self._adv_interval:
                self.radio.stop_advertising()
                self._adv_interval = 0.0  # restart below with the new payload
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
        try:
            self.service.data = frame  # a local characteristic: notifies subscribers
        except Exception:
            return False  # no buffer free: try again on a later poll
        return True

    def _refresh(self):
        """Refresh the characteristics' values when they changed."""
        proto = self.protocol
        info = proto.info()
        if proto.info_changes != self._info_changes:
            self._info_changes = proto.info_changes
            self.service.info = info
        last = proto.last_response
        if last is not self._last:
            self._last = last
            self.service.control.char.value = last  # reads return the last response frame

    def poll(self, now_ms):
        """The app loop's BLE hook: returns a deadline (ms) or None."""
        proto = self.protocol
        control = self.service.control
        conns = self.radio.connections
        conn = conns[0] if conns else None
        if conn is not self.connection:
            if self.connection is not None:
                proto.reset()  # link dropped: stop streams, discard a half upload
            self.connection = conn
            self._idle_since = None
            self._adv_interval = 0.0
            if conn is not None:
                proto.connect(now_ms)
        if conn is None:
            idle = self._idle_since
            slow = idle is not None and now_ms - idle >= _SLOW_AFTER_MS
            self._advertise(_SLOW_ADV_S if slow else _FAST_ADV_S, now_ms)
            self._refresh()
            due = self.advert.due_ms  # the advert's rotation (set by _advertise)
            since = self._idle_since
            if not slow and since is not None:  # and the slow-down
                slow_at = since + _SLOW_AFTER_MS
                due = slow_at if due is None or slow_at < due else due
            return due
        packets = control.packets
        out_len = packets.outgoing_packet_length
        if out_len:
            proto.set_mtu(out_len + 3)
        rx = self._rx
        n = packets.readinto(rx)
        while n:
            proto.control(memoryview(rx)[:n])
            n = packets.readinto(rx)
        deadline = proto.poll(now_ms)
        self._refresh()
        drop = proto.drop_at(now_ms)  # the connection policy (proto.py)
        if drop is not None and drop <= now_ms:
            try:
                conn.disconnect()  # a squatter, or idle: the next poll sees it gone
            except Exception:
                pass
            return now_ms + _BUSY_RETRY_MS
        if deadline is not None:
            deadline = min(deadline, now_ms + _BUSY_RETRY_MS)
        if drop is not None and (deadline is None or drop < deadline):
            deadline = drop
        return min(now_ms + _LINK_POLL_MS, deadline or now_ms + _LINK_POLL_MS)


def attach(app):
    """code.py's hook: the app loop's `app.protocol` (a BleLink over the core's Protocol)."""
    from ..proto import Protocol

    name = gatt.NAME_PREFIX + "-" + "".join("%02X" % b for b in app.device_id[-2:])
    return BleLink(Protocol(app, _upload, _pairing), name)


def _pairing():
    """The pairing ops' module, imported on the first pairing or HOSTS request."""
    from .. import pairing

    return pairing


def _upload(storage):
    """The protocol's upload handler, imported on the first upload request only."""
    from ..upload import Upload

    return Upload(storage)
