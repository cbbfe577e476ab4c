"""A small DRV2605L register writer: what hw/motor.py's DrvMotor uses of the chip (ROM effect
sequences on internal trigger), instead of adafruit_drv2605 and adafruit_bus_device (about
6 KiB of heap on the board; docs/firmware.md "Heap budget"). The start-up register writes
are those of adafruit_drv2605 1.3 (`DRV2605.__init__`), from the TI DRV2605L datasheet
(SLOS854): out of standby, no real-time playback, no overdrive/sustain/brake times, audio
max 0x64, ERM or LRA by FEEDBACK bit 7, ERM open loop (CONTROL3 bit 5)."""

from micropython import const

_ADDRESS = const(0x5A)
# I2C clock for the chip (fast mode, which the DRV2605L supports): a write blocks the CPU
# for its bus time on the board, ~0.07 ms here against ~0.29 ms at busio's default 100 kHz
I2C_HZ = const(400000)
_STATUS = const(0x00)
_MODE = const(0x01)
_RTPIN = const(0x02)
_LIBRARY = const(0x03)
_WAVESEQ1 = const(0x04)
_GO = const(0x0C)
_OVERDRIVE = const(0x0D)
_SUSTAINPOS = const(0x0E)
_SUSTAINNEG = const(0x0F)
_BREAK = const(0x10)
_AUDIOMAX = const(0x13)
_FEEDBACK = const(0x1A)
_CONTROL3 = const(0x1D)
_LOCK_TRIES = const(100)


def _lock(i2c):
    """Take the I2C bus or raise OSError (a stuck bus is a motor error the loop catches,
    not a spin until the watchdog resets the board)."""
    for _ in range(_LOCK_TRIES):
        if i2c.try_lock():
            return
    raise OSError("I2C bus busy")


class DRV2605:
    """The chip on `i2c` (busio.I2C). Raises OSError when nothing answers at ADDRESS and
    RuntimeError when what answers is not a DRV2605 (device id 3) or DRV2605L (7)."""

    def __init__(self, i2c):
        self.i2c = i2c
        self._buf = bytearray(2)
        if (self._read(_STATUS) >> 5) & 7 not in (3, 7):
            raise RuntimeError("no DRV2605 at 0x5A")
        for reg, val in ((_MODE, 0), (_RTPIN, 0), (_WAVESEQ1, 1), (_WAVESEQ1 + 1, 0),
                         (_OVERDRIVE, 0), (_SUSTAINPOS, 0), (_SUSTAINNEG, 0), (_BREAK, 0),
                         (_AUDIOMAX, 0x64)):
            self._write(reg, val)
        self.use_ERM()
        self._write(_CONTROL3, self._read(_CONTROL3) | 0x20)
        self.library = 1

    def _write(self, reg, val):
        """One register write: the I2C transfer blocks the CPU for its bus time (address
        and 2 bytes at I2C_HZ, 400 kHz: about 0.07 ms; docs/firmware.md "CPU budget")."""
        i2c = self.i2c
        if not i2c.try_lock():  # free at once unless something else holds the bus
            _lock(i2c)
        try:
            self._buf[0] = reg
            self._buf[1] = val
            i2c.writeto(_ADDRESS, self._buf)
        finally:
            i2c.unlock()

    def _read(self, reg):
        i2c = self.i2c
        _lock(i2c)
        try:
            self._buf[0] = reg
            i2c.writeto_then_readfrom(_ADDRESS, self._buf, self._buf, out_end=1, in_end=1)
        finally:
            i2c.unlock()
        return self._buf[0]

    @property
    def library(self):
        return self._read(_LIBRARY) & 7

    @library.setter
    def library(self, val):
        if not 0 <= val <= 6:
            raise ValueError("library 0-6")
        self._write(_LIBRARY, val)

    def use_ERM(self):
        self._write(_FEEDBACK, self._read(_FEEDBACK) & 0x7F)

    def use_LRM(self):
        self._write(_FEEDBACK, self._read(_FEEDBACK) | 0x80)

    def set_waveform(self, effect_id, slot=0):
        if not 0 <= effect_id <= 123 or not 0 <= slot <= 7:
            raise ValueError("effect 0-123, slot 0-7")
        self._write(_WAVESEQ1 + slot, effect_id)

    def play(self):
        self._write(_GO, 1)

    def stop(self):
        self._write(_GO, 0)
