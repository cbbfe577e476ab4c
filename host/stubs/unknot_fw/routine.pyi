from collections.abc import Iterable, Iterator
from typing import Final

from typing_extensions import Buffer

MAGIC: Final[bytes]
VERSION: Final[int]
VERSION_EXERCISES: Final[int]
VERSION_WAIT: Final[int]
HEADER: Final[str]
HEADER_SIZE: Final[int]
CRC_OFFSET: Final[int]
FLAG_LABELS: Final[int]
COUNTDOWN_SHIFT: Final[int]
COUNTDOWN_MASK: Final[int]
HEADER_FLAGS: Final[bytes]
KIND_MASK: Final[int]
BEGIN: Final[int]
END: Final[int]
BREATHE: Final[int]
HOLD: Final[int]
REPEAT: Final[int]
REST: Final[int]
SWITCH: Final[int]
NEXT: Final[int]
WAIT: Final[int]
DS_MS: Final[int]
SIDES: Final[int]
TICK: Final[int]
SHORT: Final[int]
BODY: Final[int]
STEP_SIZE: Final[bytes]
SHORT_SIZE: Final[bytes]
ALLOWED_FLAGS: Final[bytes]
TRUNCATED: Final[str]
BAD_MAGIC: Final[str]
BAD_VERSION: Final[str]
BAD_FLAGS: Final[str]
BAD_LENGTH: Final[str]
BAD_CRC: Final[str]
BAD_STEP: Final[str]
BAD_LABELS: Final[str]

_Step = tuple[int, ...]  # (kind, flags, *fields): as many fields as the kind needs

class RoutineFormatError(ValueError):
    reason: str
    def __init__(self, reason: str) -> None: ...

def tally(kinds: Iterable[int], end: int = -1) -> tuple[int, int]: ...

class Routine:
    data: Buffer
    file: str
    label_at: int
    def __init__(self, data: Buffer, labels: int = 0) -> None: ...
    @property
    def id(self) -> int: ...
    @property
    def countdown(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...
    def iter_steps(self) -> Iterator[_Step]: ...
    @property
    def steps(self) -> list[_Step]: ...
    def tally(self, end: int = -1) -> tuple[int, int]: ...
    def work_steps(self) -> int: ...

def file_crc(data: Buffer) -> int: ...
def walk(
    data: Buffer, version: int, step_count: int, end: list[int] | None
) -> Iterator[_Step]: ...
def labels(data: Buffer, pos: int, count: int) -> Iterator[tuple[int, int]]: ...
def decode(data: Buffer) -> Routine: ...
