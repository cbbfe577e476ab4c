"""The routine binary format v1 (docs/format.md): its one definition, and the decoder.

Header layout, magic, version, kind codes, op-byte flags, step sizes and the file CRC are
defined here only; the host compiler and decoder (host/unknot/routine/) import them through
the typed facade unknot.core. `decode(data)` returns a `Routine` or raises
`RoutineFormatError(reason)`; `reason` is one reason keyword below. The decoder never trusts
the file: every offset is bounds-checked.
"""

from struct import unpack_from

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from .crc import crc32

MAGIC = b"UNKR"
VERSION = const(1)
HEADER = "<4sBBHHHI"
HEADER_SIZE = const(16)
CRC_OFFSET = const(12)  # the header's crc32 field, bytes [12:16]
FLAG_LABELS = const(0x01)  # header flag: a label table follows the steps
KIND_MASK = const(0x0F)  # op byte: low nibble the kind, high nibble the flags

BEGIN = const(0x1)
END = const(0x2)
BREATHE = const(0x3)
HOLD = const(0x4)
REPEAT = const(0x5)
REST = const(0x6)
SWITCH = const(0x7)

DS_MS = const(100)  # step durations are in deciseconds

SIDES = const(0x10)  # op-byte flag: both sides, with a switch between
TICK = const(0x20)  # op-byte flag: light ticks during a long HOLD / REST

# kind -> size of the step in bytes (op byte included)
STEP_SIZE = {BEGIN: 1, END: 1, BREATHE: 6, HOLD: 3, REPEAT: 4, REST: 3, SWITCH: 1}
# kind -> op-byte flags it may carry
ALLOWED_FLAGS = {HOLD: SIDES | TICK, REPEAT: SIDES, REST: TICK}

# Reason keywords, also the host decoder's (tests/vectors/invalid/reasons.json pins them).
TRUNCATED = "truncated"  # shorter than the header, or than total_len says
BAD_MAGIC = "bad magic"
BAD_VERSION = "bad version"
BAD_FLAGS = "bad flags"  # reserved header flag bits set
BAD_LENGTH = "bad length"  # total_len shorter than the data or than a minimal file
BAD_CRC = "bad crc"
BAD_STEP = "bad step"  # unknown kind, disallowed flags, BEGIN/END misplaced, zero values,
#                        a step past the end, bytes after the steps
BAD_LABELS = "bad labels"


class RoutineFormatError(ValueError):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Routine:
    """A decoded routine: `steps` is a list of tuples (kind, flags, a, b, c, d, e).

    BREATHE: a count, b inhale, c hold, d exhale, e pause (ds); HOLD/REST: a duration (ds);
    REPEAT: a count, b work, c gap (ds); unused fields are 0.
    """

    def __init__(self, routine_id, steps, slug="", name="", size=0):
        self.id = routine_id
        self.steps = steps
        self.slug = slug
        self.name = name
        self.size = size
        self.file = ""

    def work_steps(self):
        """Steps the journal counts: all but BEGIN and END."""
        return len(self.steps) - 2


def file_crc(data):
    """CRC-32 of bytes [0:CRC_OFFSET] followed by [HEADER_SIZE:] (the crc field skipped)."""
    return crc32(data[HEADER_SIZE:], crc32(data[0:CRC_OFFSET])) & 0xFFFFFFFF


def _fail(reason):
    raise RoutineFormatError(reason)


def decode(data):
    n = len(data)
    if n < HEADER_SIZE:
        _fail(TRUNCATED)
    magic, version, flags, routine_id, step_count, total_len, crc = unpack_from(HEADER, data, 0)
    if magic != MAGIC:
        _fail(BAD_MAGIC)
    if version != VERSION:
        _fail(BAD_VERSION)
    if flags & ~FLAG_LABELS:
        _fail(BAD_FLAGS)
    if total_len > n:
        _fail(TRUNCATED)
    if total_len < n or total_len < HEADER_SIZE + 2:
        _fail(BAD_LENGTH)
    if file_crc(data) != crc:
        _fail(BAD_CRC)
    if step_count < 2:
        _fail(BAD_STEP)
    steps = []
    pos = HEADER_SIZE
    last = step_count - 1
    for i in range(step_count):
        if pos >= n:
            _fail(BAD_STEP)
        op = data[pos]
        kind = op & KIND_MASK
        sflags = op - kind
        size = STEP_SIZE.get(kind, 0)
        if size == 0 or pos + size > n or sflags & ~ALLOWED_FLAGS.get(kind, 0):
            _fail(BAD_STEP)
        if (kind == BEGIN) != (i == 0) or (kind == END) != (i == last):
            _fail(BAD_STEP)
        a = b = c = d = e = 0
        if kind == BREATHE:
            a, b, c = data[pos + 1], data[pos + 2], data[pos + 3]
            d, e = data[pos + 4], data[pos + 5]
            if a == 0 or b == 0 or d == 0:
                _fail(BAD_STEP)
        elif kind == HOLD or kind == REST:
            a = data[pos + 1] | (data[pos + 2] << 8)
            if a == 0:
                _fail(BAD_STEP)
        elif kind == REPEAT:
            a, b, c = data[pos + 1], data[pos + 2], data[pos + 3]
            if a == 0 or b == 0:
                _fail(BAD_STEP)
        steps.append((kind, sflags, a, b, c, d, e))
        pos += size
    slug = ""
    name = ""
    if flags & FLAG_LABELS:
        for k in range(step_count + 2):
            if pos >= n:
                _fail(BAD_LABELS)
            end = pos + 1 + data[pos]
            if end > n:
                _fail(BAD_LABELS)
            if k < 2:
                try:
                    text = bytes(data[pos + 1 : end]).decode("utf-8")
                except Exception:
                    _fail(BAD_LABELS)
                if k == 0:
                    slug = text
                else:
                    name = text
            pos = end
        if pos != n:
            _fail(BAD_LABELS)
    elif pos != n:
        _fail(BAD_STEP)
    return Routine(routine_id, steps, slug, name, n)
