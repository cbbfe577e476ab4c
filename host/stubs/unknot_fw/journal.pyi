# The session record format and the Journal (nvm layout v2, docs/journal.md) of firmware journal.py.
from collections.abc import Iterable
from typing import Any, Final

from typing_extensions import Buffer

RECORD_BODY: Final[str]
RECORD_CRC: Final[str]
RECORD_SIZE: Final[int]
CRC_SPAN: Final[int]
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

MAGIC: Final[bytes]
HEADER: Final[str]
HEADER_SIZE: Final[int]
SETTINGS_MAX: Final[int]
RECORDS_AT: Final[int]
STASH: Final[str]

class Journal:
    """The device's journal, boot counter and settings in nvm (layout: docs/journal.md)."""

    nvm: Any
    storage: Any
    slot_size: int
    capacity: int
    pending: bool
    migrated: int
    generation: int
    epoch: int
    boot: int
    settings: bytes
    head: int
    count: int
    def __init__(self, nvm: Any, storage: Any = None) -> None: ...
    def recover(self) -> None: ...
    def set_settings(self, blob: bytes) -> None: ...
    def flush(self) -> bool: ...
    @property
    def tail(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    def __len__(self) -> int: ...
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
    def extend(self, fields: Iterable[tuple[int, int, int, int, int, int, int]]) -> None: ...
    def read(self, seq: int) -> bytes | None: ...
