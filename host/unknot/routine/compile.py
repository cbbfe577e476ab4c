"""Compile a routine to the binary format (docs/format.md). Output is deterministic.

A source with [[steps]] compiles to version 1 (byte for byte as before); a source with
[[exercises]] compiles to version 2 (get-ready steps, countdown, SHORT steps, exercise
names in the label table), or to version 3 when it needs a wait for the wearer's press or
a whole-body side switch. The format itself (header layout, magic, versions, flags, kind
codes, the file CRC) is the firmware's definition, read through unknot.core; this module
only writes it.
"""

from __future__ import annotations

import binascii

from unknot.core import library, wire
from unknot.core import routine as fmt
from unknot.errors import RoutineError
from unknot.routine import model as m
from unknot.routine.model import Op, Routine

_DS_PER_S = 1000 // fmt.DS_MS  # v2 NEXT and SHORT durations are whole seconds
_BYTE_MAX = 0xFF  # a u8 field
_NIBBLE_MAX = 0xF  # half of a SHORT byte


def file_name(slug: str) -> str:
    """The routine's file name on the device: <slug>.unk (the firmware loads that suffix)."""
    return slug + library.SUFFIX


def routine_id(slug: str) -> int:
    """The numeric routine id: crc32 of the UTF-8 slug, low 16 bits."""
    return binascii.crc32(slug.encode("utf-8")) & 0xFFFF


def _short(op: Op) -> list[int] | None:
    """The durations in whole seconds if the v2 SHORT form holds them, else None."""
    if not fmt.SHORT_SIZE[op.kind]:
        return None
    if any(d % _DS_PER_S for d in op.durations):
        return None
    secs = [d // _DS_PER_S for d in op.durations]
    limit = _BYTE_MAX if op.kind in (fmt.HOLD, fmt.REST) else _NIBBLE_MAX
    return secs if max(secs) <= limit else None


def encode_step(op: Op, version: int = 1) -> bytes:
    """The bytes of one step: op byte (kind | flags) and its fields."""
    flags = (fmt.SIDES if op.sides else 0) | (fmt.TICK if op.tick else 0)
    if op.body:
        if version < fmt.VERSION_WAIT or not op.sides or op.kind not in (fmt.HOLD, fmt.REPEAT):
            raise RoutineError(f"a whole-body side switch cannot be encoded in format"
                               f" v{version} on a {m.KIND_NAMES[op.kind]} step")
        flags |= fmt.BODY
    if op.kind == fmt.WAIT:
        if version < fmt.VERSION_WAIT:
            raise RoutineError(f"a wait for the press cannot be encoded in format v{version}")
        return bytes([fmt.WAIT])
    if op.kind == fmt.NEXT:
        seconds = op.durations[0] // _DS_PER_S
        if (version < fmt.VERSION_EXERCISES or op.durations[0] % _DS_PER_S
                or not 1 <= seconds <= _BYTE_MAX):
            raise RoutineError(f"a get-ready step of {op.durations[0] / 10:g} s cannot be"
                               f" encoded in format v{version}")
        if seconds <= _NIBBLE_MAX:  # one byte: seconds in the op byte's high nibble
            return bytes([seconds << 4 | fmt.NEXT])
        return bytes([fmt.NEXT, seconds])
    short = _short(op) if version >= fmt.VERSION_EXERCISES else None
    if short is not None:
        head = bytes([op.kind | flags | fmt.SHORT])
        if op.kind == fmt.BREATHE:
            i, h, e, p = short
            return head + bytes([op.count, i << 4 | h, e << 4 | p])
        if op.kind == fmt.REPEAT:
            return head + bytes([op.count, short[0] << 4 | short[1]])
        return head + bytes([short[0]])
    head = bytes([op.kind | flags])
    if op.kind == fmt.BREATHE:
        return head + bytes([op.count, *op.durations])
    if op.kind in (fmt.HOLD, fmt.REST):
        return head + op.durations[0].to_bytes(2, "little")  # u16 ds
    if op.kind == fmt.REPEAT:
        return head + bytes([op.count, *op.durations])
    return head


def encode_labels(slug: str, name: str, ops: list[Op], exercises: list[str]) -> bytes:
    out = bytearray()
    for text in (slug, name, *exercises, *(op.label for op in ops)):
        raw = text.encode("utf-8")
        out.append(len(raw))
        out += raw
    return bytes(out)


def compile_ops(ops: list[Op], slug: str, name: str, *, labels: bool = True, version: int = 1,
                countdown: int = 0, exercises: list[str] | None = None) -> bytes:
    """Header, steps and (optionally) the label table; the CRC is filled in last.

    Version 2 only: `countdown` seconds in the header flags, `exercises` (one name per
    exercise) in the label table.
    """
    body = b"".join(encode_step(op, version) for op in ops)
    if labels:
        body += encode_labels(slug, name, ops, (exercises or []) if version > 1 else [])
    total = fmt.HEADER_SIZE + len(body)
    flags = fmt.FLAG_LABELS if labels else 0
    if version >= fmt.VERSION_EXERCISES:
        flags |= countdown << fmt.COUNTDOWN_SHIFT & fmt.COUNTDOWN_MASK
    head = (fmt.MAGIC, version, flags, routine_id(slug), len(ops), total & 0xFFFF)
    crc = fmt.file_crc(wire.pack(fmt.HEADER, *head, 0) + body)  # the crc field is skipped
    return wire.pack(fmt.HEADER, *head, crc) + body


def format_version(routine: Routine) -> int:
    """1 for a source with plain [[steps]], 2 for one with [[exercises]], 3 when its steps
    need v3 (a wait for the press, a whole-body side switch)."""
    if not routine.exercises:
        return 1
    if any(op.kind == fmt.WAIT or op.body for op in routine.ops()):
        return fmt.VERSION_WAIT
    return fmt.VERSION_EXERCISES


def compile_routine(routine: Routine, *, labels: bool = True, check: bool = True) -> bytes:
    """Compile a validated routine. With check, refuse output the format cannot hold."""
    data = compile_ops(routine.ops(), routine.slug, routine.name, labels=labels,
                       version=format_version(routine), countdown=routine.countdown,
                       exercises=[ex.name for ex in routine.exercises])
    if check and len(data) > m.MAX_FILE_BYTES:
        raise RoutineError(f"{routine.path}: compiled routine is {len(data)} bytes,"
                             f" at most {m.MAX_FILE_BYTES}")
    return data
