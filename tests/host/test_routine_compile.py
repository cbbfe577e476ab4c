"""Compiler, decoder, shared vectors and round trips."""

from __future__ import annotations

import binascii
import importlib.util
import json
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unknot.core import routine as fmt
from unknot.routine import DecodeError, compile_routine, decode, parse_text, routine_id
from unknot.routine import model as m
from unknot.routine.compile import compile_ops
from unknot.routine.library import load_all

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"


def make_vectors() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", REPO / "tools/make_vectors.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_vectors"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_minimal_bytes_by_hand() -> None:
    r = parse_text((VECTORS / "routines/minimal.toml").read_text())
    data = compile_routine(r, labels=False)
    steps = bytes([0x01, 0x06, 50, 0, 0x02])  # BEGIN, REST 5.0 s, END
    assert data[16:] == steps
    magic, version, flags, rid, count, total, crc = struct.unpack("<4sBBHHHI", data[:16])
    assert (magic, version, flags, count, total) == (b"UNKR", 1, 0, 3, 21)
    assert rid == binascii.crc32(b"minimal") & 0xFFFF == routine_id("minimal")
    assert crc == binascii.crc32(steps, binascii.crc32(data[:12]))
    labelled = compile_routine(r, labels=True)
    assert labelled[5] == 1
    assert labelled[21:] == b"\x07minimal\x07Minimal\x00\x04Rest\x00"


def test_step_encodings() -> None:
    ops = [m.Op(fmt.BEGIN), m.Op(fmt.BREATHE, (40, 5, 60, 0), count=3),
           m.Op(fmt.HOLD, (6000,), sides=True, tick=True), m.Op(fmt.REPEAT, (25, 20), count=10,
                                                           sides=True),
           m.Op(fmt.REST, (300,), tick=True), m.Op(fmt.SWITCH), m.Op(fmt.END)]
    body = compile_ops(ops, "s", "n", labels=False)[16:]
    assert body == bytes([0x01, 0x03, 3, 40, 5, 60, 0, 0x34, 0x70, 0x17, 0x15, 10, 25, 20,
                          0x26, 0x2C, 0x01, 0x07, 0x02])


def test_checked_in_vectors_match_the_compiler() -> None:
    wanted = make_vectors().build()
    on_disk = {str(p.relative_to(VECTORS)) for sub in ("routines", "invalid")
               for p in (VECTORS / sub).iterdir() if p.suffix in (".unk", ".json")}
    assert on_disk == set(wanted)
    for rel, data in wanted.items():
        assert (VECTORS / rel).read_bytes() == data, f"{rel} is stale: run tools/make_vectors.py"


def test_valid_vectors_decode_to_their_source() -> None:
    sources = sorted((VECTORS / "routines").glob("*.toml"))
    assert len(sources) >= 2
    for src in sources:
        r = parse_text(src.read_text(encoding="utf-8"))
        d = decode((VECTORS / "routines" / f"{src.stem}.unk").read_bytes())
        assert d.ops == r.ops() and d.slug == r.slug and d.name == r.name


def test_invalid_vectors_give_their_reason() -> None:
    reasons = json.loads((VECTORS / "invalid/reasons.json").read_text())
    files = sorted(p.name for p in (VECTORS / "invalid").glob("*.unk"))
    assert files == sorted(reasons)
    assert set(reasons.values()) >= {"truncated", "bad magic", "bad version", "bad length",
                                      "bad crc", "bad step", "bad flags"}
    for name, reason in reasons.items():
        with pytest.raises(DecodeError) as info:
            decode((VECTORS / "invalid" / name).read_bytes())
        assert info.value.reason == reason, name


def test_bad_label_table() -> None:
    r = parse_text((VECTORS / "routines/minimal.toml").read_text())
    data = bytearray(compile_routine(r, labels=True))
    data[21] = 200  # slug length now runs past the end
    data[12:16] = struct.pack("<I", binascii.crc32(data[16:], binascii.crc32(data[:12])))
    with pytest.raises(DecodeError, match="bad labels"):
        decode(bytes(data))


def test_library_round_trips_and_is_deterministic() -> None:
    for r in load_all():
        for labels in (True, False):
            data = compile_routine(r, labels=labels)
            assert data == compile_routine(r, labels=labels)
            d = decode(data)
            assert d.routine_id == routine_id(r.slug)
            if labels:
                assert d.ops == r.ops() and (d.slug, d.name) == (r.slug, r.name)
            else:
                assert d.ops == [m.Op(o.kind, o.durations, o.count, o.sides, o.tick,
                                      body=o.body) for o in r.ops()]


ds_long = st.integers(1, 6000)
ds_short = st.integers(1, 255)
ds_zero = st.integers(0, 255)
label = st.text(max_size=20)
op = st.one_of(
    st.builds(lambda c, a, b, x, y, lb: m.Op(fmt.BREATHE, (a, b, x, y), count=c, label=lb),
              st.integers(1, 255), ds_short, ds_zero, ds_short, ds_zero, label),
    st.builds(lambda d, s, t, lb: m.Op(fmt.HOLD, (d,), sides=s, tick=t, label=lb),
              ds_long, st.booleans(), st.booleans(), label),
    st.builds(lambda c, w, g, s, lb: m.Op(fmt.REPEAT, (w, g), count=c, sides=s, label=lb),
              st.integers(1, 255), ds_short, ds_zero, st.booleans(), label),
    st.builds(lambda d, t, lb: m.Op(fmt.REST, (d,), tick=t, label=lb), ds_long, st.booleans(),
              label),
    st.builds(lambda lb: m.Op(fmt.SWITCH, label=lb), label),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(op, min_size=0, max_size=30), label)
def test_round_trip_property(steps: list[m.Op], name: str) -> None:
    ops = [m.Op(fmt.BEGIN), *steps, m.Op(fmt.END)]
    d = decode(compile_ops(ops, "prop", name, labels=True))
    assert d.ops == ops and d.name == name


def _refix(data: bytearray) -> bytes:
    """`data` with its header's CRC recomputed (the firmware's file_crc, packed by wire)."""
    from unknot.core import routine as fw
    from unknot.core import wire

    names = wire.names(fw.HEADER)
    head = dict(zip(names, wire.unpack(fw.HEADER, data), strict=True))
    head["crc32"] = fw.file_crc(bytes(data))
    return wire.pack(fw.HEADER, *(head[n] for n in names)) + bytes(data[fw.HEADER_SIZE:])


def test_one_decoder_decides_about_utf8() -> None:
    """A step label that is not UTF-8: the device plays the file (it never shows step labels),
    so the host accepts it too and shows U+FFFD; a slug that is not UTF-8 both refuse."""
    from unknot.core import routine as fw

    r = parse_text((VECTORS / "routines/minimal.toml").read_text())
    data = bytearray(compile_routine(r, labels=True))
    label = decode(bytes(data)).ops[1].label
    assert label
    at = bytes(data).rindex(label.encode())  # a step label (after the slug and the name)
    data[at] = 0xFF
    bad_label = _refix(data)
    fw.decode(bad_label)  # the firmware plays it
    assert decode(bad_label).ops[1].label.startswith("\ufffd")
    slug_at = bytes(data).index(r.slug.encode())
    data[at] = ord(label[0])
    data[slug_at] = 0xFF
    bad_slug = _refix(data)
    with pytest.raises(fw.RoutineFormatError):
        fw.decode(bad_slug)
    with pytest.raises(DecodeError, match="bad labels"):
        decode(bad_slug)
