"""Session journal in non-volatile memory (record format: docs/journal.md; layout and
power-cut guarantees: docs/firmware.md "Non-volatile memory").

Ring of S slots of 20 bytes; record `seq` always lives in slot `seq % S`. At most S-1 records
are live (seq in [head-(S-1), head)), so the slot a new record goes to only ever holds a
record that is already dead: a power cut during a write can only lose the record being
written. On boot head/tail are recovered by scanning the slots for valid CRCs.

`Store` is a small power-safe area (two copies, each with generation and CRC) for the boot
counter and persisted settings.
"""

from struct import pack, pack_into, unpack_from

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from .crc import crc32

# The session record (docs/journal.md), defined here only: the firmware proto, the host
# (unknot.journal, unknot.ble.session, through unknot.core) and the tests import these.
RECORD_BODY = "<IIHBBHBB"  # seq, start, routine_id, steps_done, steps_total, active_s, flags, boot
RECORD_CRC = "<I"  # crc32 of the body, at CRC_SPAN
RECORD = RECORD_BODY + RECORD_CRC[1:]
RECORD_SIZE = const(20)
CRC_SPAN = const(16)  # the crc32 covers bytes [0:16]
# A synced record is bytes [4:16]: the body without seq (implied by the stream's first seq);
# the CRC is per stream (docs/protocol.md).
WIRE_RECORD = "<" + RECORD_BODY[2:]
WIRE_START = const(4)
WIRE_RECORD_SIZE = const(12)
EMPTY_SEQ = const(0xFFFFFFFF)  # an erased slot; seq 0 is never used either

# Record flags.
COMPLETED = const(0x01)
ABORTED = const(0x02)
CLOCK_UNSET = const(0x04)
FROM_NUDGE = const(0x08)


def pack_record(seq, start, routine_id, steps_done, steps_total, active_s, flags, boot):
    """The 20-byte record (values are clamped to their field sizes)."""
    buf = bytearray(RECORD_SIZE)
    pack_into(
        RECORD_BODY, buf, 0,
        seq & 0xFFFFFFFF, start & 0xFFFFFFFF, routine_id & 0xFFFF,
        min(steps_done, 255), min(steps_total, 255), min(active_s, 0xFFFF),
        flags & 0xFF, boot & 0xFF,
    )
    pack_into(RECORD_CRC, buf, CRC_SPAN, crc32(memoryview(buf)[0:CRC_SPAN]) & 0xFFFFFFFF)
    return bytes(buf)


def unpack_record(b):
    """(seq, start, routine_id, steps_done, steps_total, active_s, flags, boot), or None when
    `b` is not a valid record (wrong size, CRC mismatch, seq 0 or 0xFFFFFFFF)."""
    if len(b) != RECORD_SIZE:
        return None
    fields = unpack_from(RECORD, b, 0)
    if crc32(bytes(b[0:CRC_SPAN])) & 0xFFFFFFFF != fields[8]:
        return None
    if fields[0] == 0 or fields[0] == EMPTY_SEQ:
        return None
    return fields[0:8]


