"""Build routine files (docs/format.md v1) by hand, for tests until the host compiler's
vectors exist. Runs on CPython and MicroPython.

steps: list of tuples (kind, flags, *fields), e.g. (3, 0, count, inhale, hold, exhale, pause),
(4, 0x30, duration_ds), (5, 0x10, count, work, gap), (6, 0, duration_ds), (1, 0), (2, 0), (7, 0).
"""

import struct

try:
    from binascii import crc32
except ImportError:  # pragma: no cover
    from zlib import crc32

HEADER = "<4sBBHHHI"


def routine_id(slug):
    return crc32(slug.encode("utf-8")) & 0xFFFF


def encode_step(step):
    kind, flags = step[0], step[1]
    op = bytes([kind | flags])
    f = step[2:]
    if kind in (1, 2, 7):
        return op
    if kind == 3:
        return op + bytes(f[0:5])
    if kind in (4, 6):
        return op + struct.pack("<H", f[0])
    if kind == 5:
        return op + bytes(f[0:3])
    raise ValueError("kind")


def build(steps, slug="test", name="Test", labels=None, version=1, rid=None):
    body = b"".join(encode_step(s) for s in steps)
    flags = 0
    if labels is not None or slug is not None:
        flags = 1
        strings = [slug or "", name or ""]
        strings.extend(labels or [""] * len(steps))
        for s in strings:
            b = s.encode("utf-8")
            body += bytes([len(b)]) + b
    if rid is None:
        rid = routine_id(slug or "")
    total = 16 + len(body)
    head12 = struct.pack("<4sBBHHH", b"UNKR", version, flags, rid, len(steps), total)
    crc = crc32(body, crc32(head12)) & 0xFFFFFFFF
    return head12 + struct.pack("<I", crc) + body


# A few hand-made routines covering every step kind and flag.
SAMPLES = {
    "breathe": [(1, 0), (3, 0, 4, 40, 20, 60, 10), (3, 0, 2, 40, 0, 60, 0), (2, 0)],
    "holds": [(1, 0), (4, 0x30, 200), (4, 0x20, 100), (4, 0, 50), (4, 0x10, 95), (2, 0)],
    "reps": [(1, 0), (5, 0, 5, 20, 10), (5, 0x10, 3, 15, 0), (7, 0), (6, 0x20, 150), (2, 0)],
    "mixed": [(1, 0), (3, 0, 3, 40, 40, 40, 40), (4, 0x30, 300), (6, 0, 50), (7, 0),
              (5, 0x10, 2, 30, 20), (6, 0x20, 99), (2, 0)],
}
