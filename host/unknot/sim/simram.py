"""The simulated device's sleep memory: `alarm.sleep_memory` on CircuitPython's nordic port
(docs/journal.md "RAM hold"): 256 bytes kept through a reset, the watchdog and deep sleep,
undefined after a power cut (`power_cut()`). `new_sleep_memory()` is the one place one is
made off the board.

MicroPython subset (types in simram.pyi), like simnvm.py. Given a PageNVM as `steps`, each
write is one step of that nvm's cut counter (a cut there leaves the write half done).
"""

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


try:
    from unknot.sim.simnvm import PowerCut  # CPython
except ImportError:  # MicroPython: the same file as a top-level module
    from simnvm import PowerCut

SLEEP_MEMORY_SIZE = const(256)  # ports/nordic/common-hal/alarm/SleepMemory.h SLEEP_MEMORY_LENGTH
class SleepMemory:
    """`alarm.sleep_memory`: SLEEP_MEMORY_SIZE bytes of RAM that a reset, the watchdog and
    deep sleep keep, and a power cut does not (`power_cut()`: the RAM then holds whatever
    it powers up with). In RAM, or in the file `path` (the simulated device: kept across
    its restarts, which are resets). `steps`: a PageNVM whose cut counter a write counts
    as one step of."""

    def __init__(self, size=SLEEP_MEMORY_SIZE, path=None, steps=None):
        self.path = path
        self.steps = steps
        self.data = bytearray(size)
        self.writes = 0
        if path is not None:
            try:
                with open(path, "rb") as f:
                    got = f.read()
                if len(got) == size:
                    self.data[:] = got
            except OSError:
                pass

    def __len__(self):
        return len(self.data)

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        if isinstance(key, int):
            self.data[key] = value
        else:
            value = bytes(value)
            start = key.start or 0
            stop = len(self.data) if key.stop is None else key.stop
            if stop - start != len(value):
                raise ValueError("sleep_memory slice assignment must keep the size")
            steps = self.steps
            if steps is not None:
                try:
                    steps._step()
                except PowerCut:
                    half = len(value) // 2  # torn: a reset in the middle of the copy
                    self.data[start : start + half] = value[0:half]
                    raise
            self.data[start:stop] = value
        self.writes += 1
        self._save()

    def power_cut(self, seed=1):
        """The power went: the RAM powers up with arbitrary bytes (a fixed pseudo-random
        pattern per seed; 0 gives all zeros)."""
        x = seed & 0xFFFFFFFF
        for i in range(len(self.data)):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            self.data[i] = (x >> 16) & 0xFF if seed else 0
        self._save()

    def _save(self):
        if self.path is not None:
            with open(self.path, "wb") as f:
                f.write(self.data)


def new_sleep_memory(path=None, steps=None):
    """The one place a simulated sleep_memory is made (SleepMemory)."""
    return SleepMemory(SLEEP_MEMORY_SIZE, path, steps)
