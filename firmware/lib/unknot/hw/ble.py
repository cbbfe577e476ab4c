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

The protocol stack exists only while a central is connected: the poll that sees a central
imports proto and builds its Protocol; the poll that sees it gone resets it and drops it with
every module only a connection uses (SESSION_MODULES, mods.drop), so the heap between
connections carries none of it. What outlives a connection is the App's (keyring: hosts,
the pairing window; journal) and INFO, written into the attribute table at start-up.
"""

import _bleio
from micropython import const

from .. import advert, gatt, info, mods

# (Few names here: every global, attribute and function name is a qstr, never freed, and
# the 1261st one costs a 9 KiB pool in one block: docs/firmware.md "BLE", qstr pools.)
_FAST_ADV_MS = const(100)  # advertising interval while recently idle
_SLOW_ADV_MS = const(1000)
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

# The core modules a connection loads, dropped when it ends: the protocol, the host records
# (auth.py: proto, seal and pairing take its facts and drop it at once; the keyring loads
# it for one change), its MACs, the READ stream (read.py: dropped after each END), the
# STATUS frames, and the pairing and upload handlers it loads on their first request.
SESSION_MODULES = ("proto", "auth", "seal", "read", "status", "pairing", "sha256", "upload")


class BleLink:
    """The service, the advertising, and `protocol` (a proto.Protocol while a central is
    connected, else None) driven by poll()."""

    def __init__(self, app, name, adapter=None):
        self.app = app
        self.protocol = None
        self.radio = adapter or _bleio.adapter
        self.radio.name = name  # the GAP device name a connected central reads
        self.name = name
        a = _bleio.Attribute  # gatt.py's NO_ACCESS, OPEN, ENCRYPT: 0, 1, 2
        perm = (a.NO_ACCESS, a.OPEN, a.ENCRYPT_NO_MITM)
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
        # the advertising data, with the advert payload at _PAYLOAD_AT rewritten in place
        adv = self._adv = bytearray(_ADV_SIZE)
        adv[0] = 2
        adv[1] = _AD_FLAGS
        adv[2] = _LE_GENERAL_NO_BREDR
        adv[3] = 17
        adv[4] = _AD_UUID128
        uuid.pack_into(adv, _UUID_AT)  # 16 bytes, little-endian (UUID.c pack_into)
        adv[21] = 1 + advert.PAYLOAD_SIZE
        adv[22] = advert.AD_TYPE
        raw = name.encode()
        self._scan = bytes((len(raw) + 1, _AD_NAME)) + raw
        self.advert = advert.Advert()
        self.connection = None
        self._adv_interval = 0  # ms, 0: not advertising
        self._idle_since = None
        self._rx = bytearray(gatt.MAX_VALUE)  # one control write at a time, taken from the queue
        self._last = None

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
            self._adv_interval = 0  # restart below with the new payload
        if self._adv_interval == interval:
            return
        radio = self.radio
        radio.stop_advertising()  # nothing when stopped (Adapter.c stop_advertising)
        radio.start_advertising(self._adv, scan_response=self._scan, interval=interval / 1000)
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

    def _refresh(self, proto):
        """CONTROL's value (what a read returns) follows the last response frame."""
        last = proto.last_response
        if last is not self._last:
            self._last = last
            self.control.value = last

    def _begin(self, now_ms):
        """A central connected: the protocol stack, loaded for this connection."""
        from ..proto import Protocol

        mods.drop("auth", collect=False)  # proto took its facts; the keyring loads it per change
        proto = Protocol(self.app, _upload, _pairing)
        proto.sender = self._send
        proto.connect(now_ms)
        self.protocol = proto

    def _end(self):
        """The central left (or the stack could not be built): reset the protocol (stops
        STATUS following, forgets a half upload), clear CONTROL's value (never the previous
        central's answer), discard writes still queued, drop the stack's modules."""
        proto = self.protocol
        self.protocol = None
        self._last = None
        if proto is not None:
            proto.sender = None
            proto.reset()
        self.control.value = bytearray()  # (empty: never the previous answer)
        while self.packets.readinto(self._rx):
            pass
        proto = None
        mods.drop(*SESSION_MODULES)  # (and collects)

    def _idle(self, now_ms):
        """No central: advertise (fast, then slow), rotate the advert; returns a deadline."""
        idle = self._idle_since
        slow = idle is not None and now_ms - idle >= _SLOW_AFTER_MS
        self._advertise(_SLOW_ADV_MS if slow else _FAST_ADV_MS, now_ms)
        due = self.advert.due_ms  # the advert's rotation (set by _advertise)
        since = self._idle_since
        if not slow and since is not None:  # and the slow-down
            slow_at = since + _SLOW_AFTER_MS
            due = slow_at if due is None or slow_at < due else due
        return due

    def poll(self, now_ms):
        """The app loop's BLE hook: returns a deadline (ms) or None."""
        conn = None
        if self.radio.connected:
            conns = self.radio.connections  # a tuple cached by the adapter (Adapter.c)
            conn = conns[0] if conns else None
        if conn is not self.connection:
            if self.connection is not None:
                self._end()
            self.connection = conn
            self._idle_since = None
            self._adv_interval = 0
            if conn is not None:
                try:
                    self._begin(now_ms)
                except Exception:  # no room for the stack now: the central must go
                    self._end()
                    _disconnect(conn)
                    raise  # counted by the App's loop
        if conn is None:
            return self._idle(now_ms)
        proto = self.protocol
        if proto is None:
            return now_ms + _LINK_POLL_MS  # waiting for the refused central to go
        # the notification size: the connection's (CONTROL's packet buffer says only the
        # characteristic's length: PacketBuffer.c get_outgoing_packet_length)
        proto.set_mtu(conn.max_packet_length + 3)
        packets = self.packets
        rx = self._rx
        n = packets.readinto(rx)
        if n:
            while n:
                proto.control(memoryview(rx)[:n])
                n = packets.readinto(rx)
            # the answers are sealed and sent in the next pass, 1 ms later: two short loop
            # steps instead of one long one (docs/firmware.md "CPU budget")
            return now_ms + 1
        deadline = proto.poll(now_ms)
        self._refresh(proto)
        drop = proto.drop_at(now_ms)  # the connection policy (proto.py)
        if drop is not None and drop <= now_ms:
            _disconnect(conn)  # a squatter, or idle: the next poll sees it gone
            return now_ms + _BUSY_RETRY_MS
        if deadline is not None:
            deadline = min(deadline, now_ms + _BUSY_RETRY_MS)
        if drop is not None and (deadline is None or drop < deadline):
            deadline = drop
        return min(now_ms + _LINK_POLL_MS, deadline or now_ms + _LINK_POLL_MS)


def _disconnect(conn):
    try:
        conn.disconnect()
    except Exception:
        pass  # gone already


def attach(app):
    """code.py's hook: the app loop's `app.protocol` (a BleLink; the core's Protocol is
    built per connection)."""
    # the advertised name: gatt.NAME_PREFIX, "-", the device id's last 2 bytes in hex
    return BleLink(app, gatt.NAME_PREFIX + "-" + "".join("%02X" % b for b in app.device_id[-2:]))


def _pairing():
    """The pairing ops' module, imported on the first pairing or HOSTS request."""
    from .. import pairing

    mods.drop("auth", collect=False)  # pairing took its facts (as proto, seal did)
    return pairing


def _upload(storage):
    """The protocol's upload handler, imported on the first upload request only."""
    from ..upload import Upload

    return Upload(storage)
