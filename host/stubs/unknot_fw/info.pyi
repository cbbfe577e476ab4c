# The INFO characteristic's value (docs/protocol.md "Info"), served before any connection.
from typing import Final

PROTOCOL_VERSION: Final[int]
INFO: Final[str]
INFO_SIZE: Final[int]

def value(device_id: bytes) -> bytearray: ...
def version() -> tuple[int, int, int]: ...
