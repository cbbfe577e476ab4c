"""Decode and check a routine binary, v1, v2 or v3 (docs/format.md, "Decoder checks").

The same checks as the firmware decoder, with a detailed message for each; the format
(header, magic, versions, kind codes, step sizes, allowed flags, reason keywords) is the
firmware's definition, read through unknot.core.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from unknot.core import routine as fmt
from unknot.errors import RoutineError
from unknot.routine import model as m
from unknot.routine.count import tally
from unknot.routine.model import Op

# Reason keywords (tests/vectors/invalid/reasons.json pins them).
TRUNCATED = fmt.TRUNCATED
BAD_MAGIC = fmt.BAD_MAGIC
BAD_VERSION = fmt.BAD_VERSION
BAD_FLAGS = fmt.BAD_FLAGS
BAD_LENGTH = fmt.BAD_LENGTH
BAD_CRC = fmt.BAD_CRC
BAD_STEP = fmt.BAD_STEP
BAD_LABELS = fmt.BAD_LABELS
HEADER_SIZE = fmt.HEADER_SIZE
_U16 = "<H"  # HOLD / REST duration field
_DS_PER_S = 1000 // fmt.DS_MS  # v2 NEXT and SHORT durations are whole seconds


class DecodeError(RoutineError):
    """A routine binary is invalid; `reason` is one of the keywords above."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Decoded:
    routine_id: int
    ops: list[Op]
    slug: str | None  # from the label table, if present
    name: str | None
    size: int
    version: int = 1
    countdown: int = 0
    exercises: tuple[str, ...] = ()  # exercise names (v2 label table), if present


def _next(data: bytes, pos: int, end: int, index: int) -> tuple[Op, int]:
    """A v2 get-ready step: seconds in the op byte's high nibble, or 0 and a u8 after it."""
    seconds, size = data[pos] >> 4, 1
    if seconds == 0:
        if pos + 2 > end:
            raise DecodeError(BAD_STEP, f"step {index} runs past the end of the steps")
        seconds, size = data[pos + 1], 2
    if seconds == 0:
        raise DecodeError(BAD_STEP, f"step {index}: zero count or duration")
    return Op(m.NEXT, durations=(seconds * _DS_PER_S,)), pos + size


def _short(kind: int, f: bytes, sides: bool, tick: bool) -> tuple[Op, bool]:
    """A v2 SHORT step: whole seconds, nibble pairs for BREATHE and REPEAT."""
    if kind == m.BREATHE:
        i, h, e, p = f[1] >> 4, f[1] & 15, f[2] >> 4, f[2] & 15
        return (Op(kind, count=f[0], durations=tuple(x * _DS_PER_S for x in (i, h, e, p))),
                f[0] > 0 and i > 0 and e > 0)
    if kind == m.REPEAT:
        work, gap = f[1] >> 4, f[1] & 15
        return Op(kind, count=f[0], durations=(work * _DS_PER_S, gap * _DS_PER_S),
                  sides=sides), \
            f[0] > 0 and work > 0
    return Op(kind, durations=(f[0] * _DS_PER_S,), sides=sides, tick=tick), f[0] > 0


def _step(data: bytes, pos: int, end: int, index: int, version: int) -> tuple[Op, int]:
    op_byte = data[pos]
    kind = op_byte & fmt.KIND_MASK
    flags = op_byte - kind
    v2 = version >= fmt.VERSION_EXERCISES
    if kind == m.NEXT and v2:
        return _next(data, pos, end, index)
    if kind == m.WAIT and version >= fmt.VERSION_WAIT:
        if flags:
            raise DecodeError(BAD_STEP, f"step {index}: flags 0x{flags:02x} on a wait")
        return Op(m.WAIT), pos + 1
    body = version >= fmt.VERSION_WAIT and kind in fmt.BODY_KINDS and bool(flags & m.FLAG_BODY)
    if body:
        if not flags & m.FLAG_SIDES:
            raise DecodeError(BAD_STEP, f"step {index}: BODY without SIDES")
        flags &= ~m.FLAG_BODY
    short = v2 and bool(flags & m.FLAG_SHORT)
    if short:
        flags &= ~m.FLAG_SHORT
    size = (fmt.SHORT_SIZE if short else fmt.STEP_SIZE).get(kind)
    if size is None:
        raise DecodeError(BAD_STEP, f"step {index}: unknown kind 0x{kind:x}"
                          + (" with SHORT" if short else ""))
    if flags & ~fmt.ALLOWED_FLAGS.get(kind, 0):
        raise DecodeError(BAD_STEP, f"step {index}: flags 0x{flags:02x} not allowed here")
    if pos + size > end:
        raise DecodeError(BAD_STEP, f"step {index} runs past the end of the steps")
    f = data[pos + 1 : pos + size]
    sides, tick = bool(flags & m.FLAG_SIDES), bool(flags & m.FLAG_TICK)
    if short:
        op, ok = _short(kind, f, sides, tick)
    elif kind == m.BREATHE:
        op = Op(kind, count=f[0], durations=(f[1], f[2], f[3], f[4]))
        ok = f[0] > 0 and f[1] > 0 and f[3] > 0
    elif kind in (m.HOLD, m.REST):
        (dur,) = struct.unpack(_U16, f)
        op = Op(kind, durations=(dur,), sides=sides, tick=tick)
        ok = dur > 0
    elif kind == m.REPEAT:
        op = Op(kind, count=f[0], durations=(f[1], f[2]), sides=sides)
        ok = f[0] > 0 and f[1] > 0
    else:
        op, ok = Op(kind), True
    if not ok:
        raise DecodeError(BAD_STEP, f"step {index}: zero count or duration")
    return (replace(op, body=True) if body else op), pos + size


