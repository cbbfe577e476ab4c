"""Sync protocol handler, version 1 (docs/protocol.md): bytes in, bytes out, no hardware.

The BLE adapter (hw/ble.py on the board, unknot.sim.peripheral on the host) only moves bytes:
- a read of the info characteristic returns `info()`;
- a write to the control characteristic is queued, and the app loop passes it to `control()`;
- the app loop then sends every frame `next_frame()` returns as a notification on the data
  characteristic, until it returns None.
Nothing here raises out of `control()`: every request gets exactly one answer (a response
frame, or a record stream ending in an END frame).
"""

import struct

from . import FIRMWARE_VERSION
from .crc import crc32
from .journal import RECORD_SIZE, WIRE_RECORD_SIZE, WIRE_START

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


PROTOCOL_VERSION = const(1)

# Data characteristic frame types (byte 0 of every notification).
F_DATA = const(0x01)
F_END = const(0x02)
F_RESP = const(0x03)

# Control opcodes (byte 0 of every control write).
OP_READ = const(0x01)
OP_SET_CLOCK = const(0x02)
OP_UPLOAD_BEGIN = const(0x03)
OP_UPLOAD_CHUNK = const(0x04)
OP_UPLOAD_COMMIT = const(0x05)
OP_UPLOAD_ABORT = const(0x06)
OP_SET_SETTINGS = const(0x07)
OP_SELFTEST = const(0x08)  # its formats are in selftest.py (loaded on first use)
OP_FOLLOW = const(0x0A)  # `<BB` op, on (1) / off (0): STATUS frames on this connection

# Status codes (responses and END frames).
ST_OK = const(0)
_ST_UNKNOWN_OPCODE = const(1)
ST_BAD_LENGTH = const(2)
ST_BAD_ARG = const(3)
ST_BUSY = const(4)  # public: the SELFTEST op (selftest.py) and the host answer it
ST_NO_UPLOAD = const(5)
ST_BAD_OFFSET = const(6)
ST_BAD_CRC = const(7)
ST_TOO_LARGE = const(8)
ST_STORAGE = const(9)
_ST_INTERNAL = const(10)
# 11..19: protocol v2 authentication (docs/protocol.md)
ST_BAD_SETTING = const(20)  # SET_SETTINGS: a key the settings table refuses; payload: the key
ST_BAD_FILE = const(21)  # UPLOAD_COMMIT: a file that is not a valid routine; payload: its name
ST_TOO_MANY = const(22)  # UPLOAD: more than MAX_FILES files in one set

INFO_CLOCK_SET = const(0x01)
INFO_UPLOAD_OPEN = const(0x02)
BATTERY_UNKNOWN = const(0xFF)

# Wire formats, each named once.
INFO = "<BB8sBBBBIIIIHBBH"  # 36 bytes, see docs/protocol.md "Info"
REQ_READ = "<BIH"  # opcode, from_seq, max_count (0 = up to head)
REQ_SET_CLOCK = "<BI"  # opcode, unix seconds
REQ_UPLOAD_BEGIN = "<BII"  # opcode, total length, crc32 of the whole archive
REQ_UPLOAD_CHUNK = "<BI"  # opcode, offset; chunk bytes follow
END = "<BBIHII"  # F_END, status, first_seq, count, next_seq, crc32 of the record stream
RESP = "<BBB"  # F_RESP, opcode, status; payload follows
RESP_OFFSET = "<I"  # payload of a BAD_OFFSET response / OK chunk: next expected offset
ARCHIVE_ENTRY = "<BI"  # name length, data length; name and data follow
SETTING_HEAD = "<BB"  # key length, type; key and value follow
SETTING_INT = "<i"
REQ_FOLLOW = "<BB"  # opcode, 1 = send STATUS frames (status.py) on this connection, 0 = stop

SET_INT = const(1)
SET_STR = const(2)
SET_BOOL = const(3)

