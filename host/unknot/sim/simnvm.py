"""The simulated device's non-volatile memory: `microcontroller.nvm` as CircuitPython's nRF
port implements it (docs/firmware.md "Non-volatile memory"), the one flash model of every
test, benchmark and simulated device. `new_nvm()` is the one place an nvm is made off the
board (tests, benchmarks, `unknot sim`/`demo`, and the MicroPython shim of
`microcontroller.nvm`).

MicroPython subset (no typing at run time; types in simnvm.pyi), loaded as `simnvm` from
MICROPYPATH=host/unknot/sim by the MicroPython runs, as `unknot.sim.simnvm` by CPython.

Every slice (or item) assignment, for each 4 KiB page it touches: the page is copied to RAM,
the new bytes are put in the copy, the page is erased (all 0xFF) and programmed again word by
word (4 bytes), lowest address first (ports/nordic/common-hal/nvm/ByteArray.c `write_page`,
ports/nordic/peripherals/nrf/nvm.c `nrf_nvm_safe_flash_page_write`). It does so even when
the bytes do not change.

Power cuts: set `cut_in = k` and the (k+1)-th flash step (an erase or one word program)
does not happen: `PowerCut` is raised instead and the memory stays as the cut left it (a
page erased and partly programmed). `steps` counts steps done, `erases[p]` erases of page p.
`fail_writes = n` makes the next n writes raise RuntimeError (a SoftDevice flash timeout)
after erasing the page, as a failed `sd_flash_write` leaves it.

The sleep memory next to it (RAM kept through resets) is simram.py.
"""

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


try:
    from os import fsync as _fsync
except ImportError:  # MicroPython: no fsync (a flush reaches the file)
    _fsync = None


PAGE_SIZE = const(4096)  # nRF52840 flash page (erase unit)
WORD = const(4)  # program unit
NVM_SIZE = const(8192)  # CIRCUITPY_INTERNAL_NVM_SIZE on every supported board
RATED_ERASES = const(10000)  # nRF52840 flash endurance per page (product specification)


class PowerCut(Exception):
    """The power went off at a flash step."""


class PageNVM:
    """nvm of `size` bytes (a multiple of `page`) in RAM, erased (0xFF) unless `data` is
    given."""

    def __init__(self, size=NVM_SIZE, page=PAGE_SIZE, data=None):
        if size % page or page % WORD:
            raise ValueError("nvm size must be a multiple of the page size")
        self.page = page
        self.data = bytearray(data) if data is not None else bytearray(b"\xff" * size)
        if len(self.data) != size:
            raise ValueError("nvm data has the wrong size")
        self.erases = [0] * (size // page)
        self.steps = 0
        self.cut_in = None
        self.fail_writes = 0

    def __len__(self):
        return len(self.data)

    def __getitem__(self, key):
        return self.data[key]

    def _put(self, pos, chunk):
        self.data[pos : pos + len(chunk)] = chunk

    def __setitem__(self, key, value):
        if isinstance(key, int):
            start = key
            value = bytes((value,))
        else:
            start = key.start or 0
            stop = len(self) if key.stop is None else key.stop
            value = bytes(value)
            if stop - start != len(value):
                raise ValueError("nvm slice assignment must keep the size")
        if start < 0 or start + len(value) > len(self):
            raise IndexError("nvm index out of range")
        pos = 0
        while pos < len(value):
            addr = start + pos
            base = addr - addr % self.page
            n = min(len(value) - pos, base + self.page - addr)
            buf = bytearray(self[base : base + self.page])
            buf[addr - base : addr - base + n] = value[pos : pos + n]
            self._page_write(base, buf)
            pos += n

    def _step(self):
        if self.cut_in is not None:
            if self.cut_in <= 0:
                raise PowerCut()
            self.cut_in -= 1
        self.steps += 1

    def _page_write(self, base, buf):
        self._step()
        self._put(base, b"\xff" * self.page)
        self.erases[base // self.page] += 1
        if self.fail_writes:
            self.fail_writes -= 1
            raise RuntimeError("flash write timed out")  # the SoftDevice gave up
        words = self.page // WORD
        cut = self.cut_in
        if cut is not None and cut < words:
            # words are programmed lowest address first: the first `cut` ones made it
            self.steps += cut
            self._put(base, buf[0 : cut * WORD])
            self.cut_in = 0
            raise PowerCut()
        if cut is not None:
            self.cut_in = cut - words
        self.steps += words
        self._put(base, buf)


def size_for(slot_bytes, page=PAGE_SIZE):
    """The smallest nvm size (two slots of whole pages) whose slot holds `slot_bytes`."""
    pages = max(1, (slot_bytes + page - 1) // page)
    return 2 * pages * page


class FilePageNVM(PageNVM):
    """A PageNVM kept in the file `path` instead of RAM (the MicroPython runs: as on the
    board, the nvm is not on the VM heap). Created erased if missing or of another size."""

    def __init__(self, path, size=NVM_SIZE, page=PAGE_SIZE):
        if size % page or page % WORD:
            raise ValueError("nvm size must be a multiple of the page size")
        self.page = page
        self.size = size
        self.erases = [0] * (size // page)
        self.steps = 0
        self.cut_in = None
        self.fail_writes = 0
        try:
            self.f = open(path, "r+b")
            if self.f.seek(0, 2) != size:
                self.f.close()
                raise OSError("size")
        except OSError:
            self.f = open(path, "w+b")
            chunk = b"\xff" * page
            for _ in range(size // page):
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

    def _put(self, pos, chunk):
        self.f.seek(pos)
        self.f.write(chunk)
        self.f.flush()
        if _fsync is not None:  # CPython: the bytes survive a killed process or host
            _fsync(self.f.fileno())

    def close(self):
        self.f.close()

    def __setitem__(self, key, value):
        if self.cut_in is not None or self.fail_writes:  # the page model, step by step
            PageNVM.__setitem__(self, key, value)
            return
        # the same outcome without a page buffer on the VM heap (the board does this in C):
        # the bytes land, each page touched is erased once and programmed
        start = key if isinstance(key, int) else (key.start or 0)
        n = 1 if isinstance(key, int) else len(value)
        if start < 0 or start + n > self.size:
            raise IndexError("nvm index out of range")
        self._put(start, bytes((value,)) if isinstance(key, int) else value)
        for p in range(start // self.page, (start + n - 1) // self.page + 1):
            self.erases[p] += 1
            self.steps += 1 + self.page // WORD


def new_nvm(size=NVM_SIZE, path=None, page=PAGE_SIZE):
    """The one place a simulated nvm is made: erased (0xFF) `size` bytes of the page model
    (pages of `page` bytes), in RAM, or in the file `path` (kept across runs; `FilePageNVM`)."""
    if path is not None:
        return FilePageNVM(path, size, page)
    return PageNVM(size, page)

