"""History faults a fault run found (issue 20): a missing index row passed the pre-write
check, a sound database in a read-only folder was "damaged" to `doctor`, a 0-byte file was
taken for a new history; and the newcomer's polish: mode 0600, read commands leave a
missing home alone, hidden simulated sessions are explained, plurals, a full disk names
the file. Real SQLite files, real tmpfs mounts where the machine allows them."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from unknot.cli import cli
from unknot.core import journal as record
from unknot.history import DeviceSeen, HistoryError, HistoryStore
from unknot.history.repair import check
from unknot.journal import SessionRecord

DEV = "c0ffee0012345678"
SIM = "5151515151515151"


def fill(path: Path, n: int, dev: str = DEV, simulated: bool = False, ago_s: int = 0) -> None:
    now = time.time()
    recs = [SessionRecord(s, int(now) - ago_s - 60 * (n + 1 - s), 7, 4, 4, 240,
                          record.COMPLETED, 1)
            for s in range(1, n + 1)]
    with HistoryStore.open(path) as st:
        st.ingest(DeviceSeen(dev, "Unknot-A", "0.1.0", unix=int(now), uptime_s=100, boot=1,
                             tail_seq=1, simulated=simulated), recs, now)


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def drop_index_row(db: Path, seq: int) -> None:
    """Leave one session out of the (device, journal, seq) uniqueness index, as the fault
    run's damaged file had it: the index's root is swapped with a partial index's that
    lacks the row (writable_schema), so every page is still in use and well formed."""
    c = sqlite3.connect(db, isolation_level=None)
    c.execute(f"CREATE INDEX lack ON sessions (device_id, journal, seq) WHERE seq != {seq}")
    roots = dict(c.execute("SELECT name, rootpage FROM sqlite_master WHERE type = 'index'"))
    auto = "sqlite_autoindex_sessions_1"
    c.execute("PRAGMA writable_schema = ON")
    c.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (roots["lack"], auto))
    c.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = 'lack'", (roots[auto],))
    c.execute("PRAGMA writable_schema = OFF")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def test_missing_index_row_is_damage_and_nothing_is_written(home: Path) -> None:
    """quick_check passes a file whose (device, seq) index misses a row, and a sync then
    wrote into it; the pre-write check must refuse it, and doctor agrees."""
    db = home / "history.sqlite3"
    fill(db, 30)
    drop_index_row(db, 5)
    c = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    assert c.execute("PRAGMA quick_check").fetchall() == [("ok",)]  # what used to pass
    c.close()
    before = db.read_bytes()
    with pytest.raises(HistoryError, match=r"damaged .*nothing was written"):
        fill(db, 35)
    assert db.read_bytes() == before
    assert not check(db).ok
    r = run(home, "doctor", "--repair")
    assert r.exit_code == 0, r.output
    fill(db, 35)
    c = sqlite3.connect(db)
    assert c.execute("SELECT COUNT(*), COUNT(DISTINCT seq) FROM sessions").fetchone() == (35, 35)
    c.close()


def test_zero_byte_file_is_damaged_not_new(home: Path) -> None:
    db = home / "history.sqlite3"
    db.write_bytes(b"")
    with pytest.raises(HistoryError, match="0 bytes"):
        fill(db, 1)
    assert db.stat().st_size == 0
    r = run(home, "doctor")
    assert r.exit_code == 1 and "0 bytes" in r.stderr
    r = run(home, "doctor", "--repair")
    assert r.exit_code == 0, r.output
    fill(db, 2)
    assert check(db).ok


def test_doctor_in_a_read_only_folder_says_ok(
    tmp_path: Path, tmpfs_mount: Callable[[Path, str], None]
) -> None:
    """A sound WAL database in a folder the user cannot write (no -shm file yet)."""
    root = tmp_path / "ro"
    tmpfs_mount(root, "size=1m")
    try:
        fill(root / "history.sqlite3", 20)
        for extra in ("history.sqlite3-wal", "history.sqlite3-shm"):
            (root / extra).unlink(missing_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        r = run(root, "doctor")
        assert r.exit_code == 0, r.output
        assert r.output.strip().endswith(": OK.")
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def test_database_is_private(home: Path) -> None:
    db = home / "history.sqlite3"
    fill(db, 1)
    assert db.stat().st_mode & 0o777 == 0o600
    db.chmod(0o644)  # made by an older unknot
    fill(db, 2)
    assert db.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("args", [["history"], ["stats"], ["devices"], ["doctor"],
                                  ["export", "--format", "csv"]])
def test_read_commands_leave_a_missing_home_alone(tmp_path: Path, args: list[str]) -> None:
    home = tmp_path / "nowhere" / "home"
    r = run(home, *args)
    assert r.exit_code == 0, r.output
    assert not home.exists() and not home.parent.exists()


def test_hidden_simulated_sessions_are_explained(home: Path) -> None:
    db = home / "history.sqlite3"
    fill(db, 1, dev=SIM, simulated=True)
    for args in (["history"], ["stats"], ["export", "--format", "csv"]):
        r = run(home, *args)
        assert r.exit_code == 0
        assert "1 session of simulated devices" in r.stderr and "--include-sim" in r.stderr
        assert "1 sessions" not in r.output
    r = run(home, "history", "--include-sim")
    assert "not shown" not in r.stderr and "1 session" in r.output


def test_hidden_note_counts_only_the_shown_range(home: Path) -> None:
    """stats --days and history --since leave out old sessions: the note does not count
    simulated sessions outside the range either."""
    fill(home / "history.sqlite3", 2, dev=SIM, simulated=True, ago_s=10 * 86400)
    for args in (["stats", "--days", "3"], ["history", "--since", "3d"]):
        r = run(home, *args)
        assert r.exit_code == 0 and "simulated devices" not in r.stderr, (args, r.stderr)
    r = run(home, "stats", "--days", "30")
    assert "2 sessions of simulated devices" in r.stderr


def test_plurals(home: Path) -> None:
    fill(home / "history.sqlite3", 1)
    out = run(home, "history").output + run(home, "stats").output + run(home, "devices").output
    assert re.search(r"(?<!\d)1 session(?!s)", out), out
    for wrong in ("1 sessions", "1 devices", "1 days"):
        assert wrong not in out, wrong


def test_full_disk_in_a_fresh_home_names_the_file(
    tmp_path: Path, tmpfs_mount: Callable[[Path, str], None]
) -> None:
    root = tmp_path / "full"
    tmpfs_mount(root, "size=64k")
    try:
        with (root / "ballast").open("wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 1024)
            except OSError:
                pass
        r = run(root / "home", "sync", "--sim")
        assert r.exit_code == 1
        line = r.stderr.strip().splitlines()[-1]
        assert line.startswith("Error: ") and str(root / "home") in line, line
        assert "No space left" in line or "full" in line
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)
