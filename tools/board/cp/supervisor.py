"""Stand-in for `supervisor`: ticks_ms() on the virtual clock, wrapping at 2**29 as on the
board (shared-bindings/supervisor/__init__.c)."""

import _model


def ticks_ms():
    return (_model.now_ns // 1000000) & 0x1FFFFFFF


class runtime:
    usb_connected = False
    serial_connected = False
