"""Stand-in for CircuitPython's `os`: MicroPython's own os, plus `getenv` reading
/settings.toml as CircuitPython does (integers and quoted strings: shared-module/os/getenv.c),
and `urandom` (the nRF52840's RNG on the board; the wasm VM has none: random.py's
generator)."""

from uos import *  # noqa: F403


def getenv(key, default=None):
    try:
        with open("/settings.toml") as f:
            for line in f:
                name, eq, value = line.partition("=")
                if eq and name.strip() == key:
                    value = value.split("#")[0].strip()
                    if value[:1] == '"':
                        return value[1:-1]
                    return int(value)
    except OSError:
        pass
    return default



def urandom(n):
    from random import getrandbits

    return bytes(getrandbits(8) for _ in range(n))
