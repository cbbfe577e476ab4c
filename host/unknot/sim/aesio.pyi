# Types of the aesio stand-in (aesio.py: also run by MicroPython, so it carries no annotations).
from typing import Final

MODE_ECB: Final[int]
MODE_CBC: Final[int]
MODE_CTR: Final[int]

_Buf = bytes | bytearray | memoryview

class AES:
    mode: int
    def __init__(
        self, key: _Buf, mode: int = ..., IV: _Buf | None = None,
        counter: object = None, segment_size: int = 8,
    ) -> None: ...
    def rekey(self, key: _Buf, IV: _Buf | None = None) -> None: ...
    def encrypt_into(self, src: _Buf, dest: bytearray | memoryview) -> None: ...
