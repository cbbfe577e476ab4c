"""Pairing, host keys and sealed frames: protocol v3 (docs/protocol.md "Pairing" and
"Authentication", docs/security.md). Written once here; the host uses these same functions
through unknot.core, so the labels and message layouts below exist nowhere else.

Primitives and where their CPU goes on the board (docs/security.md "CPU budget"):
- X25519 (RFC 7748) in pure Python on big integers: two scalar multiplications per pairing
  (the device's ephemeral key, then the shared secret), nothing after pairing.
- SHA-256, only at pairing (the host's commitment, the pairing digest): `hashlib` where the
  board builds it, else the pure-Python `adafruit_hashlib` that `unknot device install` copies.
- AES-128 from CircuitPython's `aesio` (C; nordic full builds: CIRCUITPY_AESIO=1): AES-CMAC
  (RFC 4493) for every proof and tag, AES-CTR for every sealed payload. CPython and the
  MicroPython unix port get a stand-in module `aesio` (host/unknot/sim/aesio.py).
"""

from struct import pack, pack_into, unpack_from

import aesio

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


try:
    import hashlib

    sha256 = hashlib.sha256
except ImportError:  # CircuitPython without hashlib
    import adafruit_hashlib

    sha256 = adafruit_hashlib.sha256

HOST_ID_SIZE = const(8)
KEY_SIZE = const(16)
NONCE_SIZE = const(16)
PUBLIC_SIZE = const(32)  # an X25519 public key
COMMIT_SIZE = const(32)  # SHA-256 of the host's public key and nonce
PROOF_SIZE = const(16)  # a full AES-CMAC
TAG_SIZE = const(8)  # the truncated AES-CMAC every sealed frame carries
BLIND_SIZE = const(8)  # the host's blinded id in AUTH_BEGIN
SECRET_SIZE = const(16)  # the device secret paired hosts hold (docs/security.md)
NAME_SIZE = const(8)  # a host's name on the device (UTF-8, zero padded)
MAX_HOSTS = const(4)  # host keys the device keeps; a fifth consent evicts the oldest
PAIR_WINDOW_MS = const(60000)  # the window closes after one pairing attempt or this long
CONSENT_MS = const(60000)  # the device waits this long for the wearer's press
LOCKOUT_MS = const(60000)  # no new window this long after an attempt the wearer did not confirm
SAS_DIGITS = const(3)  # the short authentication string: 3 numbers of 1..SAS_BASE taps
SAS_BASE = const(5)  # 5**3 = 125 values: a relay's one guess wins with p = 0.8 %

# The stored host section (in front of the settings lines in the nvm image, docs/security.md):
HOSTS_MAGIC = const(0xA3)
HOSTS_HEAD = "<BBI16s"  # magic, count, last imported USB key file id, device secret
HOSTS_HEAD_SIZE = const(22)
HOST_RECORD = "<8s16s8sI"  # host id, key, name, paired at (unix s, 0 = clock unset)
HOST_RECORD_SIZE = const(36)
# The USB key file (drive root): one record, imported once (its id is remembered).
KEY_FILE = "unknot-host.key"
KEY_FILE_FORMAT = "<4sI8s16s"  # magic, import id (random, not 0), host id, key
KEY_FILE_SIZE = const(32)
KEY_FILE_MAGIC = b"UNK3"

# Labels: the first bytes of each hashed or MACed message (docs/protocol.md).
COMMIT_LABEL = b"unknot3 commit"  # SHA-256(label | host public | host nonce)
PAIR_LABEL = b"unknot3 pair"  # SHA-256(label | shared | host public | device public | Nh | Nd)
ID_LABEL = b"unknot3 id"  # blinded host id: CMAC(key, label | Nh)[0:8]
DEVICE_LABEL = b"unknot3 device"  # device proof: CMAC(key, label | Nh | Nd | INFO)
HOST_LABEL = b"unknot3 host"  # host proof: CMAC(key, label | Nh | Nd)
ENC_LABEL = b"unknot3 enc"  # session encryption key: CMAC(key, label | Nh | Nd)
MAC_LABEL = b"unknot3 mac"  # session MAC key: CMAC(key, label | Nh | Nd)
REQUEST_LABEL = const(0x48)  # "H": sealed request (host to device)
ANSWER_LABEL = const(0x44)  # "D": sealed answer (RESP, DATA, END)
STATUS_LABEL = const(0x53)  # "S": sealed STATUS frame
SEAL = "<BIH"  # label, counter, index: the first 7 bytes of a tag's message and of the IV
SEAL_SIZE = const(7)
AUTH_COUNTER = const(0xFFFFFFFF)  # the counter of the AUTH answer (requests start at 0)

_P = 2**255 - 19
_A24 = const(121665)
BASE_POINT = b"\x09" + bytes(31)
_ZERO16 = bytes(16)
_SCRATCH = const(272)  # largest frame (244) + SEAL_SIZE, rounded up to AES blocks


# -- X25519 (RFC 7748) --------------------------------------------------------------------