class Journal:
    def __init__(self, nvm, offset=512, size=None):
        if size is None:
            size = len(nvm) - offset
        self.nvm = nvm
        self.offset = offset
        self.slots = size // RECORD_SIZE
        if self.slots < 2:
            raise ValueError("journal area too small")
        self.capacity = self.slots - 1
        self.epoch = 0  # nvm layout v2 (flash) makes and keeps a random one per journal
        self.head = 1
        self.tail = 1
        self.recover()

    def _slot_bytes(self, seq):
        pos = self.offset + (seq % self.slots) * RECORD_SIZE
        return bytes(self.nvm[pos : pos + RECORD_SIZE])

    def recover(self):
        """Find head (next seq) and tail (oldest live seq) from the slots' valid records."""
        top = 0
        for i in range(self.slots):
            pos = self.offset + i * RECORD_SIZE
            rec = unpack_record(bytes(self.nvm[pos : pos + RECORD_SIZE]))
            # a valid record must sit in its own slot
            if rec is not None and rec[0] % self.slots == i and rec[0] > top:
                top = rec[0]
        self.head = top + 1
        low = self.head - self.capacity
        if low < 1:
            low = 1
        tail = self.head
        seq = self.head - 1
        while seq >= low:
            if self.read(seq) is not None:
                tail = seq
            seq -= 1
        self.tail = tail

    @property
    def dropped(self):
        """Records written on this device that are no longer stored (lost to overflow)."""
        return self.tail - 1

    def __len__(self):
        return self.head - self.tail

    def append(self, start, routine_id, steps_done, steps_total, active_s, flags, boot):
        seq = self.head
        rec = pack_record(seq, start, routine_id, steps_done, steps_total, active_s, flags, boot)
        pos = self.offset + (seq % self.slots) * RECORD_SIZE
        self.nvm[pos : pos + RECORD_SIZE] = rec
        self.head = seq + 1
        low = self.head - self.capacity
        if self.tail < low:
            self.tail = low
        return seq

    def read(self, seq):
        """The 20-byte record `seq` (bytes-like, one copy of the slot), or None if it is not
        stored (never written, dropped, or lost)."""
        if seq < 1 or seq >= self.head or seq < self.head - self.capacity:
            return None
        pos = self.offset + (seq % self.slots) * RECORD_SIZE
        b = self.nvm[pos : pos + RECORD_SIZE]
        # checked in place (unpack_record would copy it again): CRC, then seq in its slot
        if len(b) != RECORD_SIZE or (b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24) != seq:
            return None
        if crc32(memoryview(b)[0:CRC_SPAN]) & 0xFFFFFFFF != unpack_from(RECORD_CRC, b, CRC_SPAN)[0]:
            return None
        return b


STORE_HEADER = "<HI"  # payload length, generation; then payload, then crc32 of all before
STORE_MAX = const(120)


class Store:
    """Power-safe small blob: two copies of `size // 2` bytes at `offset`, each
    [len u16][generation u32][payload][crc32 u32]. `save()` writes the copy not holding the
    newest generation, so a power cut leaves the other (previous) copy intact."""

    def __init__(self, nvm, offset=0, size=512):
        self.nvm = nvm
        self.offset = offset
        self.copy_size = size // 2
        self.max_payload = self.copy_size - 10
        self.generation = 0
        self._newest = -1

    def _read_copy(self, i):
        pos = self.offset + i * self.copy_size
        raw = bytes(self.nvm[pos : pos + self.copy_size])
        length, gen = unpack_from(STORE_HEADER, raw, 0)
        if length > self.max_payload:
            return None
        end = 6 + length
        (crc,) = unpack_from("<I", raw, end)
        if crc32(raw[0:end]) & 0xFFFFFFFF != crc or gen == 0xFFFFFFFF:
            return None
        return gen, raw[6:end]

    def load(self):
        """The newest valid payload (bytes), or None when neither copy is valid."""
        best = None
        self._newest = -1
        for i in range(2):
            got = self._read_copy(i)
            if got is not None and (best is None or got[0] > best[0]):
                best = got
                self._newest = i
        if best is None:
            self.generation = 0
            return None
        self.generation = best[0]
        return best[1]

    def save(self, payload):
        if len(payload) > self.max_payload:
            raise ValueError("payload too large")
        if self._newest < 0:
            self.load()
        target = 1 if self._newest == 0 else 0
        gen = self.generation + 1
        body = pack(STORE_HEADER, len(payload), gen) + bytes(payload)
        data = body + pack("<I", crc32(body) & 0xFFFFFFFF)
        pos = self.offset + target * self.copy_size
        self.nvm[pos : pos + len(data)] = data
        self.generation = gen
        self._newest = target
