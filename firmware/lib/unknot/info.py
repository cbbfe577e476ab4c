"""The INFO characteristic's value (docs/protocol.md "Info"): public, 14 bytes, the same for
the whole life of the firmware. It lives apart from proto.py because the BLE adapter must
serve it before (and without) a connection's protocol stack: a central may read INFO the
moment it connects, before the adapter's next poll builds the Protocol (hw/ble.py). proto
imports the format and the version from here (AUTH_BEGIN's proof covers this value).
"""

from . import FIRMWARE_VERSION, wire

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device, the host)

    def const(x):
        return x


PROTOCOL_VERSION = const(3)
INFO = "version:B flags:B device_id:8s major:B minor:B patch:B reserved:B"
_INFO_SIZE = const(14)  # wire.size(INFO): tests/firmware/test_wire.py checks it


def value(device_id):
    """INFO for this device (a new 14-byte bytearray: the adapter keeps it)."""
    major, minor, patch = version()
    buf = bytearray(_INFO_SIZE)
    wire.pack_into(INFO, buf, 0, PROTOCOL_VERSION, 0, device_id[:8], major, minor, patch, 0)
    return buf


def version():
    """FIRMWARE_VERSION as (major, minor, patch), each 0-255 (digits up to the first other
    character: "1.2.3rc1" is (1, 2, 3))."""
    out = []
    for p in (FIRMWARE_VERSION.split(".") + ["0", "0", "0"])[:3]:  # noqa: RUF005
        digits = ""
        for ch in p:
            if "0" <= ch <= "9":
                digits += ch
            else:
                break
        out.append(min(int(digits or "0"), 255))
    return out[0], out[1], out[2]
