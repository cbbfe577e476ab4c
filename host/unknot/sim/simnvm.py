"""The simulated device's non-volatile memory: `new_nvm()` is the one place an nvm is made
off the board (tests, benchmarks, `unknot sim`/`demo`, and the MicroPython shim of
`microcontroller.nvm`), so a better model (a page-erase flash model) drops in here.
MicroPython subset, loaded as `simnvm` from MICROPYPATH=host/unknot/sim; small on purpose:
the MicroPython heap runs load it."""

import os

try:
    from typing import Any
except ImportError:  # MicroPython: annotations are not evaluated
    pass

NVM_SIZE = 8192  # bytes, like microcontroller.nvm on the nRF52840 CircuitPython port


class FileNVM:
    """nvm in a file, not in RAM (as on the board, the bytes are not on the VM's heap):
    created erased (0xFF) when missing or of another size; each write goes through."""

    def __init__(self, path: str, size: int = NVM_SIZE) -> None:
        self.size = size
        try:
            ok = os.stat(path)[6] == size
        except OSError:
            ok = False
        if not ok:
            with open(path, "wb") as f:
                chunk = b"\xff" * 256
                for _ in range(size // 256):
                    f.write(chunk)
                f.write(b"\xff" * (size % 256))
        self.f = open(path, "r+b")

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: "Any") -> "Any":
        if isinstance(key, int):
            self.f.seek(key)
            return self.f.read(1)[0]
        start = key.start or 0
        stop = self.size if key.stop is None else key.stop
        self.f.seek(start)
        return self.f.read(max(0, stop - start))

    def __setitem__(self, key: "Any", value: "Any") -> None:
        if isinstance(key, int):
            self.f.seek(key)
            self.f.write(bytes([value]))
        else:
            self.f.seek(key.start or 0)
            self.f.write(value)
        self.f.flush()
        fsync = getattr(os, "fsync", None)  # CPython: survive a killed process
        if fsync is not None:
            fsync(self.f.fileno())

    def close(self) -> None:
        self.f.close()


def new_nvm(size: int = NVM_SIZE, path: "str | None" = None) -> "FileNVM | bytearray":
    """The one place a simulated nvm is made: erased (0xFF) `size` bytes, in RAM, or in the
    file `path` (kept across runs)."""
    if path is not None:
        return FileNVM(path, size)
    return bytearray(b"\xff" * size)
