"""Session records (docs/journal.md): the 20-byte record the device journals and syncs."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from unknot.errors import UnknotError

RECORD = "<IIHBBHBBI"
RECORD_SIZE = struct.calcsize(RECORD)  # 20
_BODY = RECORD[:-1]  # the same fields without the trailing crc32
_CRC = "<" + RECORD[-1]
_CRC_SPAN = struct.calcsize(_BODY)  # 16

COMPLETED = 1
ABORTED = 2
CLOCK_UNSET = 4
FROM_NUDGE = 8

EMPTY_SEQS = (0, 0xFFFFFFFF)


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
            _BODY,
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
    return body + struct.pack(_CRC, zlib.crc32(body))


def unpack(b: bytes) -> SessionRecord:
    """Decode one record; RecordError on wrong length, CRC mismatch or an empty-slot seq."""
    if len(b) != RECORD_SIZE:
        raise RecordError(f"session record: wrong length {len(b)}, expected {RECORD_SIZE}")
    seq, start, rid, done, total, active, flags, boot, crc = struct.unpack(RECORD, b)
    if zlib.crc32(b[:_CRC_SPAN]) != crc:
        raise RecordError(f"session record {seq}: CRC mismatch")
    if seq in EMPTY_SEQS:
        raise RecordError(f"session record has reserved seq {seq:#x} (empty slot)")
    return SessionRecord(seq, start, rid, done, total, active, flags, boot)
