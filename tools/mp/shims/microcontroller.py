"""Stand-in for CircuitPython's `microcontroller` on the MicroPython unix port.

`nvm` is the simulated device's nvm in a file (simnvm.new_nvm; env UNKNOT_MP_NVM,
default /tmp/unknot_mp_nvm.bin; created 0xFF like erased flash), so that, as on the board,
the 8 KiB of nvm are not on the VM's heap.
"""

import os

from simnvm import new_nvm  # host/unknot/sim/simnvm.py: the one nvm factory

nvm = new_nvm(path=os.getenv("UNKNOT_MP_NVM") or "/tmp/unknot_mp_nvm.bin")


class _Cpu:
    uid = b"\x11\x22\x33\x44\x55\x66\x77\x88"


cpu = _Cpu()
