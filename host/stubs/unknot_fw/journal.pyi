# The session record format and the Journal of firmware journal.py (Store is the device's own).
from typing import Final

from typing_extensions import Buffer

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

_Fields = tuple[int, int, int, int, int, int, int, int]

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
def unpack_record(b: Buffer) -> _Fields | None: ...

class Journal:
    """The device's session journal (its layout is firmware-internal, docs/firmware.md)."""

    head: int
    tail: int
    capacity: int
    def __init__(self, nvm: bytearray, offset: int = 512, size: int | None = None) -> None: ...
    def __len__(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    def append(
        self,
        start: int,
        routine_id: int,
        steps_done: int,
        steps_total: int,
        active_s: int,
        flags: int,
        boot: int,
    ) -> int: ...
    def read(self, seq: int) -> bytes | None: ...
