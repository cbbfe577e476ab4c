"""Kill a process with SIGKILL in the middle of ingests, many times; the database must stay
consistent: integrity_check ok, sessions exactly 1..cursor-1, sync_log sums match."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = r"""
import sys
from pathlib import Path
from unknot.journal import SessionRecord
from unknot.history import DeviceSeen, HistoryStore

dev = "00112233aabbccdd"
with HistoryStore.open(Path(sys.argv[1])) as store:
    print("ready", flush=True)
    while True:
        c = store.cursor(dev).next_seq
        recs = [SessionRecord(s, 1767225600 + s, 1, 2, 2, 60, 1, 1) for s in range(c, c + 400)]
        # overlap the previous batch so every ingest also meets known records
        recs = [SessionRecord(max(1, c - 50) + i, 1767225600, 1, 2, 2, 60, 1, 1)
                for i in range(min(50, c - 1))] + recs
        seen = DeviceSeen(dev, "kill", "1", unix=None, uptime_s=10, boot=1, tail_seq=1)
        store.ingest(seen, recs, 1767225600 + c)
"""


def check(db_path: Path) -> int:
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = [r[0] for r in db.execute("SELECT seq FROM sessions ORDER BY seq")]
        row = db.execute("SELECT next_seq FROM cursors").fetchone()
        cursor = row[0] if row else 1
        assert seqs == list(range(1, cursor))
        new_total = db.execute("SELECT COALESCE(SUM(new), 0) FROM sync_log").fetchone()[0]
        assert new_total == len(seqs)
        return len(seqs)
    finally:
        db.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_ingest_leaves_consistent_history(tmp_path: Path) -> None:
    db_path = tmp_path / "h.sqlite3"
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    counts = []
    for _ in range(15):
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db_path)], stdout=subprocess.PIPE, env=env
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.01, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        counts.append(check(db_path))
    # the child made progress between kills (the kills landed during real work)
    assert counts[-1] > counts[0] > 0
    assert counts == sorted(counts)
