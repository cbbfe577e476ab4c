"""Host keys and the facts of protocol v3's proofs and sealed frames: sizes, labels, the
stored host section, the USB key file (docs/protocol.md "Authentication", "Sealed frames";
docs/security.md). Written once here; the host uses them through unknot.core, so the labels
and message layouts below exist nowhere else. The MACs and the sealing (AES-CMAC, AES-CTR)
are seal.py, loaded on the first connection that authenticates; the key
agreement itself (X25519, the SHA-256 digests) is pairing.py, loaded only when a pairing
starts; its SHA-256 is unknot.sha256 (the board's `hashlib` where CircuitPython builds it,
nRF52840 from 10.1.0, else the firmware's own compact SHA-256), not loaded at boot.

The host records' code the keyring (keyring.py) calls -- `load`, `encode`, `find`,
`keep`, `import_usb`, each with the Keyring first -- is here too: this module is
not resident, it is loaded for one change and dropped after (keyring.Keyring._auth). A
connection does not hold it: proto, seal and pairing import its facts by value and it is
dropped right after (hw/ble.py, proto._seal); the device's randomness is keyring.random,
the constant-time compare seal.same.

AES-128 comes from CircuitPython's `aesio` (C; nordic full builds: CIRCUITPY_AESIO = 1):
AES-CMAC (RFC 4493) for every proof and tag, AES-CTR for every sealed payload. CPython and
the MicroPython unix port get a stand-in module `aesio` (host/unknot/sim/aesio.py).
"""

from . import wire

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


_HOST_ID_SIZE = const(8)
KEY_SIZE = const(16)
_PUBLIC_SIZE = const(32)  # an X25519 public key
_COMMIT_SIZE = const(32)  # SHA-256 of the host's public key and nonce
_PROOF_SIZE = const(16)  # a full AES-CMAC
TAG_SIZE = const(8)  # the truncated AES-CMAC every sealed frame carries
BLIND_SIZE = const(8)  # the host's blinded id in AUTH_BEGIN
_NAME_SIZE = const(8)  # a host's name on the device (UTF-8, zero padded)
_MAX_HOSTS = const(4)  # host keys the device keeps; a fifth consent evicts the oldest
SAS_DIGITS = const(3)  # the short authentication string: 3 numbers of 1..SAS_BASE taps
SAS_BASE = const(5)  # 5**3 = 125 values: a relay's one guess wins with p = 0.8 %

# The stored host section (in front of the settings lines in the nvm image, docs/security.md):
_HOSTS_MAGIC = const(0xA3)
_HOSTS_HEAD = const("magic:B count:B usb_id:I secret:16s")  # usb_id: the last key file imported
_HOSTS_HEAD_SIZE = const(22)
_HOST_RECORD = const("host_id:8s key:16s name:8s paired:I")  # paired: unix s (0: clock unset)
_HOST_RECORD_SIZE = const(36)
# The USB key file (drive root): one record, imported once (its id is remembered).
KEY_FILE = "unknot-host.key"
_KEY_FILE_RECORD = const("magic:4s import_id:I host_id:8s key:16s")  # import id: random, not 0
_KEY_FILE_RECORD_SIZE = const(32)
_KEY_FILE_MAGIC = const(b"UNK3")

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
SEAL = "label:B counter:I index:H"  # the first 7 bytes of a tag's message and of the IV
SEAL_SIZE = const(7)
AUTH_COUNTER = const(0xFFFFFFFF)  # the counter of the AUTH answer (requests start at 0)

_ZERO16 = bytes(16)


# -- stored form ----------------------------------------------------------------------------


def pad_name(name):
    raw = bytes(name)[0:_NAME_SIZE]
    return raw + bytes(_NAME_SIZE - len(raw))


