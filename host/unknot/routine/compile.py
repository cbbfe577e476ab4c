"""Compile a routine to the v1 binary format (docs/format.md). Output is deterministic.

The format itself (header layout, magic, version, flags, kind codes, the file CRC) is the
firmware's definition, read through unknot.core; this module only writes it.
"""

from __future__ import annotations

import binascii
import struct

from unknot.core import library
from unknot.core import routine as fmt
from unknot.errors import RoutineError
from unknot.routine import model as m
from unknot.routine.model import Op, Routine

_U16 = "<H"  # HOLD / REST duration field
_CRC = "<I"  # the header's crc32 field, at fmt.CRC_OFFSET


def file_name(slug: str) -> str:
    """The routine's file name on the device: <slug>.unk (the firmware loads that suffix)."""
    return slug + library.SUFFIX


def routine_id(slug: str) -> int:
    """The numeric routine id: crc32 of the UTF-8 slug, low 16 bits."""
    return binascii.crc32(slug.encode("utf-8")) & 0xFFFF


def encode_step(op: Op) -> bytes:
    """The bytes of one step: op byte (kind | flags) and its fields."""
    flags = (m.FLAG_SIDES if op.sides else 0) | (m.FLAG_TICK if op.tick else 0)
    head = bytes([op.kind | flags])
    if op.kind == m.BREATHE:
        return head + bytes([op.count, *op.durations])
    if op.kind in (m.HOLD, m.REST):
        return head + struct.pack(_U16, op.durations[0])
    if op.kind == m.REPEAT:
        return head + bytes([op.count, *op.durations])
    return head


def encode_labels(slug: str, name: str, ops: list[Op]) -> bytes:
    out = bytearray()
    for text in (slug, name, *(op.label for op in ops)):
        raw = text.encode("utf-8")
        out.append(len(raw))
        out += raw
    return bytes(out)


def compile_ops(ops: list[Op], slug: str, name: str, *, labels: bool = True) -> bytes:
    """Header, steps and (optionally) the label table; the CRC is filled in last."""
    body = b"".join(encode_step(op) for op in ops)
    if labels:
        body += encode_labels(slug, name, ops)
    total = fmt.HEADER_SIZE + len(body)
    flags = fmt.FLAG_LABELS if labels else 0
    data = struct.pack(fmt.HEADER, fmt.MAGIC, fmt.VERSION, flags, routine_id(slug), len(ops),
                       total & 0xFFFF, 0) + body
    crc = struct.pack(_CRC, fmt.file_crc(data))
    return data[: fmt.CRC_OFFSET] + crc + data[fmt.HEADER_SIZE :]


def compile_routine(routine: Routine, *, labels: bool = True, check: bool = True) -> bytes:
    """Compile a validated routine. With check, refuse output the format cannot hold."""
    data = compile_ops(routine.ops(), routine.slug, routine.name, labels=labels)
    if check and len(data) > m.MAX_FILE_BYTES:
        raise RoutineError(f"{routine.path}: compiled routine is {len(data)} bytes,"
                             f" at most {m.MAX_FILE_BYTES}")
    return data
