from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from unknot import core
from unknot.errors import UnknotError
from unknot.journal import RecordError, SessionRecord, pack, unpack

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "journal"
GOOD = json.loads((VECTORS / "records.json").read_text())
BAD = json.loads((VECTORS / "invalid.json").read_text())


@pytest.mark.parametrize("vec", GOOD, ids=[v["name"] for v in GOOD])
def test_vectors_unpack_and_pack(vec: dict[str, object]) -> None:
    raw = bytes.fromhex(str(vec["hex"]))
    rec = unpack(raw)
    assert rec == SessionRecord(**vec["fields"])  # type: ignore[arg-type]
    assert pack(rec) == raw


def test_first_vector_is_the_documented_layout() -> None:
    # Built by hand from docs/journal.md, independently of journal.pack.
    body = (
        (1).to_bytes(4, "little")
        + (1767225600).to_bytes(4, "little")
        + (0x1234).to_bytes(2, "little")
        + bytes([5, 5])
        + (185).to_bytes(2, "little")
        + bytes([core.journal.COMPLETED, 3])
    )
    raw = body + zlib.crc32(body).to_bytes(4, "little")
    assert raw.hex() == GOOD[0]["hex"]
    assert len(raw) == core.journal.RECORD_SIZE == 20
    assert core.wire.size(core.journal.RECORD_BODY) == core.journal.CRC_SPAN == 16


@pytest.mark.parametrize("vec", BAD, ids=[v["name"] for v in BAD])
def test_invalid_vectors_raise_typed_error(vec: dict[str, str]) -> None:
    with pytest.raises(RecordError, match=vec["why"] if vec["why"] != "crc" else "CRC"):
        unpack(bytes.fromhex(vec["hex"]))
    assert issubclass(RecordError, UnknotError)


def test_every_single_bit_flip_is_detected() -> None:
    raw = bytearray(bytes.fromhex(GOOD[1]["hex"]))
    for i in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(RecordError):
            unpack(bytes(flipped))


def test_flags_properties() -> None:
    rec = unpack(bytes.fromhex(GOOD[1]["hex"]))
    assert rec.aborted and rec.from_nudge and not rec.completed and not rec.clock_unset


def test_pack_out_of_range_is_typed() -> None:
    with pytest.raises(RecordError):
        pack(SessionRecord(1, 0, 70000, 1, 1, 1, 1, 0))
