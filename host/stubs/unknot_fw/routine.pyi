from typing import Final

from typing_extensions import Buffer

MAGIC: Final[bytes]
VERSION: Final[int]
HEADER: Final[str]
HEADER_SIZE: Final[int]
CRC_OFFSET: Final[int]
FLAG_LABELS: Final[int]
KIND_MASK: Final[int]
BEGIN: Final[int]
END: Final[int]
BREATHE: Final[int]
HOLD: Final[int]
REPEAT: Final[int]
REST: Final[int]
SWITCH: Final[int]
DS_MS: Final[int]
SIDES: Final[int]
TICK: Final[int]
STEP_SIZE: Final[dict[int, int]]
ALLOWED_FLAGS: Final[dict[int, int]]
TRUNCATED: Final[str]
BAD_MAGIC: Final[str]
BAD_VERSION: Final[str]
BAD_FLAGS: Final[str]
BAD_LENGTH: Final[str]
BAD_CRC: Final[str]
BAD_STEP: Final[str]
BAD_LABELS: Final[str]

_Step = tuple[int, int, int, int, int, int, int]  # kind, flags, a, b, c, d, e

class RoutineFormatError(ValueError):
    reason: str
    def __init__(self, reason: str) -> None: ...

class Routine:
    id: int
    steps: list[_Step]
    slug: str
    name: str
    size: int
    file: str
    def __init__(
        self, routine_id: int, steps: list[_Step], slug: str = "", name: str = "", size: int = 0
    ) -> None: ...
    def work_steps(self) -> int: ...

def file_crc(data: Buffer) -> int: ...
def decode(data: Buffer) -> Routine: ...