def encode_hosts(hosts, usb_id=0, secret=None):
    """The stored host section: HOSTS_HEAD, then one HOST_RECORD per host (oldest first).
    `hosts` are lists [host id, key, name, paired at, last seen]; last seen is not stored
    (it lives in RAM since the device's last start)."""
    out = bytearray(_HOSTS_HEAD_SIZE + _HOST_RECORD_SIZE * len(hosts))
    wire.pack_into(_HOSTS_HEAD, out, 0, _HOSTS_MAGIC, len(hosts), usb_id, secret or _ZERO16)
    at = _HOSTS_HEAD_SIZE
    for h in hosts:
        wire.pack_into(_HOST_RECORD, out, at, h[0], h[1], pad_name(h[2]), h[3])
        at += _HOST_RECORD_SIZE
    return bytes(out)


def decode_hosts(blob):
    """(hosts, usb id, device secret or None, rest of the blob). A blob without a v3 host
    section (e.g. protocol v2's, whose keys crossed the air in the clear) gives no hosts,
    and the bytes after a v2 section (its count byte and 24-byte records) as the rest."""
    blob = bytes(blob)
    if not blob:
        return [], 0, None, b""
    if blob[0] != _HOSTS_MAGIC or len(blob) < _HOSTS_HEAD_SIZE:
        n = blob[0]
        if n <= _MAX_HOSTS and len(blob) >= 1 + 24 * n:  # v2: dropped, re-pair
            return [], 0, None, blob[1 + 24 * n :]
        return [], 0, None, blob
    _, n, usb_id, secret = wire.unpack(_HOSTS_HEAD, blob, 0)
    end = _HOSTS_HEAD_SIZE + n * _HOST_RECORD_SIZE
    if n > _MAX_HOSTS or len(blob) < end:
        return [], 0, None, blob
    hosts = []
    for i in range(n):
        at = _HOSTS_HEAD_SIZE + i * _HOST_RECORD_SIZE
        hid, key, name, paired = wire.unpack(_HOST_RECORD, blob, at)
        hosts.append([hid, key, name.rstrip(b"\x00"), paired, 0])
    if secret == _ZERO16:
        secret = None
    return hosts, usb_id, secret, blob[end:]


def parse_key_file(data):
    """(import id, host id, key) of a KEY_FILE, or None for anything else."""
    data = bytes(data)
    if len(data) != _KEY_FILE_RECORD_SIZE:
        return None
    magic, import_id, host_id, key = wire.unpack(_KEY_FILE_RECORD, data, 0)
    if magic != _KEY_FILE_MAGIC or import_id == 0:
        return None
    return import_id, host_id, key


def key_file(import_id, host_id, key):
    return wire.pack(_KEY_FILE_RECORD, _KEY_FILE_MAGIC, import_id, host_id, key)


# -- the keyring's host records (keyring.Keyring delegates here) ----------------------------


def load(ring, blob):
    """Hosts from a stored blob into `ring`; returns the rest of it (the settings lines)."""
    ring.hosts, ring.usb_id, ring.secret, rest = decode_hosts(blob)
    return rest


def encode(ring):
    return encode_hosts(ring.hosts, ring.usb_id, ring.secret)


def find(ring, host_id):
    for h in ring.hosts:
        if bytes(h[0]) == bytes(host_id):  # a stored id, not a secret (keep compares so too)
            return h
    return None


def keep(ring, host_id, key, name, paired):
    """Add or replace a host (not saved): the oldest goes beyond _MAX_HOSTS."""
    hosts = [h for h in ring.hosts if bytes(h[0]) != bytes(host_id)]
    hosts.append([bytes(host_id), bytes(key), bytes(name), paired, 0])
    ring.hosts = hosts[-_MAX_HOSTS:]


def import_usb(ring, data):
    entry = parse_key_file(data)
    if entry is None or entry[0] == ring.usb_id:
        return False
    ring.usb_id = entry[0]
    ring.keep(entry[1], entry[2], b"usb", ring._unix())  # (the device secret made there)
    ring._persist()
    return True
