"""The history database stays consistent when the host process is SIGKILLed mid-sync.

A child process (this file run as a script) syncs a 1200-record journal (3 batches of
sync.BATCH=500, ~75 notifications) from the simulated device over the bumble link into a
real SQLite HistoryStore. The parent kills it with SIGKILL at several points: after N data
notifications (child paused there, or still running), after K committed batches, and inside
the ingest transaction (after R session rows were inserted but before COMMIT). Each time the
database must pass `PRAGMA integrity_check`, hold exactly seqs 1..cursor-1, and a fresh
in-process sync must complete it to equal the journal.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
RECORDS = 1200
DEVICE = "0102030405060708"


def child(db: str, keys: str, mode: str, arg: int) -> None:
    """Sync into `db`, printing one line per data notification ("N i") and per committed
    batch ("B k"). mode "notify"/"batch"/"commit": at the arg-th event print "AT" and wait
    to be killed; mode "run": never pause (the parent kills it while it runs)."""
    sys.path.insert(0, str(HERE))
    from bleapp import App, consent, run
    from unknot.ble import open_device
    from unknot.ble.sync import sync
    from unknot.device.keys import KeyStore
    from unknot.history import HistoryStore
    from unknot.sim.radio import SimRadio

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def hold() -> None:
        say("AT")
        time.sleep(60)  # the parent SIGKILLs us here
        os._exit(3)

    app = App(RECORDS)
    store_keys = KeyStore(Path(keys) / "host")
    consent(app, store_keys)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=Path(keys)).start()
        per = radio.peripheral
        real_notify = per.device.notify_subscriber
        sent = 0

        async def notify(conn: Any, char: Any, value: bytes) -> None:
            nonlocal sent
            await real_notify(conn, char, value)
            if char is per.data_char and value[0] in (1, 2):
                sent += 1
                say(f"N {sent}")
                if mode == "notify" and sent == arg:
                    hold()

        per.device.notify_subscriber = notify
        with HistoryStore.open(Path(db)) as store:
            inserts = 0

            def trace(sql: str) -> None:
                nonlocal inserts
                if "INSERT INTO sessions" in sql:
                    inserts += 1
                    if mode == "commit" and inserts == arg:
                        hold()

            store._db.set_trace_callback(trace)
            batches = 0

            def progress(done: int, total: int) -> None:
                nonlocal batches
                batches += 1
                say(f"B {batches} {done}")
                if mode == "batch" and batches == arg:
                    hold()

            async with open_device(radio=radio, keys=store_keys) as s:
                await sync(s, store, progress=progress)
        say("DONE")
        await radio.stop()

    run(go)


def kill_child(tmp: Path, mode: str, arg: int, kill_after_lines: int | None = None) -> list[str]:
    """Start the child, SIGKILL it at "AT" (or after kill_after_lines lines); its output."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, __file__, str(tmp / "h.sqlite3"), str(tmp / "keys"), mode, str(arg)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 20
    try:
        for raw in proc.stdout:
            line = raw.decode().strip()
            lines.append(line)
            if line == "AT" or (kill_after_lines is not None and len(lines) >= kill_after_lines):
                proc.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        err = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, lines[-3:], err[-2000:])
    assert "DONE" not in lines
    return lines


def check_consistent(db: Path) -> int:
    """integrity_check ok, seqs exactly 1..cursor-1, no duplicates; returns cursor."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        seqs = [r[0] for r in con.execute("SELECT seq FROM sessions ORDER BY seq")]
        row = con.execute("SELECT next_seq FROM cursors").fetchone()
    finally:
        con.close()
    cursor = int(row[0]) if row else 1
    assert len(seqs) == len(set(seqs))
    assert seqs == list(range(1, cursor)), (len(seqs), seqs[-1:], cursor)
    return cursor


def finish_and_compare(tmp: Path) -> None:
    from bleapp import App, consent, run
    from unknot import fwload
    from unknot.ble import open_device
    from unknot.ble.sync import sync
    from unknot.device.keys import KeyStore
    from unknot.history import HistoryStore
    from unknot.sim.radio import SimRadio

    app = App(RECORDS)
    store_keys = KeyStore(tmp / "keys" / "host")
    consent(app, store_keys)
    before = check_consistent(tmp / "h.sqlite3")

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp / "keys").start()
        with HistoryStore.open(tmp / "h.sqlite3") as store:
            async with open_device(radio=radio, keys=store_keys) as s:
                res = await sync(s, store)
            assert (res.new, res.known, res.lost) == (RECORDS - (before - 1), 0, 0)
        await radio.stop()

    run(go)
    assert check_consistent(tmp / "h.sqlite3") == RECORDS + 1
    unpack = fwload.module("journal").unpack_record
    want = [tuple(unpack(app.journal.read(q))) for q in range(1, RECORDS + 1)]
    con = sqlite3.connect(tmp / "h.sqlite3")
    got = con.execute(
        "SELECT seq, raw_start, routine_id, steps_done, steps_total, active_s, flags, boot"
        " FROM sessions WHERE device_id = ? ORDER BY seq",
        (DEVICE,),
    ).fetchall()
    con.close()
    assert got == want


# (mode, arg, kill_after_lines, expected cursor after the kill or None if racy)
POINTS = [
    ("notify", 10, None, 1),  # inside the first batch's stream: nothing committed
    ("batch", 1, None, 501),  # right after the first batch's COMMIT
    ("commit", 750, None, 501),  # 250 rows of batch 2 inserted, COMMIT not reached
    ("notify", 60, None, 1001),  # inside the third batch's stream
    ("run", 0, 40, None),  # free-running: killed whenever line 40 is read
]


@pytest.mark.parametrize(("mode", "arg", "lines", "cursor"), POINTS)
def test_kill_mid_sync_keeps_history_consistent(
    tmp_path: Path, mode: str, arg: int, lines: int | None, cursor: int | None
) -> None:
    sys.path.insert(0, str(HERE))
    out = kill_child(tmp_path, mode, arg, lines)
    got = check_consistent(tmp_path / "h.sqlite3")
    if cursor is not None:
        assert out[-1] == "AT"
        assert got == cursor
    else:
        assert 1 <= got <= RECORDS  # killed mid-transfer, not before or after it
        assert any(x.startswith("N ") for x in out)
    finish_and_compare(tmp_path)


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
