"""Sync protocol handler, version 3 (docs/protocol.md): bytes in, bytes out, no hardware.

Every control operation needs authentication (docs/security.md): a central may read INFO
(public: version, device id, firmware), run a pairing attempt that only the wearer's press
completes (PAIR_BEGIN, PAIR_REVEAL, PAIR_CHECK) and authenticate (AUTH_BEGIN, AUTH);
everything else answers AUTH_REQUIRED until this connection has proved a stored host key.
After AUTH every request and every answer (RESP, DATA, END, STATUS) is sealed (seal.Session:
AES-CTR payload, AES-CMAC tag under per-connection keys and the request counter), so a
replayed, altered or overheard frame gives nothing.

The BLE adapter (hw/ble.py on the board, unknot.sim.peripheral on the host) only moves bytes:
- a read of the info characteristic returns `info()`;
- a write to the control characteristic is queued, and the app loop passes it to `control()`;
- the app loop then sends every frame `next_frame()` returns as a notification on the data
  characteristic, until it returns None.
Nothing here raises out of `control()`: every request gets exactly one answer (a response
frame, or a record stream ending in an END frame).
"""


from . import info, mods, wire
from .auth import ANSWER_LABEL, AUTH_COUNTER, REQUEST_LABEL, STATUS_LABEL, TAG_SIZE
from .info import INFO, PROTOCOL_VERSION  # noqa: F401 (defined there: served without us)
from .journal import WIRE_RECORD_SIZE
from .keyring import CONSENT_MS, nonce

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


# Data characteristic frame types (byte 0 of every notification).
_F_DATA = const(0x01)
_F_END = const(0x02)
_F_RESP = const(0x03)

# Control opcodes (byte 0 of every control write).
_OP_READ = const(0x01)
_OP_SET_CLOCK = const(0x02)
_OP_UPLOAD_BEGIN = const(0x03)
_OP_UPLOAD_CHUNK = const(0x04)
_OP_UPLOAD_COMMIT = const(0x05)
_OP_UPLOAD_ABORT = const(0x06)
_OP_SET_SETTINGS = const(0x07)
_OP_AUTH_BEGIN = const(0x10)  # open to any central
_OP_AUTH = const(0x11)  # open to any central
OP_PAIR_BEGIN = const(0x12)  # open: the host's commitment, inside the wearer's window
OP_HOSTS = const(0x13)  # list / name / forget paired hosts (forget needs the wearer's press)
OP_PAIR_REVEAL = const(0x15)  # open: the host's public key and nonce
OP_PAIR_CHECK = const(0x16)  # open, sealed under the new key: did the wearer confirm?
_OP_STATE = const(0x14)  # the private STATE block (not the STATUS frames of FOLLOW)
_OP_SELFTEST = const(0x08)  # its formats are in selftest.py (loaded on first use)
_OP_FOLLOW = const(0x0A)  # status.REQ_FOLLOW: STATUS frames on this connection

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
_ST_AUTH_REQUIRED = const(11)  # this connection has not authenticated
ST_AUTH_FAILED = const(12)  # unknown host, wrong proof, bad or replayed tag
ST_NOT_PAIRABLE = const(13)  # PAIR_BEGIN outside the wearer's pairing window
ST_PENDING = const(14)  # the device waits for the wearer's press (PAIR_CHECK, HOSTS)
ST_REFUSED = const(15)  # the wearer said no, or did not answer in time
ST_BAD_SETTING = const(20)  # SET_SETTINGS: a key the settings table refuses; payload: the key
ST_BAD_FILE = const(21)  # UPLOAD_COMMIT: a file that is not a valid routine; payload: its name
ST_TOO_MANY = const(22)  # UPLOAD: more than MAX_FILES files in one set

_STATE_CLOCK_SET = const(0x01)  # STATE flags
_STATE_UPLOAD_OPEN = const(0x02)
_STATE_NVM_ERROR = const(0x04)  # the last flash write failed: sessions wait in RAM (retrying)
_STATE_NVM_REFUSED = const(0x08)  # the nvm cannot hold the journal (one page): RAM only
_BATTERY_UNKNOWN = const(0xFF)

