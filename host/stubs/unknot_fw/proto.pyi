# The sync protocol (docs/protocol.md): opcodes, statuses, frame formats and the handler.
from collections.abc import Callable
from typing import Final

from .upload import Upload

PROTOCOL_VERSION: Final[int]
F_DATA: Final[int]
F_END: Final[int]
F_RESP: Final[int]
OP_READ: Final[int]
OP_SET_CLOCK: Final[int]
OP_UPLOAD_BEGIN: Final[int]
OP_UPLOAD_CHUNK: Final[int]
OP_UPLOAD_COMMIT: Final[int]
OP_UPLOAD_ABORT: Final[int]
OP_SET_SETTINGS: Final[int]
OP_SELFTEST: Final[int]
OP_FOLLOW: Final[int]
OP_AUTH_BEGIN: Final[int]
OP_AUTH: Final[int]
OP_PAIR_BEGIN: Final[int]
OP_PAIR_REVEAL: Final[int]
OP_PAIR_CHECK: Final[int]
OP_HOSTS: Final[int]
OP_STATE: Final[int]
ST_OK: Final[int]
ST_BAD_LENGTH: Final[int]
ST_BAD_ARG: Final[int]
ST_BUSY: Final[int]
ST_NO_UPLOAD: Final[int]
ST_BAD_OFFSET: Final[int]
ST_BAD_CRC: Final[int]
ST_TOO_LARGE: Final[int]
ST_STORAGE: Final[int]
ST_BAD_SETTING: Final[int]
ST_BAD_FILE: Final[int]
ST_TOO_MANY: Final[int]
ST_AUTH_REQUIRED: Final[int]
ST_AUTH_FAILED: Final[int]
ST_NOT_PAIRABLE: Final[int]
ST_PENDING: Final[int]
ST_REFUSED: Final[int]
STATE_CLOCK_SET: Final[int]
STATE_UPLOAD_OPEN: Final[int]
STATE_NVM_ERROR: Final[int]
STATE_NVM_REFUSED: Final[int]
BATTERY_UNKNOWN: Final[int]
INFO: Final[str]
STATE: Final[str]
REQ_AUTH_BEGIN: Final[str]
RESP_AUTH_BEGIN: Final[str]
REQ_AUTH: Final[str]
RESP_AUTH: Final[str]
REQ_PAIR_BEGIN: Final[str]
RESP_PAIR_BEGIN: Final[str]
REQ_PAIR_REVEAL: Final[str]
REQ_PAIR_CHECK: Final[str]
REQ_HOSTS: Final[str]
HOSTS_ENTRY: Final[str]
HOSTS_LIST: Final[int]
HOSTS_NAME: Final[int]
HOSTS_FORGET: Final[int]
HOSTS_CHECK: Final[int]
REQ_READ: Final[str]
REQ_SET_CLOCK: Final[str]
END: Final[str]
RESP: Final[str]
SET_INT: Final[int]
SET_STR: Final[int]
SET_BOOL: Final[int]
MAX_UPLOAD: Final[int]
MAX_NAME: Final[int]
MAX_FILES: Final[int]

class Protocol:
    """One sync-protocol session; `app` is a firmware App (typed by its own module)."""

    sender: Callable[[bytes | memoryview], object] | None
    mtu: int
    last_response: bytes
    authenticated: bool
    def __init__(
        self, app: object, upload: Callable[[object], Upload] | None = None,
        pairing: Callable[[], object] | None = None,
    ) -> None: ...
    def set_mtu(self, mtu: int) -> None: ...
    def reset(self) -> None: ...
    def connect(self, now_ms: int) -> None: ...
    def drop_at(self, now_ms: int) -> int | None: ...
    def poll(self, now_ms: int) -> int | None: ...
    def info(self) -> bytearray: ...
    def state(self) -> bytes: ...
    def control(self, data: bytes | bytearray | memoryview) -> None: ...
    def next_frame(self) -> bytes | memoryview | None: ...
    def reset_upload(self) -> None: ...
