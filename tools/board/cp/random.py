"""Stand-in for `random` (CircuitPython's is built in and seeded by the RNG; the wasm VM's
own fails to seed without /dev/urandom support): xorshift32, seeded per run."""

_state = 0x2545F491


def seed(value=None):
    global _state
    _state = (value or 0x2545F491) & 0xFFFFFFFF or 1


def getrandbits(bits):
    global _state
    out = 0
    for _ in range((bits + 31) // 32):
        x = _state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        _state = x
        out = (out << 32) | x
    return out & ((1 << bits) - 1)


def randrange(start, stop=None, step=1):
    if stop is None:
        start, stop = 0, start
    n = (stop - start + step - 1) // step
    return start + step * (getrandbits(30) % n)


def randint(a, b):
    return randrange(a, b + 1)


def random():
    return getrandbits(24) / 16777216
