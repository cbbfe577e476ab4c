from typing import Any, Protocol

from typing_extensions import Buffer

VERSION: int
COMPANY: int
AD_TYPE: int
PAYLOAD: str
PAYLOAD_SIZE: int
TAG_SIZE: int
COUNTER_MASK: int
ROTATE_MS: int
LABEL: bytes
KEY_SIZE: int

class _HasJournal(Protocol):
    journal: Any
    keyring: Any

def secret(device_secret: Buffer, epoch: int) -> bytes: ...
def secret_of(app: _HasJournal) -> bytes | None: ...
def tag(secret: Buffer, counter: int, head: int) -> bytes: ...
def parse(payload: Buffer) -> tuple[int, int, bytes] | None: ...

class Advert:
    data: bytearray
    counter: int
    head: int | None
    due_ms: int | None
    updates: int
    def __init__(self) -> None: ...
    def due(self, head: int, now_ms: int, busy: bool = False) -> bool: ...
    def update(self, secret: Buffer | None, head: int, now_ms: int, busy: bool = False) -> bool: ...