MAX_UPLOAD = const(16384)  # bytes in one routine archive
MAX_NAME = const(32)
MAX_FILES = const(16)  # files in one routine set (uploaded, or installed over USB)
# Connection policy (docs/protocol.md "Connection policy"): a central must authenticate
# within _AUTH_MS of connecting, and an authenticated one is dropped after _IDLE_MS without a
# control write; the BLE adapters ask `drop_at()` and disconnect (the board then sleeps).
_AUTH_MS = const(10000)
_IDLE_MS = const(60000)
_DEFAULT_MTU = const(23)
_MAX_MTU = const(247)
_INFO_SIZE = const(36)  # struct.calcsize(INFO)


class Protocol:
    """One sync-protocol session over one connection (call `reset()` when the link drops).

    `upload` makes the handler of the upload and settings requests: `upload(storage)` ->
    an upload.Upload; proto never imports upload (the board passes a loader that imports
    it on the first such request, see hw/ble.py). Without it those requests answer
    UNKNOWN_OPCODE."""

    def __init__(self, app, upload=None):
        self.app = app
        self.sender = None  # board: a function that notifies one frame, False when full
        self.mtu = _DEFAULT_MTU
        self.last_response = b""
        self._make_upload = upload
        self._upload = None  # the upload.Upload, made on the first upload request
        self._out = []  # response frames waiting to be sent
        self._pending = None
        self._reading = False
        self._first = self._next = self._end = self._count = self._crc = 0
        self._bad = False
        # preallocated: one DATA frame (at most the largest MTU's payload), one wire record
        # being cut across frames, and the INFO value
        self._frame = bytearray(_MAX_MTU - 3)
        self._frame[0] = F_DATA
        self._wire = bytearray(WIRE_RECORD_SIZE)
        self._carry = WIRE_RECORD_SIZE  # bytes of _wire already sent (12: none left)
        self._info = bytearray(_INFO_SIZE)
        self._info_key = None
        self._status = None  # one STATUS frame buffer, made when a host first follows
        self.info_changes = 0  # counts INFO repacks: the BLE link refreshes the value then
        self.authenticated = False  # this connection's central proved a host key
        self._since = None  # connection policy: connected at / last activity (ms), or None
        self._touched = False  # a control write came since the last drop_at()

    # -- link events ---------------------------------------------------------------------

    def set_mtu(self, mtu):
        self.mtu = max(_DEFAULT_MTU, min(_MAX_MTU, int(mtu)))

    def reset(self):
        """The link dropped: stop any transfer and forget a half-done upload."""
        self._out = []
        self._pending = None
        self._reading = False
        self.authenticated = False
        self._since = None
        app = self.app
        app.following = False  # the next connection asks again
        app.announced = []
        try:
            self.reset_upload()
        except Exception:
            pass

    def connect(self, now_ms):
        """A central connected (now_ms on the adapter's clock): the policy clock starts."""
        self.reset()
        self._since = now_ms
        self._touched = False

    def drop_at(self, now_ms):
        """The connection policy: None with no central, else when (ms) the adapter must
        disconnect it -- _AUTH_MS after connecting while it has not authenticated, _IDLE_MS
        after its last control write once it has. At or before now_ms: drop it now."""
        since = self._since
        if since is None:
            return None
        if self._touched:
            self._touched = False
            if self.authenticated:
                self._since = since = now_ms
        return since + (_IDLE_MS if self.authenticated else _AUTH_MS)

    # -- the app loop hook (board) ----------------------------------------------------

    def poll(self, now_ms):
        """Send pending frames through `sender`. Returns a deadline (ms) when frames are
        still waiting, else None. (Control writes come in through `control()`.)"""
        if self.sender is None:
            return None
        while True:
            if self._pending is None:
                self._pending = self.next_frame()
                if self._pending is None:
                    return None
            if self.sender(self._pending) is False:
                return now_ms + 10
            self._pending = None

    # -- info characteristic -------------------------------------------------------------

    def info(self):
        """The INFO value (36 bytes, a buffer reused between calls): packed again only when
        one of its fields changed (`info_changes` counts that)."""
        app = self.app
        journal = app.journal
        clock = app.clock
        unix = clock.unix()
        up = clock.now_ms() // 1000
        routines = getattr(app, "routines", None)
        count = len(routines) if routines is not None else 0
        battery = getattr(app, "battery", None)
        upload = self._upload is not None and self._upload.open
        key = self._info_key
        if (key is not None and key[0] == up and key[1] == unix and key[2] == journal.head
                and key[3] == journal.tail and key[4] == count and key[5] == battery
                and key[6] == upload and key[7] == app.boot):
            return self._info
        self._info_key = (up, unix, journal.head, journal.tail, count, battery, upload,
                          app.boot)
        flags = 0
        if unix is None:
            unix = 0
        else:
            flags |= INFO_CLOCK_SET
        if upload:
            flags |= INFO_UPLOAD_OPEN
        if battery is None:
            battery = BATTERY_UNKNOWN
        major, minor, patch = _version()
        dev_id = app.device_id[:8]
        struct.pack_into(
            INFO, self._info, 0,
            PROTOCOL_VERSION, flags, dev_id, major, minor, patch, min(count, 255),
            journal.head, journal.tail, unix, up, app.boot & 0xFFFF, min(int(battery), 255),
            0, min(journal.capacity, 0xFFFF),
        )
        self.info_changes += 1
        return self._info

    # -- control characteristic ----------------------------------------------------------

    def control(self, data):
        """Handle one control write. Never raises."""
        op = data[0] if len(data) else 0
        self._touched = True
        if OP_READ <= op <= OP_SET_SETTINGS:
            self.authenticated = True  # v1: until AUTH lands (consent), a known op counts
        try:
            self._dispatch(op, data)
        except Exception:
            self._respond(op, _ST_INTERNAL)

    def _respond(self, op, status, payload=None):
        frame = struct.pack(RESP, F_RESP, op, status)
        if payload:
            frame += payload
        self.last_response = frame
        self._out.append(frame)

    def _dispatch(self, op, data):
        n = len(data)
        if n == 0:
            self._respond(0, ST_BAD_LENGTH)
        elif op == OP_READ:
            if n != struct.calcsize(REQ_READ):
                self._respond(op, ST_BAD_LENGTH)
            elif self._reading:
                self._respond(op, ST_BUSY)
            else:
                _, first, count = struct.unpack(REQ_READ, data)
                self._start_read(first, count)
        elif op == OP_SET_CLOCK:
            if n != struct.calcsize(REQ_SET_CLOCK):
                self._respond(op, ST_BAD_LENGTH)
            else:
                t = struct.unpack(REQ_SET_CLOCK, data)[1]
                if t < 1_000_000_000:  # before 2001: not a real date
                    self._respond(op, ST_BAD_ARG)
                else:
                    self.app.clock.set_unix(t)
                    self._respond(op, ST_OK)
        elif op == OP_UPLOAD_ABORT:
            if n != 1:
                self._respond(op, ST_BAD_LENGTH)
            else:
                self.reset_upload()
                self._respond(op, ST_OK)
        elif op == OP_SELFTEST:
            from .selftest import control  # rarely used: loaded on the first such request

            control(self, data)
        elif op == OP_FOLLOW:
            if n != 2 or data[1] > 1:
                self._respond(op, ST_BAD_LENGTH if n != 2 else ST_BAD_ARG)
            else:
                app = self.app
                app.announced = []
                app.following = data[1] == 1
                self._respond(op, ST_OK)
                app.announce("hello")  # the state now (nothing when off)
        elif OP_UPLOAD_BEGIN <= op <= OP_SET_SETTINGS and self._make_upload is not None:
            up = self._upload
            if up is None:
                up = self._upload = self._make_upload(self.app.storage)
            if op == OP_UPLOAD_BEGIN:
                status, payload = up.begin(data)
            elif op == OP_UPLOAD_CHUNK:
                status, payload = up.chunk(data)
            elif op == OP_UPLOAD_COMMIT:
                status, payload = up.commit(data)
                if status == ST_OK:
                    self.app.reload_routines()
            else:
                status, payload = up.settings(self.app, data)
            self._respond(op, status, payload)
        else:
            self._respond(op, _ST_UNKNOWN_OPCODE)

    # -- record stream -------------------------------------------------------------------

    def _start_read(self, from_seq, max_count):
        journal = self.app.journal
        head = journal.head
        first = max(from_seq, journal.tail, 1)
        end = head if first < head else first
        if max_count and end - first > max_count:
            end = first + max_count
        self._reading = True
        self._first = first
        self._next = first
        self._end = end
        self._count = 0
        self._crc = 0
        self._carry = WIRE_RECORD_SIZE
        self._bad = False

    def _read_frame(self):
        """The next DATA frame (a memoryview of the frame buffer, valid until the next call),
        or the END frame."""
        room = self.mtu - 3  # ATT header 3 bytes; the frame type takes the first byte
        frame = self._frame
        view = memoryview(frame)
        wire = self._wire
        journal = self.app.journal
        n = 1
        while n < room:
            carry = self._carry
            if carry < WIRE_RECORD_SIZE:
                take = min(room - n, WIRE_RECORD_SIZE - carry)
                frame[n : n + take] = memoryview(wire)[carry : carry + take]
                n += take
                self._carry = carry + take
                continue
            if self._next >= self._end:
                break
            rec = journal.read(self._next)
            if rec is None or len(rec) != RECORD_SIZE or _seq(rec) != self._next:
                self._end = self._next  # stop at a bad slot; END says where to resume
                self._bad = True
                break
            wire[:] = memoryview(rec)[WIRE_START : WIRE_START + WIRE_RECORD_SIZE]
            self._crc = crc32(wire, self._crc)
            self._count += 1
            self._next += 1
            self._carry = 0
        if n > 1:
            return view[:n]
        # Stream done: END. A stream stopped by bad slots tells the host to skip them.
        resume = self._next
        if self._bad:
            head = journal.head
            while resume < head and not _good(journal, resume):
                resume += 1
        self._reading = False
        return struct.pack(
            END, F_END, ST_OK, self._first, self._count, resume, self._crc & 0xFFFFFFFF
        )

    def next_frame(self):
        """The next notification to send on the data characteristic (bytes, or a memoryview
        valid until the next call), or None."""
        if self._out:
            return self._out.pop(0)
        announced = self.app.announced
        if announced:
            return self._status_frame(announced.pop(0))
        if self._reading:
            try:
                return self._read_frame()
            except Exception:
                self._reading = False
                frame = struct.pack(RESP, F_RESP, OP_READ, _ST_INTERNAL)
                self.last_response = frame
                return frame
        return None

    def _status_frame(self, item):
        """One STATUS frame (docs/protocol.md "Status") in the buffer allocated once, from
        a tuple queued by the App's `announce()`, with the routine clock now."""
        from . import status as st  # loaded once a host follows

        event, routine_id, step, flags, next_s, base, frozen = item
        if self._status is None:
            self._status = bytearray(st.STATUS_SIZE)
        if frozen >= 0:
            pos = frozen
        elif base >= 0:
            pos = max(0, self.app.clock.now_ms() - base)
        else:
            pos = 0
        struct.pack_into(st.STATUS, self._status, 0, st.F_STATUS, event, step, flags,
                         routine_id, pos, next_s)
        return self._status

    # -- routine upload ------------------------------------------------------------------

    def reset_upload(self):
        if self._upload is not None:
            self._upload.drop()


def _seq(rec):
    return rec[0] | (rec[1] << 8) | (rec[2] << 16) | (rec[3] << 24)


def _good(journal, seq):
    rec = journal.read(seq)
    return rec is not None and len(rec) == RECORD_SIZE and _seq(rec) == seq


_triple = None


def _version():
    """FIRMWARE_VERSION as (major, minor, patch), parsed once."""
    global _triple
    if _triple is None:
        out = []
        for p in (FIRMWARE_VERSION.split(".") + ["0", "0", "0"])[:3]:  # noqa: RUF005
            digits = ""
            for ch in p:
                if "0" <= ch <= "9":
                    digits += ch
                else:
                    break
            out.append(min(int(digits or "0"), 255))
        _triple = (out[0], out[1], out[2])
    return _triple
