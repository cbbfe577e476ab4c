"""The routine binary format, versions 1, 2 and 3 (docs/format.md): its one definition, and
the decoder.

Header layout, magic, version, kind codes, op-byte flags, step sizes and the file CRC are
defined here only; the host compiler and decoder (host/unknot/routine/) import them through
the typed facade unknot.core. `decode(data)` returns a `Routine` or raises
`RoutineFormatError(reason)`; `reason` is one reason keyword below. The decoder never trusts
the file: every offset is bounds-checked.
"""


try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from . import wire
from .crc import crc32

_MAGIC = const(b"UNKR")
_VERSION = const(3)  # the newest version this decoder reads; it reads 1, 2 and 3
_VERSION_EXERCISES = const(2)  # exercises, get-ready steps, countdown, SHORT steps
_VERSION_WAIT = const(3)  # WAIT steps (the wearer's press) and BODY side switches
# The header, a field spec (wire.py); crc: file_crc of the file
_HEADER = const("magic:4s version:B flags:B routine_id:H step_count:H total_len:H"
                " crc32:I")
_HEADER_SIZE = const(16)
_CRC_OFFSET = const(12)  # the header's crc32 field, bytes [12:16]
_FLAG_LABELS = const(0x01)  # header flag: a label table follows the steps
_COUNTDOWN_SHIFT = const(1)  # v2 header flags bits 1-3: countdown seconds (0 = none)
_COUNTDOWN_MASK = const(0x0E)
# Tables indexed by a number (bytes: a dict would cost several times their RAM), 0: none.
# version -> the header flags it allows: v1 FLAG_LABELS, v2 and v3 also COUNTDOWN_MASK
_HEADER_FLAGS = const(b"\x00\x01\x0f\x0f")
_KIND_MASK = const(0x0F)  # op byte: low nibble the kind, high nibble the flags

BEGIN = const(0x1)
END = const(0x2)
BREATHE = const(0x3)
HOLD = const(0x4)
REPEAT = const(0x5)
REST = const(0x6)
SWITCH = const(0x7)
NEXT = const(0x8)  # v2: get ready for the next exercise; high nibble = seconds, 0: u8 follows
WAIT = const(0x9)  # v3: get ready for the next exercise until the wearer presses (1 byte)

DS_MS = const(100)  # step durations are in deciseconds
_DS_PER_S = const(10)  # 1000 ms / DS_MS: v2 NEXT and SHORT durations are whole seconds

SIDES = const(0x10)  # op-byte flag: both sides, with a switch between
TICK = const(0x20)  # op-byte flag: light ticks during a long HOLD / REST
_SHORT = const(0x40)  # v2 op-byte flag: durations in whole seconds, packed (see SHORT_SIZE)
BODY = const(0x80)  # v3 op-byte flag on HOLD/REPEAT with SIDES: the whole body changes side

# kind -> size of the step in bytes (op byte included)
#              -  BEGIN END BREATHE HOLD REPEAT REST SWITCH NEXT (v2: 1 or 2) ...
_STEP_SIZE = const(b"\x00\x01\x01\x06\x03\x04\x03\x01\x00\x00\x00\x00\x00\x00\x00\x00")
# v2, SHORT flag set: BREATHE count + two nibble pairs, HOLD/REST u8 s, REPEAT count + nibbles
_SHORT_SIZE = const(b"\x00\x00\x00\x04\x02\x03\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00")
# kind -> op-byte flags it may carry (v1; v2 also allows SHORT where SHORT_SIZE has the kind)
# HOLD: SIDES | TICK, REPEAT: SIDES, REST: TICK
_ALLOWED_FLAGS = const(b"\x00\x00\x00\x00\x30\x10\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00")

# Reason keywords, also the host decoder's (tests/vectors/invalid/reasons.json pins them).
_TRUNCATED = const("truncated")  # shorter than the header, or than total_len says
_BAD_MAGIC = const("bad magic")
_BAD_VERSION = const("bad version")
_BAD_FLAGS = const("bad flags")  # reserved header flag bits set
_BAD_LENGTH = const("bad length")  # total_len shorter than the data or than a minimal file
_BAD_CRC = const("bad crc")
_BAD_STEP = const("bad step")  # unknown kind, disallowed flags, BEGIN/END misplaced, zero values,
#                        a step past the end, bytes after the steps
_BAD_LABELS = const("bad labels")


