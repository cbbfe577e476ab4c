"""Deterministic mutation fuzzing of the routine decoder and loader (CPython and MicroPython).

Mutations: flip a bit, set a byte, insert, delete, truncate, duplicate a slice; in half of
the cases the header's total_len and CRC are recomputed afterwards so that the mutation
reaches the step and label checks instead of stopping at the CRC.
"""

import struct

try:
    from binascii import crc32
except ImportError:  # pragma: no cover
    from zlib import crc32


class Rng:
    """xorshift32: the same sequence on every VM."""

    def __init__(self, seed):
        self.s = (seed & 0xFFFFFFFF) or 1

    def next(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        self.s = s
        return s

    def below(self, n):
        return self.next() % n if n > 0 else 0


def fix_header(b):
    if len(b) < 16:
        return b
    b = bytearray(b)
    struct.pack_into("<H", b, 10, len(b) & 0xFFFF)
    crc = crc32(bytes(b[16:]), crc32(bytes(b[0:12]))) & 0xFFFFFFFF
    struct.pack_into("<I", b, 12, crc)
    return bytes(b)


def mutate(data, rng):
    b = bytearray(data)
    for _ in range(1 + rng.below(3)):
        n = len(b)
        op = rng.below(6)
        if op == 0 and n:
            i = rng.below(n)
            b[i] ^= 1 << rng.below(8)
        elif op == 1 and n:
            b[rng.below(n)] = (0, 0xFF, 1, 0x7F, 0x80, rng.below(256))[rng.below(6)]
        elif op == 2:
            i = rng.below(n + 1)
            b = b[:i] + bytes([rng.below(256)]) + b[i:]
        elif op == 3 and n:
            i = rng.below(n)
            b = b[:i] + b[i + 1 :]
        elif op == 4:
            b = b[: rng.below(n + 1)]
        elif op == 5 and n:
            i = rng.below(n)
            j = i + rng.below(8)
            b = b[:j] + b[i:j] + b[j:]
    out = bytes(b)
    if rng.below(2):
        out = fix_header(out)
    return out


def run(decode, error_class, seeds, count, seed=1234):
    """Decode `count` mutants of the byte strings in `seeds`. Returns (accepted, rejected,
    escaped, first_escape) where escaped counts exceptions other than `error_class`."""
    rng = Rng(seed)
    accepted = rejected = escaped = 0
    first = None
    for k in range(count):
        data = mutate(seeds[k % len(seeds)], rng)
        try:
            decode(data)
            accepted += 1
        except error_class:
            rejected += 1
        except Exception as exc:  # what the fuzzer looks for
            escaped += 1
            if first is None:
                first = (k, repr(exc), data)
    return accepted, rejected, escaped, first
