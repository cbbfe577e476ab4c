"""Stand-in for `microcontroller` on the board model.

`nvm`: 8 KiB (CIRCUITPY_INTERNAL_NVM_SIZE) kept in the file /.model/nvm.bin, not on the heap:
on the board it is flash, and a slice write copies the 4 KiB page through a C stack buffer
(ports/nordic/common-hal/nvm/ByteArray.c `write_page`), never the heap; a slice read returns
a new bytes object (shared-bindings/nvm/ByteArray.c: m_new + bytes), as here. A read is
C on the board (a memcpy from flash): it is bracketed by the host calls "c(" / "c)", so the
file I/O here costs no fuel (tools/board/scenario.py CCalls; what is left, the method
call and the bracket, 30-70 us a read, stands for the binding's call).
"""

import host

_call = host.call  # the VM's host call itself: the bracket's own cost stays small

NVM_SIZE = 8192


class Pin:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "board." + self.name


class _Nvm:
    def __init__(self, path):
        self.f = open(path, "r+b")

    def __len__(self):
        return NVM_SIZE

    def __getitem__(self, key):
        _call("c(", "")
        if isinstance(key, int):
            self.f.seek(key)
            out = self.f.read(1)[0]
        else:
            start = key.start or 0
            stop = NVM_SIZE if key.stop is None else key.stop
            self.f.seek(start)
            out = self.f.read(stop - start)
        _call("c)", "")
        return out

    def __setitem__(self, key, value):
        if isinstance(key, int):
            start, value = key, bytes((value,))
        else:
            start = key.start or 0
            stop = NVM_SIZE if key.stop is None else key.stop
            if stop - start != len(value):
                raise ValueError("Slice and value different lengths.")
        if start < 0 or start + len(value) > NVM_SIZE:
            raise IndexError("index out of range")
        self.f.seek(start)
        self.f.write(value)
        self.f.flush()


nvm = _Nvm("/.model/nvm.bin")


class _Cpu:
    uid = b"\x11\x22\x33\x44\x55\x66\x77\x88"
    temperature = 25.0
    voltage = 3.3


cpu = _Cpu()


class _Watchdog:
    timeout = 0
    mode = None

    def feed(self):
        pass


watchdog = _Watchdog()


def reset():
    raise SystemExit(3)
