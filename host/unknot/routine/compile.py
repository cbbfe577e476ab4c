"""Compile a routine to the binary format (docs/format.md). Output is deterministic.

A source with [[steps]] compiles to version 1 (byte for byte as before); a source with
[[exercises]] compiles to version 2 (get-ready steps, countdown, SHORT steps, exercise
names in the label table).
"""

from __future__ import annotations

import binascii
import struct

from unknot.errors import RoutineError
from unknot.routine import model as m
from unknot.routine.model import Op, Routine

MAGIC = b"UNKR"
VERSION = 2  # the newest version written
VERSION_EXERCISES = 2
HEADER = "<4sBBHHHI"
HEADER_SIZE = struct.calcsize(HEADER)  # 16
FLAG_LABELS = 0x01
COUNTDOWN_SHIFT = 1  # v2 header flags bits 1-3
COUNTDOWN_MASK = 0x0E
_U16 = "<H"


def routine_id(slug: str) -> int:
    """The numeric routine id: crc32 of the UTF-8 slug, low 16 bits."""
    return binascii.crc32(slug.encode("utf-8")) & 0xFFFF


def file_crc(data: bytes) -> int:
    """CRC-32 of bytes [0:12] followed by bytes [16:] (the crc field itself is skipped)."""
    return binascii.crc32(data[16:], binascii.crc32(data[0:12]))


def _short(op: Op) -> list[int] | None:
    """The durations in whole seconds if the v2 SHORT form holds them, else None."""
    if op.kind not in (m.BREATHE, m.HOLD, m.REPEAT, m.REST):
        return None
    if any(d % 10 for d in op.durations):
        return None
    secs = [d // 10 for d in op.durations]
    limit = 255 if op.kind in (m.HOLD, m.REST) else 15
    return secs if max(secs) <= limit else None


def encode_step(op: Op, version: int = 1) -> bytes:
    """The bytes of one step: op byte (kind | flags) and its fields."""
    flags = (m.FLAG_SIDES if op.sides else 0) | (m.FLAG_TICK if op.tick else 0)
    if op.kind == m.NEXT:
        seconds = op.durations[0] // 10
        if version < VERSION_EXERCISES or op.durations[0] % 10 or not 1 <= seconds <= 255:
            raise RoutineError(f"a get-ready step of {op.durations[0] / 10:g} s cannot be"
                               f" encoded in format v{version}")
        return bytes([seconds << 4 | m.NEXT]) if seconds < 16 else bytes([m.NEXT, seconds])
    short = _short(op) if version >= VERSION_EXERCISES else None
    if short is not None:
        head = bytes([op.kind | flags | m.FLAG_SHORT])
        if op.kind == m.BREATHE:
            i, h, e, p = short
            return head + bytes([op.count, i << 4 | h, e << 4 | p])
        if op.kind == m.REPEAT:
            return head + bytes([op.count, short[0] << 4 | short[1]])
        return head + bytes([short[0]])
    head = bytes([op.kind | flags])
    if op.kind == m.BREATHE:
        return head + bytes([op.count, *op.durations])
    if op.kind in (m.HOLD, m.REST):
        return head + struct.pack(_U16, op.durations[0])
    if op.kind == m.REPEAT:
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
    total = HEADER_SIZE + len(body)
    flags = FLAG_LABELS if labels else 0
    if version >= VERSION_EXERCISES:
        flags |= countdown << COUNTDOWN_SHIFT & COUNTDOWN_MASK
    data = struct.pack(HEADER, MAGIC, version, flags, routine_id(slug), len(ops),
                       total & 0xFFFF, 0) + body
    return data[:12] + struct.pack("<I", file_crc(data)) + data[16:]


def format_version(routine: Routine) -> int:
    """1 for a source with plain [[steps]], 2 for one with [[exercises]]."""
    return VERSION_EXERCISES if routine.exercises else 1


def compile_routine(routine: Routine, *, labels: bool = True, check: bool = True) -> bytes:
    """Compile a validated routine. With check, refuse output the format cannot hold."""
    data = compile_ops(routine.ops(), routine.slug, routine.name, labels=labels,
                       version=format_version(routine), countdown=routine.countdown,
                       exercises=[ex.name for ex in routine.exercises])
    if check and len(data) > m.MAX_FILE_BYTES:
        raise RoutineError(f"{routine.path}: compiled routine is {len(data)} bytes,"
                             f" at most {m.MAX_FILE_BYTES}")
    return data
