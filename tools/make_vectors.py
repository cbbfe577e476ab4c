#!/usr/bin/env python3
"""Regenerate tests/vectors/ (docs/format.md, "Test vectors").

- routines/NAME.unk: the compiled bytes (with labels) of routines/NAME.toml;
- invalid/*.unk + invalid/reasons.json: broken binaries and the reason keyword a decoder
  must give for each (the decoder checks in the order docs/format.md lists).

`python tools/make_vectors.py` writes the files; `--check` exits 1 if they differ from
what the compiler produces now (tests/host/test_routine_vectors.py does the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "host"))

from unknot.core import routine as fmt  # noqa: E402
from unknot.core import wire  # noqa: E402
from unknot.routine.compile import compile_routine, file_name  # noqa: E402
from unknot.routine.parse import load_file  # noqa: E402

VECTORS = REPO / "tests" / "vectors"


HEADER = fmt.HEADER
HEADER_SIZE = fmt.HEADER_SIZE


def _fix_crc(data: bytes) -> bytes:
    return _set_header(data, crc32=fmt.file_crc(data))


def _set_header(data: bytes, **fields: int) -> bytes:
    """`data` with header fields (by their names in fmt.HEADER) replaced."""
    names = wire.names(HEADER)
    values = dict(zip(names, wire.unpack(HEADER, data), strict=True))
    values.update(fields)
    return wire.pack(HEADER, *(values[n] for n in names)) + data[HEADER_SIZE:]


def _patch(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + bytes([value]) + data[offset + 1 :]


def invalid_v2(ex: bytes) -> dict[str, tuple[bytes, str]]:
    """Broken v2 files derived from the label-less `exercises` vector: BEGIN at 16, SHORT
    BREATHE at 17..20, SHORT REPEAT at 21..23, NEXT (8 s, one byte) at 24, SHORT HOLD at
    25..26, REPEAT (long form) at 27..30, NEXT (30 s, two bytes) at 31..32, SHORT HOLD 300 s
    at 33..34 ... END last."""
    n = len(ex)
    return {
        "v2_countdown_in_v1.unk": (_fix_crc(_set_header(ex, version=1)), "bad flags"),
        "v2_reserved_header_flag.unk": (_fix_crc(_set_header(ex, flags=0x16)), "bad flags"),
        "v2_next_zero.unk": (_fix_crc(_patch(_patch(ex, 31, 0x08), 32, 0)), "bad step"),
        "v2_next_first.unk": (_fix_crc(_patch(ex, 16, 0x58)), "bad step"),
        "v2_next_before_end.unk": (_fix_crc(_set_header(ex[:n - 1] + b"\x58\x02",
                                                        step_count=11, total_len=n + 1)),
                                   "bad step"),
        "v2_two_nexts.unk": (_fix_crc(_set_header(ex[:25] + b"\x58" + ex[25:],
                                                  step_count=11, total_len=n + 1)),
                             "bad step"),
        "v2_short_on_switch.unk": (_fix_crc(_patch(ex, 16, 0x47)), "bad step"),
        "v2_short_zero_inhale.unk": (_fix_crc(_patch(ex, 19, 0x01)), "bad step"),
        "v2_short_zero_hold.unk": (_fix_crc(_patch(ex, 26, 0)), "bad step"),
    }


def invalid_v3(floor: bytes) -> dict[str, tuple[bytes, str]]:
    """Broken v3 files derived from the label-less `floor` vector: BEGIN at 16, WAIT at 17,
    BREATHE SHORT at 18..21, NEXT 8 s at 22, HOLD SHORT|SIDES|BODY at 23..24, WAIT at 25."""
    return {
        "v3_wait_in_v2.unk": (_fix_crc(_set_header(floor, version=2)), "bad step"),
        "v3_wait_first.unk": (_fix_crc(_patch(floor, 16, 0x09)), "bad step"),
        "v3_wait_with_flags.unk": (_fix_crc(_patch(floor, 17, 0x19)), "bad step"),
        "v3_body_without_sides.unk": (_fix_crc(_patch(floor, 23, 0xC4)), "bad step"),
        "v3_body_on_rest.unk": (_fix_crc(_patch(floor, 23, 0xD6)), "bad step"),
        "v3_wait_after_next.unk": (_fix_crc(_patch(floor, 23, 0x09)), "bad step"),
    }


def invalid(minimal: bytes, kinds: bytes) -> dict[str, tuple[bytes, str]]:
    """Broken files derived from the label-less compiled vectors, with their reasons.

    minimal: BEGIN, REST 5 s, END (steps at 16, 17..19, 20). kinds: BEGIN, BREATHE at 17,
    HOLD (sides, tick) at 23, ...
    """
    n = len(minimal)
    return {
        "short_header.unk": (minimal[:10], "truncated"),
        "truncated.unk": (kinds[:-3], "truncated"),
        "bad_magic.unk": (b"UNKX" + minimal[4:], "bad magic"),
        "bad_version.unk": (_fix_crc(_set_header(minimal, version=4)), "bad version"),
        "bad_flags.unk": (_fix_crc(_set_header(minimal, flags=0x02)), "bad flags"),
        "trailing_byte.unk": (minimal + b"\x00", "bad length"),
        "header_only.unk": (_fix_crc(_set_header(minimal[:HEADER_SIZE], total_len=16,
                                                 step_count=0)), "bad length"),
        "bad_crc.unk": (_patch(minimal, 18, minimal[18] ^ 0x01), "bad crc"),
        "bad_crc_header.unk": (_set_header(minimal, routine_id=0x1234), "bad crc"),
        "unknown_kind.unk": (_fix_crc(_patch(minimal, 17, 0x08)), "bad step"),
        "kind_zero.unk": (_fix_crc(_patch(minimal, 16, 0x00)), "bad step"),
        "end_first.unk": (_fix_crc(_patch(_patch(minimal, 16, 0x02), n - 1, 0x01)), "bad step"),
        "no_end.unk": (_fix_crc(_patch(minimal, n - 1, 0x07)), "bad step"),
        "zero_rest.unk": (_fix_crc(_patch(_patch(minimal, 18, 0), 19, 0)), "bad step"),
        "sides_on_rest.unk": (_fix_crc(_patch(minimal, 17, 0x16)), "bad step"),
        "reserved_op_flag.unk": (_fix_crc(_patch(minimal, 17, 0x46)), "bad step"),
        "zero_breaths.unk": (_fix_crc(_patch(kinds, 18, 0)), "bad step"),
        "zero_inhale.unk": (_fix_crc(_patch(kinds, 19, 0)), "bad step"),
        "tick_on_breathe.unk": (_fix_crc(_patch(kinds, 17, 0x23)), "bad step"),
        "zero_hold.unk": (_fix_crc(_patch(_patch(kinds, 24, 0), 25, 0)), "bad step"),
        "too_few_steps.unk": (_fix_crc(_set_header(minimal, step_count=1)), "bad step"),
        "step_count_low.unk": (_fix_crc(_set_header(minimal, step_count=2)), "bad step"),
        "step_count_high.unk": (_fix_crc(_set_header(minimal, step_count=4)), "bad step"),
        # a get-ready step (v2 only) in a v1 file: valid as v2, an unknown kind in v1
        "v1_next_step.unk": (_fix_crc(_set_header(minimal[:17] + b"\x58" + minimal[17:],
                                                  step_count=4, total_len=n + 1)), "bad step"),
        "step_past_end.unk": (_fix_crc(_set_header(minimal[:-1] + b"\x04\x01",
                                                   total_len=n + 1)), "bad step"),
    }


def build() -> dict[str, bytes]:
    """Every vector file, relative to tests/vectors/, with its exact content."""
    out: dict[str, bytes] = {}
    plain: dict[str, bytes] = {}
    for src in sorted((VECTORS / "routines").glob("*.toml")):
        routine = load_file(src)
        out[f"routines/{file_name(src.stem)}"] = compile_routine(routine, labels=True)
        plain[src.stem] = compile_routine(routine, labels=False)
    reasons: dict[str, str] = {}
    broken = (invalid(plain["minimal"], plain["all-kinds"]) | invalid_v2(plain["exercises"])
              | invalid_v3(plain["floor"]))
    for name, (data, reason) in broken.items():
        out[f"invalid/{name}"] = data
        reasons[name] = reason
    text = json.dumps(reasons, indent=2, sort_keys=True) + "\n"
    out["invalid/reasons.json"] = text.encode()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    wanted = build()
    if args.check:
        bad = [k for k, v in wanted.items()
               if not (VECTORS / k).exists() or (VECTORS / k).read_bytes() != v]
        for k in bad:
            print(f"differs: tests/vectors/{k}")
        return 1 if bad else 0
    for old in (VECTORS / "invalid").glob("*.unk"):
        if f"invalid/{old.name}" not in wanted:
            old.unlink()
    for rel, data in wanted.items():
        path = VECTORS / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(wanted)} files under {VECTORS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