class RoutineFormatError(ValueError):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def tally(kinds, end=-1):
    """(exercises, steps) among the first `end` step kinds (all if end < 0).

    The one definition of the count everyone shows (journal, CLI, preview, sim, history):
    a step is one the wearer follows (BREATHE, HOLD, REPEAT, REST, SWITCH); BEGIN, END and
    the get-ready NEXT and WAIT are not steps. An exercise is a run of steps between them, so a v1
    routine is one exercise.
    """
    exercises = steps = 0
    fresh = True
    for i, kind in enumerate(kinds):
        if i == end:
            break
        if kind == NEXT or kind == WAIT:
            fresh = True
        elif kind != BEGIN and kind != END:
            steps += 1
            if fresh:
                exercises += 1
                fresh = False
    return exercises, steps


_H_VERSION = const(1)  # field indices in wire.unpack(HEADER, ...)
_H_FLAGS = const(2)
_H_ID = const(3)
_H_STEPS = const(4)


class Routine:
    """A validated routine, kept as its file bytes (`data`) only: the header facts (`id`,
    `countdown`; the size is len(data)) and the labels (`slug`, `name`) are read from them when
    asked, and the steps are decoded on demand.

    `iter_steps()` yields tuples (kind, flags, *fields), as long as the kind needs: BREATHE
    (kind, flags, count, inhale, hold, exhale, pause); REPEAT (kind, flags, count, work, gap);
    HOLD/REST/NEXT (kind, flags, duration); BEGIN/END/SWITCH (kind, flags). Durations in ds;
    SHORT steps are decoded to the same deciseconds. `steps` is that list (host, tests).
    `countdown`: seconds counted down at the end of long holds.
    """

    def __init__(self, data, labels=0):
        self.data = data
        self.file = ""
        self.label_at = labels  # offset of the label table in data (0: none)

    def _header(self, field):
        return wire.unpack(_HEADER, self.data)[field]

    @property
    def id(self):
        return self._header(_H_ID)

    @property
    def countdown(self):
        return (self._header(_H_FLAGS) & _COUNTDOWN_MASK) >> _COUNTDOWN_SHIFT

    def _label(self, k):
        pos = self.label_at
        if not pos:
            return ""
        data = self.data
        if k:
            pos += 1 + data[pos]
        return bytes(data[pos + 1 : pos + 1 + data[pos]]).decode("utf-8")

    @property
    def slug(self):
        return self._label(0)

    @property
    def name(self):
        return self._label(1)

    def iter_steps(self):
        return walk(self.data, self._header(_H_VERSION), self._header(_H_STEPS), None)

    @property
    def steps(self):
        return list(self.iter_steps())

    def tally(self, end=-1):
        return tally((s[0] for s in self.iter_steps()), end)

    def work_steps(self):
        """Steps the journal counts (see `tally`)."""
        return self.tally()[1]


def file_crc(data):
    """CRC-32 of bytes [0:CRC_OFFSET] followed by [HEADER_SIZE:] (the crc field skipped)."""
    return crc32(data[_HEADER_SIZE:], crc32(data[0:_CRC_OFFSET])) & 0xFFFFFFFF


def _fail(reason):
    raise RoutineFormatError(reason)


def walk(data, version, step_count, end):
    """Yield the step tuples of `data` (see Routine) of a file of `version`, checking each
    (RoutineFormatError BAD_STEP); `end` (a list or None) gets the offset after the last
    step. The host's decoder (host/unknot/routine/decode.py) walks the steps with it too."""
    v2 = version >= _VERSION_EXERCISES
    v3 = version >= _VERSION_WAIT
    n = len(data)
    pos = _HEADER_SIZE
    last = step_count - 1
    prev = 0
    for i in range(step_count):
        if pos >= n:
            _fail(_BAD_STEP)
        op = data[pos]
        kind = op & _KIND_MASK
        sflags = op - kind
        if (kind == NEXT and v2) or (kind == WAIT and v3):
            # never first, last, next to another NEXT or WAIT or right before END
            if prev == NEXT or prev == WAIT or i == 0 or i >= last - 1:
                _fail(_BAD_STEP)
            step, size = _ready(data, pos, kind, sflags)
            pos += size
            prev = kind
            yield step
            continue
        body = v3 and (kind == HOLD or kind == REPEAT) and sflags & BODY
        if body:
            if not sflags & SIDES:
                _fail(_BAD_STEP)
            sflags &= ~BODY
        short = v2 and sflags & _SHORT
        if short:
            sflags &= ~_SHORT
        size = _SHORT_SIZE[kind] if short else _STEP_SIZE[kind]
        if size == 0 or pos + size > n or sflags & ~_ALLOWED_FLAGS[kind]:
            _fail(_BAD_STEP)
        if (kind == BEGIN) != (i == 0) or (kind == END) != (i == last):
            _fail(_BAD_STEP)
        prev = kind
        step = _fields(data, pos, kind, sflags | (BODY if body else 0), short)
        pos += size
        if end is not None and i == last:
            end[0] = pos
        yield step


