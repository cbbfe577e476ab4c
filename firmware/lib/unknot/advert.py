"""The advertisement's "something new" value (docs/protocol.md "Advertisement").

The device advertises, in a manufacturer-specific AD structure, a 4-byte tag over (its
journal head and epoch, a random 12-bit counter drawn anew at each change): an AES-CMAC
keyed by the device secret that only paired hosts hold (made at the first pairing, sent in
the sealed AUTH answer; docs/security.md). A paired laptop scanning passively computes the
tag for the head it last synced: a match means nothing new, a match one or more records
further means new sessions, so it connects only then. A stranger sees a value that changes
with every new session and every ROTATE_MS, and can neither read the head from it nor
follow the device by it.

Everything here is written once: the firmware adapters (hw/ble.py, the simulated
peripheral) build the payload with `Advert`, and the host (unknot.ble.advert) checks it with
`tag` through unknot.core.
"""

from struct import pack, pack_into, unpack_from

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


_VERSION = const(2)  # the payload's format version (top 4 bits of the counter field)
_COMPANY = const(0xFFFF)  # Bluetooth SIG company id "for testing" (no id is assigned to us)
AD_TYPE = const(0xFF)  # manufacturer-specific data
_PAYLOAD = const("<HHI")  # company id, version << 12 | counter, tag: after the AD length and type
PAYLOAD_SIZE = const(8)
_TAG_SIZE = const(4)
_COUNTER_MASK = const(0x0FFF)
_ROTATE_MS = const(900000)  # a new counter (so a new tag) at least every 15 min
_LABEL = const(b"unknot adv")  # CMAC message: LABEL | counter u16 | head u32 | epoch u32
_MSG = const("<HI")
_KEY_SIZE = const(16)  # the device secret (auth.SECRET_SIZE); an epoch u32 follows in `secret`


def secret(device_secret, epoch):
    """The one derivation of the tag's key material, used by the device and by a paired
    host: the device secret (16 bytes, the CMAC key) and the journal epoch (u32, covered
    by the tag: a new journal is "unknown", not "same", to a host that synced the old)."""
    return bytes(device_secret) + pack("<I", epoch & 0xFFFFFFFF)


def secret_of(app):
    """The device's side: the key material of its tags now, None while no host is paired
    (no device secret: the tag is then random)."""
    s = app.keyring.secret
    return None if s is None else secret(s, app.journal.epoch)


def tag(secret, counter, head):
    """The 4-byte tag of (counter, head) under `secret` (from `secret()`): AES-CMAC
    (seal.cmac, on aesio) of LABEL | counter u16 | head u32 | epoch u32."""
    from . import mods

    new = [m for m in ("seal", "auth") if not mods.loaded(m)]  # (seal imports auth)
    t = mods.load("seal").cmac(secret[0:_KEY_SIZE], _LABEL,
                               pack(_MSG, counter & _COUNTER_MASK, head), secret[_KEY_SIZE:])
    if new:  # idle between connections: the session loads them again
        mods.drop(*new)
    return t[0:_TAG_SIZE]


def parse(payload):
    """(version, counter, tag) of a manufacturer-data payload after its company id, or None
    when it is not ours (the host passes what follows the company id)."""
    if len(payload) != PAYLOAD_SIZE - 2:
        return None
    field = unpack_from("<H", payload, 0)[0]
    return field >> 12, field & _COUNTER_MASK, bytes(payload[2:])


class Advert:
    """The payload (`data`, PAYLOAD_SIZE bytes, allocated once), recomputed with a fresh
    random counter when the head changes or the rotation is due (a counter that counted up
    would itself be a handle to follow the device by). `update()` says whether it changed
    (the adapter then restarts advertising with it); `due_ms` is when it must next be
    asked."""

    def __init__(self):
        self.data = bytearray(PAYLOAD_SIZE)
        self.counter = 0
        self.head = None
        self.due_ms = None
        self.updates = 0  # how many tags were computed (each one AES-CMAC)

    def due(self, head, now_ms, busy=False):
        """Whether `update` would make a new tag now (the caller then derives the key)."""
        return not (self.head == head and self.due_ms is not None
                    and (now_ms < self.due_ms or busy))

    def update(self, secret, head, now_ms, busy=False):
        """`busy`: a routine is playing; a rotation then waits for its end (a tag is a few
        ms of CPU on the board, aesio and the seal module's load: a cue need not wait for
        it). A new head is never a routine in progress: its tag is made at once. `secret`
        None (no host paired): a random tag, which no one can read anything from."""
        if not self.due(head, now_ms, busy):
            return False
        from os import urandom  # the nRF52840's hardware RNG on the board

        counter = unpack_from("<H", urandom(2), 0)[0] & _COUNTER_MASK
        if counter == self.counter:
            counter = (counter + 1) & _COUNTER_MASK  # never the same tag twice in a row
        self.counter = counter
        self.head = head
        self.due_ms = now_ms + _ROTATE_MS
        t = urandom(_TAG_SIZE) if secret is None else tag(secret, counter, head)
        pack_into(_PAYLOAD, self.data, 0, _COMPANY, _VERSION << 12 | counter,
                  unpack_from("<I", t, 0)[0])
        self.updates += 1
        return True
