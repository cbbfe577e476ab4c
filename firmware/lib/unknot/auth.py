"""Host keys and their proofs (docs/protocol.md "Authentication", docs/security.md).

A host (a laptop the wearer consented to) holds a 16-byte key that the device keeps in its
power-safe nvm store, under an 8-byte host id. Every proof is HMAC-SHA256 (RFC 2104), written
here once; the host (unknot.ble.auth) uses these same functions through unknot.core, so the
labels and message layouts below exist nowhere else.

SHA-256 and HMAC-SHA256 come from unknot.sha256: the board's `hashlib` where CircuitPython
builds it (nRF52840 from 10.1.0), else the firmware's own compact SHA-256 (16-bit halves,
HMAC key states kept per key).
"""

from struct import pack

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


from .sha256 import hmac_sha256, sha256  # noqa: F401 (the primitives, used as auth.*)

HOST_ID_SIZE = const(8)
KEY_SIZE = const(16)
NONCE_SIZE = const(16)
PROOF_SIZE = const(32)
TAG_SIZE = const(8)  # truncated HMAC carried by every authenticated frame
MAX_HOSTS = const(4)  # host keys the device keeps; a fifth consent evicts the oldest
PAIR_WINDOW_MS = const(60000)  # the pairing window closes after one new host or this long
HOST_RECORD = "<8s16s"  # host id, key: one stored host, and one entry of KEY_FILE
HOST_RECORD_SIZE = const(24)
KEY_FILE = "unknot-host.key"  # USB consent: drive root, imported into nvm at boot, deleted

# Labels: the first bytes of each HMAC message (docs/protocol.md "Authentication").
DEVICE_LABEL = b"unknot2 device"  # device proof: label | Nh | Nd | STATE
HOST_LABEL = b"unknot2 host"  # host proof: label | Nh | Nd
SESSION_LABEL = b"unknot2 session"  # session key: label | Nh | Nd
REQUEST_LABEL = b"H"  # request tag: label | counter u32 | request bytes
ANSWER_LABEL = b"D"  # answer tag: label | counter u32 | answer frame bytes

def device_proof(key, host_nonce, device_nonce, status):
    return hmac_sha256(key, DEVICE_LABEL + bytes(host_nonce) + bytes(device_nonce) + bytes(status))


def host_proof(key, host_nonce, device_nonce):
    return hmac_sha256(key, HOST_LABEL + bytes(host_nonce) + bytes(device_nonce))


def session_key(key, host_nonce, device_nonce):
    return hmac_sha256(key, SESSION_LABEL + bytes(host_nonce) + bytes(device_nonce))


def tag(session, label, counter, frame):
    """The TAG_SIZE-byte tag of one authenticated frame."""
    return hmac_sha256(session, label + pack("<I", counter & 0xFFFFFFFF) + bytes(frame))[
        0:TAG_SIZE
    ]


def same(a, b):
    """Compare two byte strings in time independent of where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0


def nonce():
    """NONCE_SIZE random bytes (os.urandom: the nRF52840's hardware RNG on the board)."""
    from os import urandom

    return urandom(NONCE_SIZE)


def encode_hosts(hosts):
    """The stored form of a list of (host id, key): a count byte, then HOST_RECORDs."""
    out = bytearray([len(hosts)])
    for host_id, key in hosts:
        out += bytes(host_id) + bytes(key)
    return bytes(out)


def decode_hosts(blob):
    """(list of (host id, key), bytes after the host section) from a stored blob; a blob
    without a valid host section gives no hosts and the whole blob back."""
    blob = bytes(blob)
    if not blob:
        return [], b""
    n = blob[0]
    end = 1 + n * HOST_RECORD_SIZE
    if n > MAX_HOSTS or len(blob) < end:
        return [], blob
    hosts = []
    for i in range(n):
        at = 1 + i * HOST_RECORD_SIZE
        mid = at + HOST_ID_SIZE
        hosts.append((blob[at:mid], blob[mid : at + HOST_RECORD_SIZE]))
    return hosts, blob[end:]


def parse_key_file(data):
    """(host id, key) entries of a KEY_FILE (concatenated HOST_RECORDs); junk is ignored."""
    data = bytes(data)
    out = []
    for at in range(0, len(data) - HOST_RECORD_SIZE + 1, HOST_RECORD_SIZE):
        out.append((data[at : at + HOST_ID_SIZE], data[at + HOST_ID_SIZE : at + HOST_RECORD_SIZE]))
    return out


class Keyring:
    """The hosts the wearer consented to, oldest first, and the pairing window.

    `clock.now_ms()` times the window; `save()` (optional) persists `hosts` (the App writes
    them into its power-safe store, encode_hosts); `play(cue)` (optional) buzzes."""

    def __init__(self, clock, save=None, play=None):
        self.clock = clock
        self.hosts = []
        self.pair_until = None  # ms deadline of the open pairing window
        self._save = save
        self._play = play

    def _buzz(self, cue):
        if self._play is not None:
            self._play(cue)

    def key(self, host_id):
        """The key of a paired host, or None."""
        for hid, key in self.hosts:
            if same(hid, host_id):
                return key
        return None

    def keep(self, host_id, key):
        """Add or replace a host (not saved): the oldest goes beyond MAX_HOSTS."""
        hosts = [h for h in self.hosts if bytes(h[0]) != bytes(host_id)]
        hosts.append((bytes(host_id), bytes(key)))
        self.hosts = hosts[-MAX_HOSTS:]

    def pairing(self):
        """True while the pairing window is open."""
        until = self.pair_until
        if until is not None and self.clock.now_ms() >= until:
            self.pair_until = until = None
        return until is not None

    def open(self):
        self.pair_until = self.clock.now_ms() + PAIR_WINDOW_MS
        self._buzz("pair_open")

    def add(self, host_id, key):
        """A new host inside the window: keep and save its key, close the window, buzz."""
        old = self.hosts
        self.keep(host_id, key)
        if self._save is not None:
            try:
                self._save()
            except ValueError:  # the store is full: nothing changes
                self.hosts = old
                raise
        self.pair_until = None
        self._buzz("pair_ok")

    def forget(self):
        """Clear every host key (`unknot device forget` or the 10 s hold)."""
        self.hosts = []
        self.pair_until = None
        if self._save is not None:
            self._save()
        self._buzz("forget")