def x25519(scalar, u):
    """X25519(scalar, u): 32 bytes. Montgomery ladder on Python big integers."""
    k = bytearray(scalar)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    n = int.from_bytes(bytes(k), "little")
    x1 = int.from_bytes(bytes(u), "little") & ((1 << 255) - 1)
    p = _P
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    for t in range(254, -1, -1):
        b = (n >> t) & 1
        if swap ^ b:
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = b
        a = x2 + z2
        aa = a * a % p
        c = x2 - z2
        bb = c * c % p
        e = aa - bb
        d = (x3 - z3) * a % p
        cb = (x3 + z3) * c % p
        x3 = (d + cb) * (d + cb) % p
        z3 = x1 * ((d - cb) * (d - cb) % p) % p
        x2 = aa * bb % p
        z2 = e * (aa + _A24 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


def keypair():
    """(secret, public) of a fresh X25519 key (os.urandom: the nRF52840's RNG)."""
    secret = random(32)
    return secret, x25519(secret, BASE_POINT)


def commitment(public, nonce):
    """The host's commitment to its public key and nonce (sent before it sees the device's)."""
    return sha256(COMMIT_LABEL + bytes(public) + bytes(nonce)).digest()


def pair_digest(shared, host_public, device_public, host_nonce, device_nonce):
    """(key, host id, SAS) of a pairing: one SHA-256 over the shared secret and the whole
    transcript. key = d[0:16], host id = d[16:24], SAS from u32 d[24:28] mod 125 as three
    numbers 1..5 (docs/protocol.md "Pairing")."""
    d = sha256(PAIR_LABEL + bytes(shared) + bytes(host_public) + bytes(device_public)
               + bytes(host_nonce) + bytes(device_nonce)).digest()
    return d[0:KEY_SIZE], d[16:24], sas_digits(unpack_from("<I", d, 24)[0])


def sas_digits(value):
    """The SAS as a tuple of SAS_DIGITS numbers 1..SAS_BASE (most significant first)."""
    n = value % (SAS_BASE**SAS_DIGITS)
    out = []
    for _ in range(SAS_DIGITS):
        out.insert(0, n % SAS_BASE + 1)
        n //= SAS_BASE
    return tuple(out)


# -- AES-CMAC (RFC 4493) and AES-CTR on aesio ---------------------------------------------


def _dbl(block):
    out = bytearray(16)
    carry = 0
    for i in range(15, -1, -1):
        v = (block[i] << 1) | carry
        out[i] = v & 0xFF
        carry = v >> 8
    if carry:
        out[15] ^= 0x87
    return out


class Cmac:
    """AES-CMAC under one 16-byte key: the subkeys made once, a scratch buffer reused."""

    def __init__(self, key):
        self.key = bytes(key)
        aes = aesio.AES(self.key, aesio.MODE_ECB)
        lk = bytearray(16)
        aes.encrypt_into(_ZERO16, lk)
        self.k1 = _dbl(lk)
        self.k2 = _dbl(self.k1)
        self._buf = bytearray(_SCRATCH)
        self._out = bytearray(_SCRATCH)

    def mac(self, *parts):
        """CMAC of the concatenated parts: 16 bytes."""
        n = 0
        for part in parts:
            n += len(part)
        size = max(16, (n + 15) & ~15)
        if size > len(self._buf):
            self._buf = bytearray(size)
            self._out = bytearray(size)
        buf = self._buf
        at = 0
        for part in parts:
            buf[at : at + len(part)] = part
            at += len(part)
        last = size - 16
        if n == size:
            sub = self.k1
        else:
            sub = self.k2
            buf[n] = 0x80
            for i in range(n + 1, size):
                buf[i] = 0
        for i in range(16):
            buf[last + i] ^= sub[i]
        out = self._out
        aesio.AES(self.key, aesio.MODE_CBC, _ZERO16).encrypt_into(
            memoryview(buf)[:size], memoryview(out)[:size])
        return bytes(out[last:size])


def cmac(key, *parts):
    return Cmac(key).mac(*parts)


def blind(key, host_nonce):
    """The host's blinded id for AUTH_BEGIN: only a device holding the key can tell who."""
    return cmac(key, ID_LABEL, host_nonce)[0:BLIND_SIZE]


def device_proof(key, host_nonce, device_nonce, info):
    """The device's proof: covers both nonces and INFO (device id, firmware)."""
    return cmac(key, DEVICE_LABEL, host_nonce, device_nonce, info)


def host_proof(key, host_nonce, device_nonce):
    return cmac(key, HOST_LABEL, host_nonce, device_nonce)


class Session:
    """The keys of one authenticated connection (or of one pairing attempt, under the new
    key): AES-CTR for payloads, AES-CMAC tags. A frame is `head | payload | tag`: the head
    (frame type / op bytes) stays clear, the payload is encrypted, the tag covers both."""

    def __init__(self, key, host_nonce, device_nonce):
        k = Cmac(key)
        self.enc = k.mac(ENC_LABEL, host_nonce, device_nonce)
        self.mac = Cmac(k.mac(MAC_LABEL, host_nonce, device_nonce))
        self._iv = bytearray(16)
        self._prefix = bytearray(SEAL_SIZE)

    def _crypt(self, label, counter, index, view):
        if len(view):
            pack_into(SEAL, self._iv, 0, label, counter & 0xFFFFFFFF, index)
            aesio.AES(self.enc, aesio.MODE_CTR, self._iv).encrypt_into(view, view)

    def _tag(self, label, counter, index, frame):
        pack_into(SEAL, self._prefix, 0, label, counter & 0xFFFFFFFF, index)
        return self.mac.mac(self._prefix, frame)[0:TAG_SIZE]

    def seal_into(self, label, counter, index, buf, head, n):
        """Seal buf[0:n] in place (buf[head:n] encrypted) and write the tag at buf[n:n+8]."""
        view = memoryview(buf)
        self._crypt(label, counter, index, view[head:n])
        buf[n : n + TAG_SIZE] = self._tag(label, counter, index, view[:n])

    def seal(self, label, counter, index, frame, head):
        """A sealed copy of `frame` (bytes): head clear, the rest encrypted, tag appended."""
        buf = bytearray(len(frame) + TAG_SIZE)
        buf[0 : len(frame)] = frame
        self.seal_into(label, counter, index, buf, head, len(frame))
        return bytes(buf)

    def open(self, label, counter, index, data, head):
        """The frame without its tag, decrypted (a bytearray), or None if the tag is wrong."""
        n = len(data) - TAG_SIZE
        if n < head:
            return None
        view = memoryview(data)
        if not same(self._tag(label, counter, index, view[:n]), view[n:]):
            return None
        body = bytearray(view[:n])
        self._crypt(label, counter, index, memoryview(body)[head:])
        return body


def same(a, b):
    """Compare two byte strings in time independent of where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0


def random(n):
    """n random bytes (os.urandom: the nRF52840's hardware RNG on the board)."""
    from os import urandom

    return urandom(n)


def nonce():
    return random(NONCE_SIZE)


# -- stored form ----------------------------------------------------------------------------


def pad_name(name):
    raw = bytes(name)[0:NAME_SIZE]
    return raw + bytes(NAME_SIZE - len(raw))


def encode_hosts(hosts, usb_id=0, secret=None):
    """The stored host section: HOSTS_HEAD, then one HOST_RECORD per host (oldest first).
    `hosts` are lists [host id, key, name, paired at, last seen]; last seen is not stored
    (it lives in RAM since the device's last start)."""
    out = bytearray(HOSTS_HEAD_SIZE + HOST_RECORD_SIZE * len(hosts))
    pack_into(HOSTS_HEAD, out, 0, HOSTS_MAGIC, len(hosts), usb_id, secret or _ZERO16)
    at = HOSTS_HEAD_SIZE
    for h in hosts:
        pack_into(HOST_RECORD, out, at, h[0], h[1], pad_name(h[2]), h[3])
        at += HOST_RECORD_SIZE
    return bytes(out)


def decode_hosts(blob):
    """(hosts, usb id, device secret or None, rest of the blob). A blob without a v3 host
    section (e.g. protocol v2's, whose keys crossed the air in the clear) gives no hosts,
    and the bytes after a v2 section (its count byte and 24-byte records) as the rest."""
    blob = bytes(blob)
    if not blob:
        return [], 0, None, b""
    if blob[0] != HOSTS_MAGIC or len(blob) < HOSTS_HEAD_SIZE:
        n = blob[0]
        if n <= MAX_HOSTS and len(blob) >= 1 + 24 * n:  # v2: dropped, re-pair
            return [], 0, None, blob[1 + 24 * n :]
        return [], 0, None, blob
    _, n, usb_id, secret = unpack_from(HOSTS_HEAD, blob, 0)
    end = HOSTS_HEAD_SIZE + n * HOST_RECORD_SIZE
    if n > MAX_HOSTS or len(blob) < end:
        return [], 0, None, blob
    hosts = []
    for i in range(n):
        hid, key, name, paired = unpack_from(HOST_RECORD, blob, HOSTS_HEAD_SIZE + i * HOST_RECORD_SIZE)
        hosts.append([hid, key, name.rstrip(b"\x00"), paired, 0])
    if secret == _ZERO16:
        secret = None
    return hosts, usb_id, secret, blob[end:]


def parse_key_file(data):
    """(import id, host id, key) of a KEY_FILE, or None for anything else."""
    data = bytes(data)
    if len(data) != KEY_FILE_SIZE:
        return None
    magic, import_id, host_id, key = unpack_from(KEY_FILE_FORMAT, data, 0)
    if magic != KEY_FILE_MAGIC or import_id == 0:
        return None
    return import_id, host_id, key


def key_file(import_id, host_id, key):
    return pack(KEY_FILE_FORMAT, KEY_FILE_MAGIC, import_id, host_id, key)