def _ready(data, pos, kind, sflags):
    """(step tuple, size) of a get-ready step at `pos`. NEXT: seconds in the high nibble,
    or 0 and a u8 of seconds after the op. WAIT: the op byte alone, no flags."""
    if kind == WAIT:
        if sflags:
            _fail(_BAD_STEP)
        return (kind, 0), 1
    a = sflags >> 4
    size = 1
    if a == 0 and pos + 1 < len(data):
        a = data[pos + 1]
        size = 2
    if a == 0:
        _fail(_BAD_STEP)
    return (kind, 0, a * _DS_PER_S), size


def _fields(data, pos, kind, sflags, short):
    """The checked tuple of the step at `pos` (kind, flags and size already checked): as
    short as the kind needs, (kind, flags) + its fields, durations in ds."""
    a = b = c = d = e = 0
    if short:
        a = data[pos + 1]
        ok = a
        if kind == BREATHE:
            x, y = data[pos + 2], data[pos + 3]
            s = _DS_PER_S
            b, c, d, e = (x >> 4) * s, (x & 15) * s, (y >> 4) * s, (y & 15) * s
            ok = a and b and d
        elif kind == REPEAT:
            x = data[pos + 2]
            b, c = (x >> 4) * _DS_PER_S, (x & 15) * _DS_PER_S
            ok = a and b
        else:
            a *= _DS_PER_S
        if not ok:
            _fail(_BAD_STEP)
    elif kind == BREATHE:
        a, b, c = data[pos + 1], data[pos + 2], data[pos + 3]
        d, e = data[pos + 4], data[pos + 5]
        if a == 0 or b == 0 or d == 0:
            _fail(_BAD_STEP)
    elif kind == HOLD or kind == REST:
        a = data[pos + 1] | (data[pos + 2] << 8)
        if a == 0:
            _fail(_BAD_STEP)
    elif kind == REPEAT:
        a, b, c = data[pos + 1], data[pos + 2], data[pos + 3]
        if a == 0 or b == 0:
            _fail(_BAD_STEP)
    if kind == BREATHE:
        return (kind, sflags, a, b, c, d, e)
    if kind == REPEAT:
        return (kind, sflags, a, b, c)
    if a:
        return (kind, sflags, a)
    return (kind, sflags)


def decode(data):
    """Validate `data` (a whole routine file) and return its Routine, which keeps `data`."""
    n = len(data)
    if n < _HEADER_SIZE:
        _fail(_TRUNCATED)
    magic, version, flags, _id, step_count, total_len, crc = wire.unpack(_HEADER, data)
    if magic != _MAGIC:
        _fail(_BAD_MAGIC)
    if not 0 < version < len(_HEADER_FLAGS):
        _fail(_BAD_VERSION)
    if flags & ~_HEADER_FLAGS[version]:
        _fail(_BAD_FLAGS)
    if total_len > n:
        _fail(_TRUNCATED)
    if total_len < n or total_len < _HEADER_SIZE + 2:
        _fail(_BAD_LENGTH)
    if file_crc(data) != crc:
        _fail(_BAD_CRC)
    if step_count < 2:
        _fail(_BAD_STEP)
    v2 = version >= _VERSION_EXERCISES
    end = [0]
    exercises = tally((s[0] for s in walk(data, version, step_count, end)))[0]
    pos = end[0]
    if not flags & _FLAG_LABELS:
        if pos != n:
            _fail(_BAD_STEP)
        return Routine(data, 0)
    # v2: one exercise name per exercise between the routine name and the step labels
    k = 0
    for start, stop in labels(data, pos, step_count + 2 + (exercises if v2 else 0)):
        if k < 2:  # the slug and the name must be UTF-8 (Routine reads them when asked);
            try:  # the other labels are bytes the device never shows (the host may)
                bytes(data[start:stop]).decode("utf-8")
            except Exception:
                _fail(_BAD_LABELS)
        k += 1
    return Routine(data, pos)


def labels(data, pos, count):
    """Yield (start, stop) of each of the `count` labels of the table at `pos` (a u8 length,
    then the bytes); RoutineFormatError BAD_LABELS when one runs past the end or bytes are
    left after the last. Labels: the slug, the name, (v2) the exercise names, one per step."""
    n = len(data)
    for _ in range(count):
        if pos >= n or pos + 1 + data[pos] > n:
            _fail(_BAD_LABELS)
        yield pos + 1, pos + 1 + data[pos]
        pos += 1 + data[pos]
    if pos != n:
        _fail(_BAD_LABELS)
