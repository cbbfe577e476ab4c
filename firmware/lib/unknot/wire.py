"""Wire formats as field specs: each format is declared once, as its fields, and its packing,
unpacking and size derive from that declaration (docs/architecture.md "Wire formats").

A spec is a string `"name:code name:code ..."`: each field's name, then its `struct` code
(`B`, `H`, `I`, `i`, `8s` ...), always little-endian. The module that owns a format declares
it, e.g. journal.py `RECORD_BODY = "seq:I start:I ..."`; the firmware and the host both pack
and unpack it with the functions here (the host through unknot.core), so there is no second
copy of any layout. A fixed size the firmware needs as a constant (`RECORD_SIZE =
const(20)`) is checked against `size(spec)` by tests/firmware/test_wire.py.

RAM: a spec costs its string; the struct format of a spec is derived on its first use and
kept (`_formats`), so only the formats a device really uses take room, and packing then
allocates nothing but its result.
"""

import struct

_formats = {}  # spec -> its struct format, filled on first use


def fmt(spec):
    """The struct format of `spec`: "<" and each field's code."""
    f = _formats.get(spec)
    if f is None:
        f = "<"
        for field in spec.split():
            f += field[field.index(":") + 1 :]
        _formats[spec] = f
    return f


def names(spec):
    """The field names of `spec`, in order (the host names unpacked fields with them)."""
    return tuple(field[: field.index(":")] for field in spec.split())


def size(spec):
    """The packed size of `spec` in bytes."""
    return struct.calcsize(fmt(spec))


def pack(spec, *values):
    """`values` packed as `spec` (bytes)."""
    return struct.pack(fmt(spec), *values)


def pack_into(spec, buf, offset, *values):
    """`values` packed as `spec` into `buf` at `offset` (a buffer allocated once)."""
    struct.pack_into(fmt(spec), buf, offset, *values)


def unpack(spec, data, offset=0):
    """The fields of `spec` at `offset` of `data` (a tuple); ValueError when `data` is too
    short (MicroPython's struct raises ValueError too)."""
    f = fmt(spec)
    if len(data) - offset < struct.calcsize(f):
        raise ValueError("short")
    return struct.unpack_from(f, data, offset)
