"""The advertisement's "something new" value (docs/protocol.md "Advertisement").

The device advertises, in a manufacturer-specific AD structure, a 4-byte tag over (its
journal head, a random 12-bit counter drawn anew at each change) keyed by a secret that
only paired hosts hold. A paired laptop scanning passively computes the tag for the head
it last synced: a match means nothing new, a match one or more records further means new
sessions, so it connects only then. A stranger sees a value that changes with every new
session and every ROTATE_MS, and can neither read the head from it nor follow the device by
it.

Everything here is written once: the firmware adapters (hw/ble.py, the simulated
peripheral) build the payload with `Advert`, and the host (unknot.ble.advert) checks it with
`tag` through unknot.core.
"""

from struct import pack, pack_into, unpack_from

from .auth import hmac_sha256

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


VERSION = const(1)  # the payload's format version (top 4 bits of the counter field)
COMPANY = const(0xFFFF)  # Bluetooth SIG company id "for testing" (no id is assigned to us)
AD_TYPE = const(0xFF)  # manufacturer-specific data
PAYLOAD = "<HHI"  # company id, version << 12 | counter, tag: after the AD length and type
PAYLOAD_SIZE = const(8)
TAG_SIZE = const(4)
COUNTER_MASK = const(0x0FFF)
ROTATE_MS = const(900000)  # a new counter (so a new tag) at least every 15 min
LABEL = b"unknot adv"  # HMAC message: LABEL | counter u16 | head u32
_MSG = "<HI"


def secret(epoch):
    """The one derivation of the tag's key, used by the device and by a paired host: from
    the journal epoch (random, made with the journal, sent only to authenticated hosts in
    STATE) until the device keeps a secret every paired host holds (issue 17's
    device_secret: then this takes that secret, and `secret_of` passes it)."""
    return pack("<I", epoch & 0xFFFFFFFF)


def secret_of(app):
    """The device's side: the key of its tags now."""
    return secret(app.journal.epoch)


def tag(secret, counter, head):
    """The 4-byte tag of (counter, head) under `secret` (bytes)."""
    return hmac_sha256(secret, LABEL + pack(_MSG, counter & COUNTER_MASK, head))[:TAG_SIZE]


def parse(payload):
    """(version, counter, tag) of a manufacturer-data payload after its company id, or None
    when it is not ours (the host passes what follows the company id)."""
    if len(payload) != PAYLOAD_SIZE - 2:
        return None
    field = unpack_from("<H", payload, 0)[0]
    return field >> 12, field & COUNTER_MASK, bytes(payload[2:])


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
        self.updates = 0  # how many tags were computed (each one HMAC-SHA256)

    def due(self, head, now_ms, busy=False):
        """Whether `update` would make a new tag now (the caller then derives the key)."""
        return not (self.head == head and self.due_ms is not None
                    and (now_ms < self.due_ms or busy))

    def update(self, secret, head, now_ms, busy=False):
        """`busy`: a routine is playing; a rotation then waits for its end (a tag is about
        0.6 s of CPU on the board with the pure-Python SHA-256: a cue must not wait for it).
        A new head is never a routine in progress: its tag is made at once."""
        if not self.due(head, now_ms, busy):
            return False
        from os import urandom  # the nRF52840's hardware RNG on the board

        counter = unpack_from("<H", urandom(2), 0)[0] & COUNTER_MASK
        if counter == self.counter:
            counter = (counter + 1) & COUNTER_MASK  # never the same tag twice in a row
        self.counter = counter
        self.head = head
        self.due_ms = now_ms + ROTATE_MS
        pack_into(PAYLOAD, self.data, 0, COMPANY, VERSION << 12 | counter,
                  unpack_from("<I", tag(secret, counter, head), 0)[0])
        self.updates += 1
        return True
