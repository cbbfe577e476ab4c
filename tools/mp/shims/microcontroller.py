"""Stand-in for CircuitPython's `microcontroller` on the MicroPython unix port.

`nvm` is backed by a file (env UNKNOT_MP_NVM, default /tmp/unknot_mp_nvm.bin; created 0xFF
like erased flash), so that, as on the board, the 8 KiB of nvm are not on the VM's heap.
"""

import os


class _FileNVM:
    def __init__(self, path, size=8192):
        self.size = size
        try:
            self.f = open(path, "r+b")
        except OSError:
            self.f = open(path, "w+b")
            chunk = b"\xff" * 256
            for _ in range(size // 256):
                self.f.write(chunk)
            self.f.flush()

    def __len__(self):
        return self.size

    def __getitem__(self, key):
        if isinstance(key, int):
            self.f.seek(key)
            return self.f.read(1)[0]
        start = key.start or 0
        stop = self.size if key.stop is None else key.stop
        self.f.seek(start)
        return self.f.read(stop - start)

    def __setitem__(self, key, value):
        if isinstance(key, int):
            self.f.seek(key)
            self.f.write(bytes([value]))
        else:
            self.f.seek(key.start or 0)
            self.f.write(value)
        self.f.flush()


nvm = _FileNVM(os.getenv("UNKNOT_MP_NVM") or "/tmp/unknot_mp_nvm.bin")


class _Cpu:
    uid = b"\x11\x22\x33\x44\x55\x66\x77\x88"


cpu = _Cpu()