def decode(data: bytes) -> Decoded:
    """Check header, length, CRC and every step; raise DecodeError with a reason keyword."""
    if len(data) < HEADER_SIZE:
        raise DecodeError(TRUNCATED, f"{len(data)} bytes, the header alone is {HEADER_SIZE}")
    magic, version, flags, rid, count, total, crc = struct.unpack_from(fmt.HEADER, data)
    if magic != fmt.MAGIC:
        raise DecodeError(BAD_MAGIC, f"{magic!r} is not {fmt.MAGIC!r}")
    allowed = fmt.HEADER_FLAGS.get(version)
    if allowed is None:
        raise DecodeError(BAD_VERSION, f"version {version}, this decoder reads"
                          f" {', '.join(map(str, sorted(fmt.HEADER_FLAGS)))}")
    if flags & ~allowed:
        raise DecodeError(BAD_FLAGS, f"reserved header flags set (0x{flags:02x})")
    if total > len(data):
        raise DecodeError(TRUNCATED, f"header says {total} bytes, only {len(data)} present")
    if total < len(data) or total < HEADER_SIZE + 2:
        raise DecodeError(BAD_LENGTH, f"header says {total} bytes, file has {len(data)}")
    computed = fmt.file_crc(data)
    if computed != crc:
        raise DecodeError(BAD_CRC, f"stored 0x{crc:08x}, computed 0x{computed:08x}")
    if count < 2:
        raise DecodeError(BAD_STEP, f"{count} steps, at least BEGIN and END are needed")
    ops: list[Op] = []
    pos = HEADER_SIZE
    for i in range(count):
        if pos >= total:
            raise DecodeError(BAD_STEP, f"step {i} runs past the end of the file")
        op, pos = _step(data, pos, total, i, version)
        first, last = i == 0, i == count - 1
        if (op.kind == m.BEGIN) != first or (op.kind == m.END) != last:
            raise DecodeError(BAD_STEP, f"step {i}: BEGIN must be first and END last, once")
        ready = (m.NEXT, m.WAIT)
        if op.kind in ready and (i == 0 or i >= count - 2 or ops[-1].kind in ready):
            raise DecodeError(BAD_STEP, f"step {i}: a get-ready step must lead to a step")
        ops.append(op)
    slug = name = None
    names: tuple[str, ...] = ()
    if flags & fmt.FLAG_LABELS:
        texts: list[str] = []
        n_exercises = tally(ops)[0] if version >= fmt.VERSION_EXERCISES else 0
        for _ in range(count + 2 + n_exercises):
            if pos >= total or pos + 1 + data[pos] > total:
                raise DecodeError(BAD_LABELS, "label table runs past the end")
            n = data[pos]
            try:
                texts.append(data[pos + 1 : pos + 1 + n].decode("utf-8"))
            except UnicodeDecodeError:
                raise DecodeError(BAD_LABELS, "label is not UTF-8") from None
            pos += 1 + n
        if pos != total:
            raise DecodeError(BAD_LABELS, "bytes left after the label table")
        slug, name = texts[0], texts[1]
        names = tuple(texts[2 : 2 + n_exercises])
        ops = [replace(o, label=t) for o, t in zip(ops, texts[2 + n_exercises :], strict=True)]
    elif pos != total:
        raise DecodeError(BAD_STEP, f"steps end at byte {pos}, the file at {total}")
    return Decoded(routine_id=rid, ops=ops, slug=slug, name=name, size=total, version=version,
                   countdown=(flags & fmt.COUNTDOWN_MASK) >> fmt.COUNTDOWN_SHIFT,
                   exercises=names)