# Wire formats, each declared once as a field spec (wire.py; docs/protocol.md byte by byte).
# INFO (public) and PROTOCOL_VERSION are in info.py.
# Private device state, only ever sent to an authenticated host (AUTH_BEGIN, STATE):
_STATE = const("epoch:I head:I tail:I clock:I uptime_s:I boot:H capacity:H battery:B flags:B"
               " routines:B")
_REQ_AUTH_BEGIN = const("op:B nonce:16s blind:8s")  # host nonce, blinded host id
_RESP_AUTH_BEGIN = const("nonce:16s proof:16s")  # payload: device nonce, proof (covers INFO)
_REQ_AUTH = const("op:B proof:16s")  # host proof
_RESP_AUTH = const("secret:16s state:27s")  # payload (sealed): the device secret, STATE
REQ_PAIR_BEGIN = "op:B commit:32s"  # commitment to the host's public key and nonce
RESP_PAIR_BEGIN = "public:32s nonce:16s"  # payload: the device's public key, nonce
REQ_PAIR_REVEAL = "op:B public:32s nonce:16s"  # the host's public key and nonce
REQ_PAIR_CHECK = "op:B abort:B"  # 1: the wearer typed another SAS; sealed
REQ_HOSTS = "op:B sub:B host_id:8s"  # LIST: op and sub only
HOSTS_ENTRY = "host_id:8s name:8s paired:I seen:I"  # LIST answer, after a count byte
_REQ_READ = const("op:B from_seq:I max_count:H")  # max_count 0: up to head
_REQ_SET_CLOCK = const("op:B unix:I")
# crc: of the stream; epoch: the journal's
_END = const("frame:B status:B first_seq:I count:H next_seq:I crc:I epoch:I")
_RESP = const("frame:B op:B status:B")  # payload follows

HOSTS_LIST = const(0)
HOSTS_NAME = const(1)  # this host's own name (host id field: the name)
HOSTS_FORGET = const(2)  # asks the wearer; host id ff*8: every host
HOSTS_CHECK = const(3)  # the answer to a FORGET: PENDING, OK, REFUSED

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
_HEAD = const(3)  # bytes of a RESP that stay clear (type, op, status); the rest is sealed
_DEFAULT_MTU = const(23)
_MAX_MTU = const(247)


