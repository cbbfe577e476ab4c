"""Stand-in for CircuitPython's `os`: MicroPython's own os, plus `getenv` reading
/settings.toml as CircuitPython does (integers and quoted strings: shared-module/os/getenv.c;
charged as C), and `urandom` (the nRF52840's RNG on the board; the wasm VM has none:
random.py's generator)."""

import _model
from uos import *  # noqa: F403


def getenv(key, default=None):
    """C on the board: bracketed as a C call ("c(" / "c)", scenario.CCalls), which gives
    back this Python's fuel and charges getenv.c's estimated cost for the bytes scanned."""
    _model.call("c(")
    scanned = 0
    try:
        with open("/settings.toml") as f:
            for line in f:
                scanned += len(line)
                name, eq, value = line.partition("=")
                if eq and name.strip() == key:
                    value = value.split("#")[0].strip()
                    if value[:1] == '"':
                        return value[1:-1]
                    return int(value)
    except OSError:
        pass
    finally:
        _model.call("getenv", str(scanned))
        _model.call("c)")
    return default



def urandom(n):
    from random import getrandbits

    return bytes(getrandbits(8) for _ in range(n))
