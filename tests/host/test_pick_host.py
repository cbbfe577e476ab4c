"""`unknot device forget --host`: a name or an id prefix picks exactly one paired computer;
two computers sharing a name are never guessed between."""

from __future__ import annotations

import pytest
from unknot.ble.pair import PairedHost, pick_host
from unknot.errors import DeviceError

A = PairedHost(bytes.fromhex("a1b2c3d4e5f60708"), "laptop", 1, None)
B = PairedHost(bytes.fromhex("99887766aabbccdd"), "laptop", 2, None)
C = PairedHost(bytes.fromhex("a1b2ffff00000000"), "desk", 3, None)


def test_a_unique_name_or_id_prefix_picks_one() -> None:
    assert pick_host([A, B, C], "desk") is C
    assert pick_host([A, B, C], "9988") is B
    assert pick_host([A, B, C], "A1B2C3") is A


def test_a_shared_name_is_refused_with_the_ids() -> None:
    shared = r"2 paired computers match 'laptop' \(a1b2c3d4, 99887766\)"
    with pytest.raises(DeviceError, match=shared):
        pick_host([A, B, C], "laptop")


def test_an_ambiguous_or_short_id_and_an_unknown_name_are_refused() -> None:
    with pytest.raises(DeviceError, match="2 paired computers"):
        pick_host([A, B, C], "a1b2")
    with pytest.raises(DeviceError, match="no paired computer called 'a1b'"):
        pick_host([A, B, C], "a1b")
    with pytest.raises(DeviceError, match="no paired computer called 'kitchen'"):
        pick_host([A, B, C], "kitchen")
