"""Routine files built from step tuples, for the firmware tests and benchmarks (CPython).

Not an encoder of its own: each step tuple becomes a host `Op` and the host compiler
(unknot.routine.compile, which packs the firmware's format with unknot.core) writes the file.

steps: tuples (kind, flags, *fields) as the firmware decoder yields them, e.g.
(3, 0, count, inhale, hold, exhale, pause), (4, 0x30, duration_ds), (5, 0x10, count, work,
gap), (6, 0, duration_ds), (1, 0), (2, 0), (7, 0).
"""

from unknot.core import routine as fmt
from unknot.core import wire
from unknot.routine.compile import compile_ops, routine_id
from unknot.routine.model import Op

__all__ = ["SAMPLES", "build", "routine_id"]


def _op(step):
    kind, flags, *f = step
    sides, tick = bool(flags & fmt.SIDES), bool(flags & fmt.TICK)
    if kind == fmt.BREATHE:
        return Op(kind, durations=tuple(f[1:5]), count=f[0])
    if kind == fmt.REPEAT:
        return Op(kind, durations=tuple(f[1:3]), count=f[0], sides=sides)
    if kind in (fmt.HOLD, fmt.REST):
        return Op(kind, durations=(f[0],), sides=sides, tick=tick)
    return Op(kind)


def build(steps, slug="test", name="Test", labels=None, version=1, rid=None):
    """A version-1 file of `steps`; with labels unless both `slug` and `labels` are None;
    `rid` overrides the routine id (the crc32 of the slug)."""
    ops = [_op(s) for s in steps]
    if labels is not None:
        ops = [Op(o.kind, o.durations, o.count, o.sides, o.tick, t)
               for o, t in zip(ops, labels, strict=True)]
    data = compile_ops(ops, slug or "", name or "", labels=labels is not None or slug is not None,
                       version=version)
    if rid is None:
        return data
    names = wire.names(fmt.HEADER)
    head = dict(zip(names, wire.unpack(fmt.HEADER, data), strict=True))
    head["routine_id"] = rid
    head["crc32"] = 0
    body = data[fmt.HEADER_SIZE :]
    head["crc32"] = fmt.file_crc(wire.pack(fmt.HEADER, *(head[n] for n in names)) + body)
    return wire.pack(fmt.HEADER, *(head[n] for n in names)) + body


# A few hand-made routines covering every step kind and flag.
SAMPLES = {
    "breathe": [(1, 0), (3, 0, 4, 40, 20, 60, 10), (3, 0, 2, 40, 0, 60, 0), (2, 0)],
    "holds": [(1, 0), (4, 0x30, 200), (4, 0x20, 100), (4, 0, 50), (4, 0x10, 95), (2, 0)],
    "reps": [(1, 0), (5, 0, 5, 20, 10), (5, 0x10, 3, 15, 0), (7, 0), (6, 0x20, 150), (2, 0)],
    "mixed": [(1, 0), (3, 0, 3, 40, 40, 40, 40), (4, 0x30, 300), (6, 0, 50), (7, 0),
              (5, 0x10, 2, 30, 20), (6, 0x20, 99), (2, 0)],
}