class Protocol:
    """One sync-protocol session over one connection. The BLE adapters build one when a
    central connects and drop it (with the modules only it needs) when the link goes
    (hw/ble.py, unknot.sim.peripheral): nothing here outlives a connection. What must (the
    paired hosts, the pairing window and its lockout, STATUS following) lives in the App and
    its keyring; INFO is info.py's. `reset()` ends the session without dropping the object.

    `upload` makes the handler of the upload and settings requests: `upload(storage)` ->
    an upload.Upload; proto never imports upload (the board passes a loader that imports
    it on the first such request, see hw/ble.py). Without it those requests answer
    UNKNOWN_OPCODE. `pairing()` likewise gives the pairing module (pairing.py: the PAIR_*
    and HOSTS handlers, X25519); without it PAIR_BEGIN answers NOT_PAIRABLE and HOSTS
    UNKNOWN_OPCODE."""

    def __init__(self, app, upload=None, pairing=None):
        self.app = app
        self.sender = None  # board: a function that notifies one frame, False when full
        self.mtu = _DEFAULT_MTU
        self.last_response = b""
        self._make_upload = upload
        self._pairing_module = pairing
        self._upload = None  # the upload.Upload, made on the first upload request
        self._out = []  # response frames waiting to be sent
        self._pending = None
        self._reading = False
        self._first = self._next = self._end = self._count = self._crc = 0
        self._bad = False
        # preallocated: one DATA frame (at most the largest MTU's payload), one wire record
        # being cut across frames
        self._frame = bytearray(_MAX_MTU - 3)
        self._frame[0] = _F_DATA
        self._wire = bytearray(WIRE_RECORD_SIZE)
        self._carry = WIRE_RECORD_SIZE  # bytes of _wire already sent (12: none left)
        self._info = None  # the INFO value AUTH_BEGIN's proof covers (info.py), made then
        self._status = None  # one STATUS frame buffer, made when a host first follows
        # authentication of this connection (docs/protocol.md "Authentication")
        self.authenticated = False
        self._challenge = None  # (host, host nonce, device nonce) between AUTH_BEGIN and AUTH
        self._session = None  # seal.Session once authenticated
        self._host = None  # the authenticated host's record (keyring)
        self._gen = 0  # keyring.generation when authenticated: a forget ends the session
        self._counter = 0  # the next request's counter
        self._answer = None  # (session, counter) sealing the answer being made, or None
        self._read_counter = None  # counter of the READ whose END is still to come
        self._index = 0  # DATA frames sent in this READ stream (their seal index)
        self._status_n = 0  # STATUS frames sent since FOLLOW (their seal index)
        self._follow_counter = 0
        self._pairing = False  # this connection runs a pairing attempt (connection policy)
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
        self._since = None
        self._pairing = False
        self.last_response = b""  # CONTROL's value: never the previous central's answer
        self._deauth()  # also stops STATUS frames: the next connection asks FOLLOW again
        self.app.keyring.ended()  # a decided pairing's attempt goes (crypto: keyring.py)
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
        after its last control write once it has, and while it runs a pairing attempt
        keyring.CONSENT_MS after its last write (the wearer feels the SAS, types it, presses).
        At or before now_ms: drop it now."""
        since = self._since
        if since is None:
            return None
        if self._touched:
            self._touched = False
            if self.authenticated or self._pairing:
                self._since = since = now_ms
        if self.authenticated:
            return since + _IDLE_MS
        return since + (CONSENT_MS if self._pairing else _AUTH_MS)

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
            sealed = self._pending is self._status
            self._pending = None
            if sealed and self.app.announced:
                return now_ms + 1  # one STATUS frame sealed per pass: a playing step stays short

    # -- info characteristic -------------------------------------------------------------

    def info(self):
        """The INFO value (info.py: public, nothing a squatter could poll), made once."""
        if self._info is None:
            self._info = info.value(self.app.device_id)
        return self._info

    def state(self):
        """The private STATE block (bytes): sent only to an authenticated host."""
        app = self.app
        journal = app.journal
        clock = app.clock
        unix = clock.unix()
        flags = 0
        if unix is None:
            unix = 0
        else:
            flags |= _STATE_CLOCK_SET
        if self._upload is not None and self._upload.open:
            flags |= _STATE_UPLOAD_OPEN
        if journal.refused is not None:
            flags |= _STATE_NVM_REFUSED
        elif journal.error is not None:
            flags |= _STATE_NVM_ERROR
        battery = app.battery
        if battery is None:
            battery = _BATTERY_UNKNOWN
        return wire.pack(
            _STATE, _epoch(journal) & 0xFFFFFFFF, journal.head, journal.tail, unix,
            clock.now_ms() // 1000, app.boot & 0xFFFF, min(journal.capacity, 0xFFFF),
            min(int(battery), 255), flags, min(len(app.routines), 255),
        )

    # -- control characteristic ----------------------------------------------------------

    def control(self, data):
        """Handle one control write. Never raises."""
        op = data[0] if len(data) else 0
        self._touched = True
        self._answer = None
        try:
            self._still_paired()
            if (op == _OP_AUTH_BEGIN or op == _OP_AUTH or op == OP_PAIR_BEGIN
                    or op == OP_PAIR_REVEAL or op == OP_PAIR_CHECK or not len(data)):
                self._open(op, data)
            elif not self.authenticated:
                self._respond(op, _ST_AUTH_REQUIRED)
            else:
                body = self._check(data)
                if body is None:
                    self._deauth()
                    self._respond(op, ST_AUTH_FAILED)
                else:
                    self._dispatch(op, body)
        except Exception:
            self._respond(op, _ST_INTERNAL)

    def _respond(self, op, status, payload=None):
        frame = wire.pack(_RESP, _F_RESP, op, status)
        if payload:
            frame += payload
        if self._answer is None:
            self.last_response = frame
            self._out.append(frame)
        else:  # sealed as it is sent (next_frame): on the board a loop pass of its own
            session, counter = self._answer  # (docs/firmware.md "CPU budget")
            self._out.append((frame, session, counter))

    # -- authentication ------------------------------------------------------------------

    def _deauth(self):
        """Not (or no longer) authenticated: also no STATUS frames (private wearer data)
        until an authenticated host asks FOLLOW again."""
        self.authenticated = False
        app = self.app
        app.following = False
        app.announced = []
        self._challenge = None
        self._session = None
        self._host = None
        self._counter = 0
        self._read_counter = None

    def _still_paired(self):
        """A forget (any host, by any path) ends every session whose host is gone, at once."""
        keyring = self.app.keyring
        host = self._host
        if host is not None and keyring.generation != self._gen:
            self._gen = keyring.generation
            if keyring.find(host[0]) is not host:
                self._deauth()

    def _check(self, data):
        """The request opened (decrypted, tag removed) if its tag is right for the next
        counter, else None. The counter moves on only for a good tag."""
        session = self._session
        if session is None:
            return None
        body = session.open(REQUEST_LABEL, self._counter, 0, data, 1)
        if body is None or not len(body):
            return None
        self._answer = (self._session, self._counter)
        self._counter += 1
        return body

    def _open(self, op, data):
        """The requests any central may send (and an empty write)."""
        n = len(data)
        if n == 0:
            self._respond(0, ST_BAD_LENGTH)
        elif op == _OP_AUTH_BEGIN:
            self._auth_begin(data)
        elif op == _OP_AUTH:
            self._auth(data)
        elif self._pairing_module is not None:
            self._pairing_module().control(self, op, data)  # loaded when a pairing starts
        else:
            self._respond(op, ST_NOT_PAIRABLE)

    def _auth_begin(self, data):
        seal = _seal()
        op = _OP_AUTH_BEGIN
        self._deauth()
        if len(data) != wire.size(_REQ_AUTH_BEGIN):
            self._respond(op, ST_BAD_LENGTH)
            return
        _, host_nonce, blind = wire.unpack(_REQ_AUTH_BEGIN, data)
        host = self.app.keyring.blinded(blind, host_nonce)
        if host is None:
            self._respond(op, ST_AUTH_FAILED)
            return
        dev_nonce = nonce()
        self._challenge = (host, host_nonce, dev_nonce)
        proof = seal.device_proof(host[1], host_nonce, dev_nonce, self.info())
        self._respond(op, ST_OK, wire.pack(_RESP_AUTH_BEGIN, dev_nonce, proof))

    def _auth(self, data):
        seal = _seal()
        op = _OP_AUTH
        challenge = self._challenge
        self._challenge = None  # one try per AUTH_BEGIN
        if len(data) != wire.size(_REQ_AUTH):
            self._respond(op, ST_BAD_LENGTH)
        elif challenge is None:
            self._respond(op, ST_AUTH_FAILED)
        else:
            host, host_nonce, dev_nonce = challenge
            want = seal.host_proof(host[1], host_nonce, dev_nonce)
            if not seal.same(want, wire.unpack(_REQ_AUTH, data)[1]):
                self._respond(op, ST_AUTH_FAILED)
                return
            keyring = self.app.keyring
            self._session = seal.Session(host[1], host_nonce, dev_nonce)
            self._host = host
            self._gen = keyring.generation
            self._counter = 0
            self.authenticated = True
            t = self.app.clock.unix()
            host[4] = 0 if t is None else t  # last seen (RAM: no flash write per sync)
            self._answer = (self._session, AUTH_COUNTER)
            self._respond(op, ST_OK, wire.pack(_RESP_AUTH, keyring.secret or bytes(16),
                                                 self.state()))

    def _dispatch(self, op, data):
        """An authenticated request (tag removed)."""
        n = len(data)
        if op == _OP_READ:
            if n != wire.size(_REQ_READ):
                self._respond(op, ST_BAD_LENGTH)
            elif self._reading:
                self._respond(op, ST_BUSY)
            else:
                _, first, count = wire.unpack(_REQ_READ, data)
                self._read_counter = self._counter - 1
                mods.load("read").start(self, first, count)  # the stream's code (read.py)
                self._reading = True
        elif op == _OP_STATE:
            if n != 1:
                self._respond(op, ST_BAD_LENGTH)
            else:
                self._respond(op, ST_OK, self.state())
        elif op == OP_HOSTS and self._pairing_module is not None:
            self._pairing_module().hosts(self, data)  # rarely used: loaded on first use
        elif op == _OP_SET_CLOCK:
            if n != wire.size(_REQ_SET_CLOCK):
                self._respond(op, ST_BAD_LENGTH)
            else:
                t = wire.unpack(_REQ_SET_CLOCK, data)[1]
                if t < 1_000_000_000:  # before 2001: not a real date
                    self._respond(op, ST_BAD_ARG)
                else:
                    self.app.clock.set_unix(t)
                    self._respond(op, ST_OK)
        elif op == _OP_UPLOAD_ABORT:
            if n != 1:
                self._respond(op, ST_BAD_LENGTH)
            else:
                self.reset_upload()
                self._respond(op, ST_OK)
        elif op == _OP_SELFTEST:
            from .selftest import control  # rarely used: loaded on the first such request

            room = self.mtu - 3 - wire.size(_RESP) - TAG_SIZE
            outcome, payload = control(self.app, data, room)
            if not self.app.selftest_running():  # a running test keeps its code (core)
                mods.drop("selftest")
            self._respond(op, (ST_OK, ST_BUSY, ST_BAD_ARG, ST_BAD_LENGTH)[outcome], payload)
        elif op == _OP_FOLLOW:
            if n != 2 or data[1] > 1:
                self._respond(op, ST_BAD_LENGTH if n != 2 else ST_BAD_ARG)
            else:
                app = self.app
                app.announced = []
                app.following = data[1] == 1
                self._follow_counter = self._counter - 1
                self._status_n = 0
                self._respond(op, ST_OK)
                app.announce("hello")  # the state now (nothing when off)
        elif _OP_UPLOAD_BEGIN <= op <= _OP_SET_SETTINGS and self._make_upload is not None:
            self._upload_op(op, data)
        else:
            self._respond(op, _ST_UNKNOWN_OPCODE)

    def _upload_op(self, op, data):
        """UPLOAD_BEGIN / CHUNK / COMMIT and SET_SETTINGS: the upload handler answers."""
        up = self._upload
        if up is None:
            up = self._upload = self._make_upload(self.app.storage)
        if op == _OP_UPLOAD_BEGIN:
            status, payload = up.begin(data)
        elif op == _OP_UPLOAD_CHUNK:
            status, payload = up.chunk(data)
        elif op == _OP_UPLOAD_COMMIT:
            status, payload = up.commit(data)
            names = up.ready
            if names is not None:  # the upload's code goes before the files are checked
                up = None  # (the handler object holds its class, hence the module's code)
                self._drop_upload()
                self._respond(op, *self._install(names))
                return
        else:
            status, payload = up.settings(self.app, data)
        self._respond(op, status, payload)
        if not up.open:
            self._drop_upload()

    def _install(self, names):
        """A good COMMIT's staged files become the routine set (library.install), or are
        dropped: (status, payload)."""
        storage = self.app.storage
        new = [m for m in ("library", "routine") if not mods.loaded(m)]
        try:
            bad = mods.load("library").install(storage, names)
        except (OSError, MemoryError):
            bad = ""
        if bad is None:
            self.app.reload_routines()  # the new set's index (the loader's code goes: app.py)
            return ST_OK, None
        try:
            storage.stage_drop()
        except (OSError, MemoryError):
            pass
        mods.drop(*new, collect=False)
        return (ST_BAD_FILE, bad.encode()) if bad else (ST_STORAGE, None)

    # -- record stream (read.py, loaded per READ) ------------------------------------------

    _slot_i = 0  # read.py: the image index after the last frame's records

    def _end_frame(self, session, journal):
        """The stream is done (read.py): END (sealed), next_seq where the host resumes."""
        self._reading = False
        end = wire.pack(_END, _F_END, ST_OK, self._first, self._count, self._next,
                          self._crc & 0xFFFFFFFF, _epoch(journal) & 0xFFFFFFFF)
        counter = self._read_counter
        self._read_counter = None
        return session.seal(ANSWER_LABEL, counter, self._index, end, 1)

    def next_frame(self):
        """The next notification to send on the data characteristic (bytes, or a memoryview
        valid until the next call), or None."""
        if self._out:
            frame = self._out.pop(0)
            if type(frame) is tuple:  # an answer to seal: (frame, session, counter)
                try:
                    frame = frame[1].seal(ANSWER_LABEL, frame[2], 0, frame[0], _HEAD)
                except Exception:
                    frame = wire.pack(_RESP, _F_RESP, frame[0][1], _ST_INTERNAL)
            self.last_response = frame
            return frame
        announced = self.app.announced
        self._still_paired()
        if announced and self.authenticated:
            return self._status_frame(announced.pop(0))
        if self._reading:
            try:
                frame = mods.load("read").frame(self)  # (loaded by the READ, a lookup)
            except Exception:
                self._reading = False
                frame = wire.pack(_RESP, _F_RESP, _OP_READ, _ST_INTERNAL)
                self.last_response = frame
            if not self._reading:  # END made (or the stream stopped): its code goes
                mods.drop("read", collect=False)  # (the next collection frees it)
            return frame
        return None

    def _status_frame(self, announced):
        """One STATUS frame (docs/protocol.md "Status") in the buffer allocated once, from
        a tuple queued by the App's `announce()`, with the routine clock now."""
        from . import status as st  # loaded once a host follows

        event, routine_id, step, flags, next_s, base, frozen = announced
        if self._status is None:
            self._status = bytearray(st.STATUS_SIZE + TAG_SIZE)
        if frozen >= 0:
            pos = frozen
        elif base >= 0:
            pos = max(0, self.app.clock.now_ms() - base)
        else:
            pos = 0
        wire.pack_into(st.STATUS, self._status, 0, st.F_STATUS, event, step, flags,
                       routine_id, pos, next_s)
        session = self._session
        if session is None:
            return None
        session.seal_into(STATUS_LABEL, self._follow_counter, self._status_n,
                          self._status, 1, st.STATUS_SIZE)
        self._status_n = (self._status_n + 1) & 0xFFFF
        return self._status

    # -- routine upload ------------------------------------------------------------------

    def reset_upload(self):
        if self._upload is not None:
            self._upload.drop()
            self._drop_upload()

    def _drop_upload(self):
        """No upload open: the handler and its code go until the next upload request
        (core: mods.py; its names stay interned)."""
        self._upload = None
        mods.drop("upload")


def _seal():
    """seal.py (the MACs), loaded on the first authentication, not at boot. Its facts come
    from auth.py (the host records' code): that goes again at once; the keyring loads it
    per change (keyring.Keyring._auth)."""
    from . import seal

    mods.drop("auth", collect=False)
    return seal


def _epoch(journal):
    """The journal's epoch (random, made with the journal; docs/journal.md): the one place
    proto reads it."""
    return journal.epoch

