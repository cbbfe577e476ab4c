"""The board's BLE adapter, straight on CircuitPython's `_bleio` (no adafruit_ble: its
classes alone cost more heap than the whole firmware may use, docs/firmware.md "BLE"): the
Unknot GATT service built from gatt.py's table, the advertisement as bytes built once, and
a thin link that feeds the core's protocol handler (docs/protocol.md).

Nothing here acts from a callback: the CONTROL characteristic is bound to a
`_bleio.PacketBuffer`, which queues every write in the background, so two writes between
polls are two requests. The app loop calls `BleLink.poll(now_ms)` (`app.protocol`), which
takes the queued writes into a fixed buffer, passes each to the protocol, and sends pending
frames as notifications (a local characteristic's `value =` notifies the subscribed
central: ports/nordic/common-hal/_bleio/Characteristic.c set_value).
"""

import _bleio
from micropython import const

from .. import advert, gatt, info

_FAST_ADV_S = 0.1  # advertising interval while recently idle
_SLOW_ADV_S = 1.0
_SLOW_AFTER_MS = const(30000)
_BUSY_RETRY_MS = const(10)
# While a central is connected the loop comes back at least this often: a control write
# waits in the packet buffer until the next poll. No alarm wakes the sleeper for it: the
# nordic port's light sleep ends only on pin, time and touch alarms
# (ports/nordic/common-hal/alarm/__init__.c _setup_sleep_alarms), and time.sleep only on
# its own clock, so this bounds the answer's latency (found by the board model, issue 16).
_LINK_POLL_MS = const(20)
_QUEUED_WRITES = const(4)  # control writes the packet buffer holds between two polls

# The advertisement (docs/protocol.md "Advertisement"), legacy, 31 bytes: flags, the
# service's 128-bit UUID, the advert payload (advert.py); the name is the scan response.
_ADV_SIZE = const(31)
_AD_FLAGS = const(0x01)
_LE_GENERAL_NO_BREDR = const(0x06)
_AD_UUID128 = const(0x06)  # incomplete list of 128-bit service UUIDs
_AD_NAME = const(0x09)  # complete local name
_UUID_AT = const(5)  # after flags (3) and the UUID structure's length and type
_PAYLOAD_AT = const(23)  # after the UUID (16) and the manufacturer structure's head


def _permissions():
    """gatt.py's permissions (NO_ACCESS, OPEN, ENCRYPT: 0, 1, 2) as `_bleio.Attribute`'s."""
    a = _bleio.Attribute
    return (a.NO_ACCESS, a.OPEN, a.ENCRYPT_NO_MITM)


def advertisement(service_uuid):
    """The advertising data with room for the advert payload at _PAYLOAD_AT (a bytearray,
    rewritten in place when the payload changes)."""
    adv = bytearray(_ADV_SIZE)
    adv[0] = 2
    adv[1] = _AD_FLAGS
    adv[2] = _LE_GENERAL_NO_BREDR
    adv[3] = 17
    adv[4] = _AD_UUID128
    service_uuid.pack_into(adv, _UUID_AT)  # 16 bytes, little-endian (UUID.c pack_into)
    adv[21] = 1 + advert.PAYLOAD_SIZE
    adv[22] = advert.AD_TYPE
    return adv


class BleLink:
    """The service, the advertising, and `protocol` (a proto.Protocol) driven by poll()."""

    def __init__(self, app, protocol, name, adapter=None):
        self.app = app
        self.protocol = protocol
        self.radio = adapter or _bleio.adapter
        self.radio.name = name  # the GAP device name a connected central reads
        self.name = name
        perm = _permissions()
        uuid = _bleio.UUID(gatt.SERVICE)
        self.service = _bleio.Service(uuid)
        made = {}
        for key, char_uuid, props, read, write, size in gatt.CHARACTERISTICS:
            made[key] = _bleio.Characteristic.add_to_service(
                self.service, _bleio.UUID(char_uuid), properties=props, read_perm=perm[read],
                write_perm=perm[write], max_length=size, fixed_length=False)
        self.info, self.control, self.data = made["info"], made["control"], made["data"]
        self.packets = _bleio.PacketBuffer(self.control, buffer_size=_QUEUED_WRITES,
                                           max_packet_size=gatt.MAX_VALUE)
        # INFO is in the SoftDevice's attribute table from now on: a central reads it the
        # moment it connects, before any poll
        self.info.value = info.value(app.device_id)
        self._adv = advertisement(uuid)
        raw = name.encode()
        self._scan = bytes((len(raw) + 1, _AD_NAME)) + raw
        self.advert = advert.Advert()
        self.connection = None
        self._adv_interval = 0.0
        self._idle_since = None
        self._rx = bytearray(gatt.MAX_VALUE)  # one control write at a time, taken from the queue
        self._last = None
        protocol.sender = self._send

    @property
    def connected(self):
        """A central is connected (the app then never light-sleeps)."""
        return self.connection is not None or self.radio.connected

    def _advertise(self, interval, now_ms):
        app = self.app
        busy = app.busy()  # a routine plays or a cue is felt: a new tag waits (app.py)
        head = app.journal.head
        if not busy and self.advert.due(head, now_ms, busy) and self.advert.update(
                advert.secret_of(app), head, now_ms, busy):
            self._adv[_PAYLOAD_AT:] = self.advert.data
            self._adv_interval = 0.0  # restart below with the new payload
        if self._adv_interval == interval:
            return
        radio = self.radio
        radio.stop_advertising()  # nothing when stopped (Adapter.c stop_advertising)
        radio.start_advertising(self._adv, scan_response=self._scan, interval=interval)
        self._adv_interval = interval
        if self._idle_since is None:
            self._idle_since = now_ms

    def _send(self, frame):
        conn = self.connection
        if conn is None or not conn.connected:
            return None  # dropped: the protocol is reset on the next poll
        try:
            self.data.value = frame  # a local characteristic: notifies the subscriber
        except Exception:
            return False  # the link is going: try again on a later poll
        return True

    def _refresh(self):
        """CONTROL's value (what a read returns) follows the last response frame."""
        last = self.protocol.last_response
        if last is not self._last:
            self._last = last
            self.control.value = last

    def _idle(self, now_ms):
        """No central: advertise (fast, then slow), rotate the advert; returns a deadline."""
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

    def poll(self, now_ms):
        """The app loop's BLE hook: returns a deadline (ms) or None."""
        proto = self.protocol
        conn = None
        if self.radio.connected:
            conns = self.radio.connections  # a tuple cached by the adapter (Adapter.c)
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
            return self._idle(now_ms)
        # the notification size: the connection's (CONTROL's packet buffer says only the
        # characteristic's length: PacketBuffer.c get_outgoing_packet_length)
        proto.set_mtu(conn.max_packet_length + 3)
        packets = self.packets
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


def device_name(app):
    """The advertised name: gatt.NAME_PREFIX, "-", the device id's last 2 bytes in hex."""
    return gatt.NAME_PREFIX + "-" + "".join("%02X" % b for b in app.device_id[-2:])


def attach(app):
    """code.py's hook: the app loop's `app.protocol` (a BleLink over the core's Protocol)."""
    from ..proto import Protocol

    return BleLink(app, Protocol(app, _upload, _pairing), device_name(app))


def _pairing():
    """The pairing ops' module, imported on the first pairing or HOSTS request."""
    from .. import pairing

    return pairing


def _upload(storage):
    """The protocol's upload handler, imported on the first upload request only."""
    from ..upload import Upload

    return Upload(storage)
