"""Routine decoder (docs/format.md) against hand-built files and the shared vectors."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def test_decode_hand_built(fw, unkbuild):
    data = unkbuild.build(unkbuild.SAMPLES["mixed"], slug="mixed", name="Mixed")
    r = fw.routine.decode(data)
    assert r.slug == "mixed" and r.name == "Mixed"
    assert r.id == unkbuild.routine_id("mixed")
    assert [s[0] for s in r.steps] == [1, 3, 4, 6, 7, 5, 6, 2]
    # each step as short as its kind needs (RAM): HOLD (kind, flags, ds), BREATHE all fields
    assert r.steps[2] == (4, 0x30, 300)
    assert r.steps[1] == (3, 0, 3, 40, 40, 40, 40)
    assert r.steps[0] == (1, 0) and r.steps[-1] == (2, 0)
    assert r.work_steps() == 6


def test_decode_without_labels(fw, unkbuild):
    data = unkbuild.build(unkbuild.SAMPLES["reps"], slug=None, labels=None, rid=7)
    r = fw.routine.decode(data)
    assert r.id == 7 and r.slug == "" and len(r.steps) == 6


def test_builtin_routine_is_valid(fw):
    r = fw.routine.decode(fw.builtin.ROUTINE)
    assert r.slug == "builtin"
    assert r.id == fw.crc.crc32(b"builtin") & 0xFFFF


def _reason(fw, data):
    with pytest.raises(fw.routine.RoutineFormatError) as info:
        fw.routine.decode(data)
    return info.value.reason


def _refix(data: bytes) -> bytes:
    import fuzz

    return bytes(fuzz.fix_header(data))


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda b: b[:10], "truncated"),
        (lambda b: b"XNKR" + b[4:], "bad magic"),
        (lambda b: b[:4] + b"\x04" + b[5:], "bad version"),
        (lambda b: b[:5] + b"\x03" + b[6:], "bad flags"),
        (lambda b: b[:-1], "truncated"),
        (lambda b: b + b"\x00", "bad length"),
        (lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:], "bad crc"),
        (lambda b: _refix(b[:16] + b"\x09" + b[17:]), "bad step"),  # unknown kind
        (lambda b: _refix(b[:17] + b"\x33" + b[18:]), "bad step"),  # TICK on BREATHE
        (lambda b: _refix(b[:18] + b"\x00" + b[19:]), "bad step"),  # 0 breaths
        (lambda b: _refix(b[:19] + b"\x00" + b[20:]), "bad step"),  # 0 inhale
        (lambda b: _refix(b[:-1] + b"\x05"), "bad labels"),  # label past the end
        (lambda b: _refix(b[:8] + struct.pack("<H", 2) + b[10:]), "bad step"),  # END misplaced
    ],
)
def test_rejections(fw, unkbuild, mutate, reason):
    good = unkbuild.build(unkbuild.SAMPLES["breathe"], slug="b", name="B")
    fw.routine.decode(good)
    assert _reason(fw, mutate(good)) == reason


def test_zero_durations_rejected(fw, unkbuild):
    for steps in ([(1, 0), (4, 0, 0), (2, 0)], [(1, 0), (6, 0, 0), (2, 0)],
                  [(1, 0), (5, 0, 0, 10, 0), (2, 0)], [(1, 0), (5, 0, 3, 0, 0), (2, 0)],
                  [(1, 0), (3, 0, 1, 10, 0, 0, 0), (2, 0)], [(1, 0), (1, 0), (2, 0)]):
        assert _reason(fw, unkbuild.build(steps)) == "bad step"


def test_vectors_valid(fw):
    files = sorted((VECTORS / "routines").glob("*.unk"))
    assert files, "tests/vectors/routines is empty"
    for path in files:
        r = fw.routine.decode(path.read_bytes())
        assert r.slug == path.stem


def test_vectors_invalid(fw):
    reasons_file = VECTORS / "invalid" / "reasons.json"
    reasons = json.loads(reasons_file.read_text())
    assert reasons
    for name, reason in reasons.items():
        assert _reason(fw, (VECTORS / "invalid" / name).read_bytes()) == reason, name


def test_vectors_match_host_decoder(fw):
    import unknot.routine as host
    for path in sorted((VECTORS / "routines").glob("*.unk")):
        data = path.read_bytes()
        h = host.decode(data)
        r = fw.routine.decode(data)
        assert r.id == h.routine_id and len(r.steps) == len(h.ops)


def test_loader_skips_bad_files_and_falls_back(fw, sa, unkbuild):
    good = unkbuild.build(unkbuild.SAMPLES["reps"], slug="reps")
    files = {"a.unk": good[:-3], "b.unk": b"UNKR\x03" + good[5:], "c.unk": good,
             "notes.txt": b"x"}
    storage = sa.DictStorage(files)
    routines, rejected = fw.library.index(storage)
    assert [(f, slug) for f, slug, _ in routines] == [("c.unk", "reps")]
    assert sorted(n for n, _ in rejected) == ["a.unk", "b.unk"]
    assert fw.library.load(storage, "c.unk").id == routines[0][2]
    routines, rejected = fw.library.index(sa.DictStorage({"a.unk": b""}))
    assert [r[:2] for r in routines] == [("", "builtin")] and rejected == [("a.unk", "truncated")]
    assert fw.library.load(storage, "").slug == "builtin"
