# The record-format part of firmware journal.py (the Journal and Store classes are the
# device's own; the host reaches them only through a running App).
from collections.abc import Buffer
from typing import Final

RECORD_BODY: Final[str]
RECORD_CRC: Final[str]
RECORD: Final[str]
RECORD_SIZE: Final[int]
CRC_SPAN: Final[int]
WIRE_RECORD: Final[str]
WIRE_START: Final[int]
WIRE_RECORD_SIZE: Final[int]
EMPTY_SEQ: Final[int]
COMPLETED: Final[int]
ABORTED: Final[int]
CLOCK_UNSET: Final[int]
FROM_NUDGE: Final[int]

Fields = tuple[int, int, int, int, int, int, int, int]

def pack_record(
    seq: int,
    start: int,
    routine_id: int,
    steps_done: int,
    steps_total: int,
    active_s: int,
    flags: int,
    boot: int,
) -> bytes: ...
def unpack_record(b: Buffer) -> Fields | None: ...
