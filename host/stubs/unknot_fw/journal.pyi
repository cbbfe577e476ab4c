# The record format and the Journal (layout v3, RAM hold: docs/journal.md) of journal.py.
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
RAM_MAGIC: Final[bytes]
RAM_HEADER: Final[str]
RAM_HEADER_SIZE: Final[int]
RAM_MAX: Final[int]
HOLD: Final[int]

class Journal:
    """The device's journal, boot counter and settings in nvm (layout: docs/journal.md)."""

    nvm: Any
    storage: Any
    ram: Any
    hold: int
    refused: str | None
    slot_size: int
    capacity: int
    pending: bool
    migrated: int
    generation: int
    epoch: int
    boot: int
    settings: bytes
    durable: int
    spare: int
    head: int
    held: int
    count: int
    writes: int
    error: str | None
    ram_lost: bool
    def __init__(
        self, nvm: Any, storage: Any = None, ram: Any = None, hold: int = ..., page: int = ...
    ) -> None: ...
    def recover(self) -> None: ...
    def set_settings(self, blob: bytes) -> None: ...
    def flush(self) -> bool: ...
    def set_boot(self, boot: int) -> None: ...
    def save_ram(self) -> None: ...
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
        defer: bool = ...,
    ) -> int: ...
    @property
    def due(self) -> bool: ...
    _next: int
    def _write(self, keep: int | None = ..., new: bytes = ...) -> None: ...
    def read(self, seq: int) -> bytes | None: ...
