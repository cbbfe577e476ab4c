# Types of unknot.sim.simnvm (a MicroPython-subset module: no annotations at run time).
from typing import Any, BinaryIO, overload

PAGE_SIZE: int
WORD: int
NVM_SIZE: int
RATED_ERASES: int

class PowerCut(Exception): ...

class PageNVM:
    page: int
    data: bytearray
    erases: list[int]
    steps: int
    cut_in: int | None
    fail_writes: int
    def __init__(
        self,
        size: int = ...,
        page: int = ...,
        data: bytes | bytearray | None = ...,
    ) -> None: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: int) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...
    def __setitem__(self, key: int | slice, value: Any) -> None: ...
    def _step(self) -> None: ...

def size_for(slot_bytes: int, page: int = ...) -> int: ...

class FilePageNVM(PageNVM):
    size: int
    f: BinaryIO
    def __init__(self, path: str, size: int = ..., page: int = ...) -> None: ...
    def close(self) -> None: ...

def new_nvm(size: int = ..., path: str | None = ..., page: int = ...) -> PageNVM: ...
