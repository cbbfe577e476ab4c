"""Stand-in for CircuitPython's `microcontroller` on the MicroPython unix port: an 8 KiB
`nvm` (bytearray, 0xFF like erased flash) and a fixed cpu uid."""

nvm = bytearray(b"\xff" * 8192)


class _Cpu:
    uid = b"\x11\x22\x33\x44\x55\x66\x77\x88"
    temperature = 25.0


cpu = _Cpu()


def reset():
    raise SystemExit("microcontroller.reset()")
