"""The sync benchmark's three transfers (our protocol, NUS JSON lines, Adafruit file transfer)
really move the same records over the paced link; timings are not checked here."""

from __future__ import annotations

import asyncio
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import bench_sync


def test_three_transfers_deliver_the_same_records() -> None:
    m = asyncio.run(bench_sync.measure(100))
    want = m["device_records"]
    assert len(want) == 100
    assert m["sync_records"] == want
    assert m["nus_records"] == want
    assert m["ft_records"] == want
    sync_bytes, sync_s, notes = m["sync"]
    assert notes >= math.ceil(100 * 12 / (m["mtu"] - 3))
    assert 0 < sync_s and sync_bytes < m["nus"][0] and sync_bytes < m["ft"][0]
