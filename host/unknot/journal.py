"""Session records (docs/journal.md): the 20-byte record the device journals and syncs.

The layout, sizes and flag bits are the firmware journal's, and so are the code that packs
and checks a record (`pack_record`, `unpack_record`, read through unknot.core): this module
gives them host types and strict errors, and restates none of them.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

from unknot.core import journal as fmt
from unknot.core import wire
from unknot.errors import UnknotError


class RecordError(UnknotError):
    """A session record has the wrong length, a bad CRC or an empty-slot seq."""


class FlagsMixin:
    """Named views of the record flags, shared by device records and stored sessions."""

    flags: int

    @property
    def completed(self) -> bool:
        return bool(self.flags & fmt.COMPLETED)

    @property
    def aborted(self) -> bool:
        return bool(self.flags & fmt.ABORTED)

    @property
    def clock_unset(self) -> bool:
        return bool(self.flags & fmt.CLOCK_UNSET)

    @property
    def from_nudge(self) -> bool:
        return bool(self.flags & fmt.FROM_NUDGE)


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
    """Encode one record, CRC included (the firmware's pack_record). Raises RecordError if a
    field is out of range (the firmware would clamp it)."""
    raw = fmt.pack_record(*astuple(rec))
    if fmt.unpack_record(raw) != astuple(rec):
        raise RecordError(f"session record {rec.seq}: a field is out of range")
    return raw


def unpack(b: bytes) -> SessionRecord:
    """Decode one record (the firmware's unpack_record); RecordError on a wrong length, a CRC
    mismatch or an empty-slot seq."""
    if len(b) != fmt.RECORD_SIZE:
        raise RecordError(f"session record: wrong length {len(b)}, expected {fmt.RECORD_SIZE}")
    fields = fmt.unpack_record(b)
    if fields is None:
        seq = wire.unpack(fmt.RECORD_BODY, b)[0]
        raise RecordError(f"session record {seq:#x}: CRC mismatch, or a reserved seq (an empty"
                          " slot)")
    return SessionRecord(*fields)


def from_wire(seq: int, data: bytes) -> bytes:
    """The full record, seq and CRC added, of one synced record: the record body's bytes
    [WIRE_START:CRC_SPAN]."""
    if len(data) != fmt.WIRE_RECORD_SIZE:
        raise RecordError(f"synced record {seq}: {len(data)} bytes, expected"
                          f" {fmt.WIRE_RECORD_SIZE}")
    fields = wire.unpack(fmt.RECORD_BODY, bytes(fmt.WIRE_START) + data)  # seq: filled below
    return fmt.pack_record(seq, *fields[1:])
