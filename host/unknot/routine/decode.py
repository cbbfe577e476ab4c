"""Decode and check a v1 routine binary (docs/format.md, "Decoder checks").

The same checks as the firmware decoder, with a detailed message for each; the format
(header, magic, version, kind codes, step sizes, allowed flags, reason keywords) is the
firmware's definition, read through unknot.core.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from unknot.core import routine as fmt
from unknot.errors import RoutineError
from unknot.routine import model as m
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


def _step(data: bytes, pos: int, end: int, index: int) -> tuple[Op, int]:
    op_byte = data[pos]
    kind = op_byte & fmt.KIND_MASK
    flags = op_byte - kind
    size = fmt.STEP_SIZE.get(kind)
    if size is None:
        raise DecodeError(BAD_STEP, f"step {index}: unknown kind 0x{kind:x}")
    if flags & ~fmt.ALLOWED_FLAGS.get(kind, 0):
        raise DecodeError(BAD_STEP, f"step {index}: flags 0x{flags:02x} not allowed here")
    if pos + size > end:
        raise DecodeError(BAD_STEP, f"step {index} runs past the end of the steps")
    f = data[pos + 1 : pos + size]
    sides, tick = bool(flags & m.FLAG_SIDES), bool(flags & m.FLAG_TICK)
    if kind == m.BREATHE:
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
    return op, pos + size


def decode(data: bytes) -> Decoded:
    """Check header, length, CRC and every step; raise DecodeError with a reason keyword."""
    if len(data) < HEADER_SIZE:
        raise DecodeError(TRUNCATED, f"{len(data)} bytes, the header alone is {HEADER_SIZE}")
    magic, version, flags, rid, count, total, crc = struct.unpack_from(fmt.HEADER, data)
    if magic != fmt.MAGIC:
        raise DecodeError(BAD_MAGIC, f"{magic!r} is not {fmt.MAGIC!r}")
    if version != fmt.VERSION:
        raise DecodeError(BAD_VERSION, f"version {version}, this decoder reads {fmt.VERSION}")
    if flags & ~fmt.FLAG_LABELS:
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
        op, pos = _step(data, pos, total, i)
        first, last = i == 0, i == count - 1
        if (op.kind == m.BEGIN) != first or (op.kind == m.END) != last:
            raise DecodeError(BAD_STEP, f"step {i}: BEGIN must be first and END last, once")
        ops.append(op)
    slug = name = None
    if flags & fmt.FLAG_LABELS:
        texts: list[str] = []
        for _ in range(count + 2):
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
        ops = [Op(o.kind, o.durations, o.count, o.sides, o.tick, t)
               for o, t in zip(ops, texts[2:], strict=True)]
    elif pos != total:
        raise DecodeError(BAD_STEP, f"steps end at byte {pos}, the file at {total}")
    return Decoded(routine_id=rid, ops=ops, slug=slug, name=name, size=total)
