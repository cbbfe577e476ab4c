# STATUS notifications (docs/protocol.md "Status"): frame format and event codes.
from typing import Final

F_STATUS: Final[int]
STATUS: Final[str]
STATUS_SIZE: Final[int]
REQ_FOLLOW: Final[str]
NO_STEP: Final[int]
NO_BREAK: Final[int]
MAX_BREAK_S: Final[int]
ANNOUNCE_MAX: Final[int]
FL_SIDE2: Final[int]
FL_PAUSED: Final[int]
FL_NUDGE: Final[int]
EVENTS: Final[tuple[str, ...]]
