"""Stand-in for `busio.I2C` with a DRV2605L on the bus (address 0x5A): a register file
(STATUS reads device id 7, GO clears itself). The nordic I2C object holds no heap buffer
(ports/nordic/common-hal/busio/I2C.c)."""

import _model

_DRV = 0x5A


class I2C:
    def __init__(self, scl, sda, *, frequency=100000, timeout=255):
        self._regs = bytearray(256)
        self._regs[0] = 0xE0  # STATUS: device id 7 (DRV2605L)
        self._reg = 0
        self._locked = False

    def try_lock(self):
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self):
        self._locked = False

    def scan(self):
        return [_DRV]

    def writeto(self, address, buffer, *, start=0, end=None):
        # no slicing: the board's writeto allocates nothing, so neither does the model
        if address != _DRV:
            raise OSError(19)
        end = len(buffer) if end is None else end
        if end <= start:
            return  # a probe (adafruit_bus_device writes b"" to see the device answer)
        self._reg = buffer[start]
        for i in range(start + 1, end):
            reg = (self._reg + i - start - 1) & 0xFF
            self._regs[reg] = buffer[i]
            if reg == 0x0C and buffer[i] & 1:
                _model.motor_on()
                self._regs[reg] = 0

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        if address != _DRV:
            raise OSError(19)
        end = len(buffer) if end is None else end
        for i in range(start, end):
            buffer[i] = self._regs[(self._reg + i - start) & 0xFF]

    def writeto_then_readfrom(self, address, out_buffer, in_buffer, *, out_start=0,
                              out_end=None, in_start=0, in_end=None):
        self.writeto(address, out_buffer, start=out_start, end=out_end)
        self.readfrom_into(address, in_buffer, start=in_start, end=in_end)

    def deinit(self):
        pass
