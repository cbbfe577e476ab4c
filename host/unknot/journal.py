"""Session records (docs/journal.md): the 20-byte record the device journals and syncs.

The layout, sizes and flag bits are the firmware journal's (read through unknot.core); this
module gives them host types and strict errors.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from unknot.core import journal as fmt
from unknot.errors import UnknotError

RECORD = fmt.RECORD
RECORD_SIZE = fmt.RECORD_SIZE
WIRE_RECORD_SIZE = fmt.WIRE_RECORD_SIZE

COMPLETED = fmt.COMPLETED
ABORTED = fmt.ABORTED
CLOCK_UNSET = fmt.CLOCK_UNSET
FROM_NUDGE = fmt.FROM_NUDGE

EMPTY_SEQS = (0, fmt.EMPTY_SEQ)


class RecordError(UnknotError):
    """A session record has the wrong length, a bad CRC or an empty-slot seq."""


class FlagsMixin:
    """Named views of the record flags, shared by device records and stored sessions."""

    flags: int

    @property
    def completed(self) -> bool:
        return bool(self.flags & COMPLETED)

    @property
    def aborted(self) -> bool:
        return bool(self.flags & ABORTED)

    @property
    def clock_unset(self) -> bool:
        return bool(self.flags & CLOCK_UNSET)

    @property
    def from_nudge(self) -> bool:
        return bool(self.flags & FROM_NUDGE)


@dataclass(frozen=True)
class SessionRecord(FlagsMixin):
    seq: int
    start: int
    routine_id: int
    steps_done: int
    steps_total: int
    active_s: int
    flags: int
    boot: int



def pack(rec: SessionRecord) -> bytes:
    """Encode one record, CRC included. Raises RecordError if a field is out of range."""
    try:
        body = struct.pack(
            fmt.RECORD_BODY,
            rec.seq,
            rec.start,
            rec.routine_id,
            rec.steps_done,
            rec.steps_total,
            rec.active_s,
            rec.flags,
            rec.boot,
        )
    except struct.error as exc:
        raise RecordError(f"session record {rec.seq}: field out of range ({exc})") from exc
    return body + struct.pack(fmt.RECORD_CRC, zlib.crc32(body))


def unpack(b: bytes) -> SessionRecord:
    """Decode one record; RecordError on wrong length, CRC mismatch or an empty-slot seq."""
    if len(b) != RECORD_SIZE:
        raise RecordError(f"session record: wrong length {len(b)}, expected {RECORD_SIZE}")
    seq, start, rid, done, total, active, flags, boot, crc = struct.unpack(RECORD, b)
    if zlib.crc32(b[: fmt.CRC_SPAN]) != crc:
        raise RecordError(f"session record {seq}: CRC mismatch")
    if seq in EMPTY_SEQS:
        raise RecordError(f"session record has reserved seq {seq:#x} (empty slot)")
    return SessionRecord(seq, start, rid, done, total, active, flags, boot)


def from_wire(seq: int, wire: bytes) -> bytes:
    """The full record, seq and CRC added, of one synced record (fmt.WIRE_RECORD)."""
    if len(wire) != WIRE_RECORD_SIZE:
        raise RecordError(f"synced record {seq}: {len(wire)} bytes, expected {WIRE_RECORD_SIZE}")
    body = struct.pack(fmt.RECORD_BODY, seq, *struct.unpack(fmt.WIRE_RECORD, wire))
    return body + struct.pack(fmt.RECORD_CRC, zlib.crc32(body))
