"""Decode a routine binary, v1, v2 or v3 (docs/format.md, "Decoder checks"), with the firmware's
decoder: `unknot.core.routine.decode` decides whether a file is valid (the device plays what
it accepts, so there is one decoder), and this module turns what it returns into host types,
adding a detail to its reason keyword when the file is refused.

Labels the device never shows (exercise and step labels) need not be UTF-8 for the firmware;
the host shows their undecodable bytes as U+FFFD.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from unknot.core import routine as fmt
from unknot.core import wire
from unknot.errors import RoutineError
from unknot.routine.count import tally
from unknot.routine.model import Op

_STEP = tuple[int, ...]  # a firmware step tuple: (kind, flags, *fields)


class DecodeError(RoutineError):
    """A routine binary is invalid; `reason` is the firmware's reason keyword."""

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


def _op(step: _STEP) -> Op:
    """The host Op of one firmware step tuple (durations in ds, SHORT already expanded)."""
    kind, flags, *f = step
    sides, tick = bool(flags & fmt.SIDES), bool(flags & fmt.TICK)
    body = bool(flags & fmt.BODY)  # v3: the firmware keeps it only where it is valid
    if kind == fmt.BREATHE:
        return Op(kind, durations=tuple(f[1:5]), count=f[0])
    if kind == fmt.REPEAT:
        return Op(kind, durations=tuple(f[1:3]), count=f[0], sides=sides, body=body)
    if kind in (fmt.HOLD, fmt.REST, fmt.NEXT):
        return Op(kind, durations=(f[0],), sides=sides, tick=tick, body=body)
    return Op(kind)


def _detail(reason: str, data: bytes) -> str:
    """Where the firmware decoder stopped, in words (it gives the reason keyword only)."""
    if len(data) < fmt.HEADER_SIZE:
        return f"{len(data)} bytes, the header alone is {fmt.HEADER_SIZE}"
    magic, version, flags, _rid, count, total, crc = wire.unpack(fmt.HEADER, data)
    if reason == fmt.BAD_MAGIC:
        return f"{magic!r} is not {fmt.MAGIC!r}"
    if reason == fmt.BAD_VERSION:
        return f"version {version}, this decoder reads 1 to {fmt.VERSION}"
    if reason == fmt.BAD_FLAGS:
        return f"reserved header flags set (0x{flags:02x})"
    if reason in (fmt.TRUNCATED, fmt.BAD_LENGTH):
        return f"header says {total} bytes, the file has {len(data)}"
    if reason == fmt.BAD_CRC:
        return f"stored 0x{crc:08x}, computed 0x{fmt.file_crc(data):08x}"
    if reason == fmt.BAD_STEP:
        done = 0
        try:
            for _ in fmt.walk(data, version, count, None):
                done += 1
        except fmt.RoutineFormatError:
            return f"step {done} of {count}"
        return f"{count} steps, then bytes that are not labels"
    return "the label table does not fit the file, or a name is not UTF-8"


def decode(data: bytes) -> Decoded:
    """Check the file with the firmware's decoder; raise DecodeError with its reason."""
    try:
        routine = fmt.decode(data)
    except fmt.RoutineFormatError as exc:
        raise DecodeError(exc.reason, _detail(exc.reason, data)) from None
    _magic, version, flags, rid, count, total, _crc = wire.unpack(fmt.HEADER, data)
    ops = [_op(step) for step in routine.iter_steps()]
    slug = name = None
    names: tuple[str, ...] = ()
    if flags & fmt.FLAG_LABELS:
        n_exercises = tally(ops)[0] if version >= fmt.VERSION_EXERCISES else 0
        texts = [data[a:b].decode("utf-8", "replace") for a, b in
                 fmt.labels(data, routine.label_at, count + 2 + n_exercises)]
        slug, name = routine.slug, routine.name
        names = tuple(texts[2 : 2 + n_exercises])
        ops = [replace(o, label=t) for o, t in zip(ops, texts[2 + n_exercises :], strict=True)]
    return Decoded(routine_id=rid, ops=ops, slug=slug, name=name, size=total, version=version,
                   countdown=routine.countdown, exercises=names)
