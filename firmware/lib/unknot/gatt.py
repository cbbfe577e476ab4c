"""The Unknot GATT service as data: every UUID, property and permission, defined once.

The board's `_bleio` service (hw/ble.py) and the simulated device's bumble service
(host unknot.sim.peripheral) are both built from CHARACTERISTICS; the host client
(unknot.ble) reads the UUIDs through unknot.core. No other file spells them.
See docs/protocol.md.
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


# 128-bit base "xxxxxxxx-7a6b-4e2e-9c1d-756e6b6e6f74" (the tail spells "unknot").
SERVICE = "a1e70001-7a6b-4e2e-9c1d-756e6b6e6f74"
_INFO = const("a1e70002-7a6b-4e2e-9c1d-756e6b6e6f74")
_CONTROL = const("a1e70003-7a6b-4e2e-9c1d-756e6b6e6f74")
_DATA = const("a1e70004-7a6b-4e2e-9c1d-756e6b6e6f74")

NAME_PREFIX = "Unknot"  # advertised complete local name is NAME_PREFIX + "-" + 4 hex digits

# Characteristic properties: the Bluetooth Core bit values (`_bleio` and bumble use them).
_READ = const(0x02)
_WRITE = const(0x08)  # write with response
_NOTIFY = const(0x10)

# Attribute permissions (each side maps these to its own constants).
_NO_ACCESS = const(0)
_OPEN = const(1)
_ENCRYPT = const(2)  # encrypted link (just-works pairing is enough), see docs/security.md

MAX_VALUE = const(244)  # ATT MTU 247 - 3

# name, uuid, properties, read permission, write permission, max value length
CHARACTERISTICS = (
    ("info", _INFO, _READ, _OPEN, _NO_ACCESS, 64),
    ("control", _CONTROL, _READ | _WRITE, _ENCRYPT, _ENCRYPT, MAX_VALUE),  # read: last response
    ("data", _DATA, _NOTIFY, _OPEN, _NO_ACCESS, MAX_VALUE),
)
