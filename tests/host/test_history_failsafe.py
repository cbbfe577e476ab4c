"""The history database fails safe (issue 10 item 6): a damaged file, a read-only file or
folder, a full disk and a killed export never give a traceback or a half-written file.
Real SQLite files, real (tmpfs) mounts where the machine allows them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from unknot.cli import cli
from unknot.core import journal as record
from unknot.history import DeviceSeen, HistoryError, HistoryStore
from unknot.history.export import PARTIAL_SUFFIX
from unknot.history.repair import check
from unknot.journal import SessionRecord

DEV = "c0ffee0012345678"
READ_COMMANDS = [
    ["history"], ["history", "--json"], ["stats"], ["stats", "--json"],
    ["export", "--format", "csv"], ["export", "--format", "json"], ["devices"],
    ["devices", "--json"],
]


def fill(path: Path, n: int, first: int = 1, dev: str = DEV) -> None:
    now = time.time()
    recs = [SessionRecord(s, int(now) - 60 * (first + n - s), 7, 4, 4, 240, record.COMPLETED, 1)
            for s in range(first, first + n)]
    with HistoryStore.open(path) as st:
        st.ingest(DeviceSeen(dev, "Unknot-A", "0.1.0", unix=int(now), uptime_s=100, boot=1,
                             tail_seq=first), recs, now)


def count(path: Path) -> int:
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
    finally:
        db.close()


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def one_error_line(r: Result) -> str:
    """The command failed with exactly one `Error:` line and no traceback."""
    shown = "".join(traceback.format_exception(r.exc_info[1])) if r.exc_info else ""
    assert r.exception is None or isinstance(r.exception, SystemExit), shown
    assert r.exit_code != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    return lines[0]


def corrupt_page(path: Path, page: int) -> None:
    """Overwrite one page (1-based) of the database file with garbage."""
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * size)


@pytest.fixture
def damaged(home: Path) -> Path:
    db = home / "history.sqlite3"
    fill(db, 400)
    c = sqlite3.connect(db)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    leaves = [r[0] for r in c.execute(
        "SELECT pageno FROM dbstat WHERE name = 'sessions' AND pagetype = 'leaf'")]
    c.close()
    assert len(leaves) >= 5
    corrupt_page(db, leaves[len(leaves) // 2])  # one page of session rows, mid-table
    return db


# ---------------------------------------------------------------- a damaged database


def test_damaged_database_never_gives_a_traceback(home: Path, damaged: Path) -> None:
    before = damaged.read_bytes()
    outcomes = []
    for args in READ_COMMANDS:
        r = run(home, *args)
        if r.exit_code == 0:
            continue  # a query that does not touch the damaged page still works
        outcomes.append(one_error_line(r))
    assert outcomes and all("damaged" in o and "unknot doctor --repair" in o for o in outcomes)
    with pytest.raises(HistoryError, match="is damaged"):  # what `sync` opens
        HistoryStore.open(damaged)
    assert damaged.read_bytes() == before  # nothing was written into it


def test_sync_refuses_a_damaged_database(home: Path, damaged: Path) -> None:
    before = damaged.read_bytes()
    r = run(home, "sync", "--sim")
    line = one_error_line(r)
    assert "damaged" in line and "nothing was written" in line
    assert damaged.read_bytes() == before


def test_doctor_backs_up_and_repairs(home: Path, damaged: Path) -> None:
    r = run(home, "doctor")
    assert r.exit_code == 1 and "damaged" in r.stderr and "--repair" in r.stderr
    before = damaged.read_bytes()
    r = run(home, "doctor", "--repair")
    assert r.exit_code == 0, r.output
    backups = list(home.glob("history.sqlite3.damaged-*Z"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert check(damaged).ok
    kept = count(damaged)
    assert 300 <= kept < 400  # the rows of the one damaged page lost, the rest kept
    assert run(home, "doctor").output.strip().endswith("OK.")
    code = run(home, "history", "--json")
    assert code.exit_code == 0
    fill(damaged, 5, first=401)  # sync works again
    assert count(damaged) == kept + 5


# ---------------------------------------------------------------- read-only file/folder


@pytest.fixture
def mount(tmp_path: Path, tmpfs_mount: Callable[[Path, str], None]) -> Iterator[Path]:
    root = tmp_path / f"mnt-{uuid.uuid4().hex[:6]}"
    tmpfs_mount(root, "size=256k")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def remount_ro(root: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)


def test_read_only_folder_read_commands_work_sync_is_one_line(mount: Path) -> None:
    home = mount / "home"
    home.mkdir()
    fill(home / "history.sqlite3", 3)
    remount_ro(mount)  # a read-only folder and file, also for root
    for args in READ_COMMANDS:
        r = run(home, *args)
        assert r.exit_code == 0, (args, r.output)
    assert '"seq": 3' in run(home, "history", "--json").stdout
    line = one_error_line(run(home, "sync", "--sim"))
    assert "read-only" in line or "cannot" in line


def test_read_only_database_with_pending_migration(mount: Path) -> None:
    home = mount / "home"
    home.mkdir()
    db = home / "history.sqlite3"
    fill(db, 3)
    c = sqlite3.connect(db)  # as a database made before the newest migration
    c.execute("DELETE FROM migrations WHERE name = 'm003_simulated_devices_and_boots'")
    c.execute("ALTER TABLE devices DROP COLUMN simulated")
    c.execute("DROP TABLE boots")
    c.execute("ALTER TABLE sync_log DROP COLUMN corrupt")
    c.commit()
    c.close()
    remount_ro(mount)
    r = run(home, "history", "--json")
    assert r.exit_code == 0 and '"seq": 3' in r.stdout
    assert "needs an update (m003_simulated_devices_and_boots)" in r.stderr


def test_read_only_file_by_permission(home: Path) -> None:
    db = home / "history.sqlite3"
    fill(db, 2)
    db.chmod(0o444)
    home.chmod(0o555)
    try:
        for args in READ_COMMANDS:
            assert run(home, *args).exit_code == 0
    finally:
        home.chmod(0o755)
        db.chmod(0o644)


# ---------------------------------------------------------------- disk full


def test_disk_full_mid_sync_leaves_the_database_as_it_was(mount: Path) -> None:
    db = mount / "history.sqlite3"
    fill(db, 10)
    ballast = mount / "ballast"
    with ballast.open("wb", buffering=0) as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    os.truncate(ballast, ballast.stat().st_size - 48 * 1024)  # room for a part of the sync
    before = count(db)
    now = time.time()
    recs = [SessionRecord(s, int(now) - 5000 + s, 7, 4, 4, 240, record.COMPLETED, 1)
            for s in range(11, 4000)]
    with pytest.raises(sqlite3.OperationalError) as exc, HistoryStore.open(db) as st:
        st.ingest(DeviceSeen(DEV, "Unknot-A", "0.1.0", unix=int(now), uptime_s=100, boot=1,
                             tail_seq=11), recs, now)
    from unknot.errors import describe_failure

    assert describe_failure(exc.value) == (
        "the disk is full: the history database was left as it was")
    ballast.unlink()
    assert count(db) == before
    assert check(db).ok


def test_disk_full_mid_export_keeps_no_partial_file(mount: Path, home: Path) -> None:
    fill(home / "history.sqlite3", 2000)
    out = mount / "out.json"
    out.write_text("old\n")
    line = one_error_line(run(home, "export", "--format", "json", "-o", str(out)))
    assert "No space left on device" in line
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in mount.iterdir()) == ["out.json"]


# ---------------------------------------------------------------- killed export


def test_stale_partial_file_of_a_killed_export_is_cleaned(home: Path, tmp_path: Path) -> None:
    fill(home / "history.sqlite3", 3)
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = tmp_path / f".out.csv.{gone.pid}{PARTIAL_SUFFIX}"
    stale.write_bytes(b"x" * 100_000)
    mine = tmp_path / f".other.csv.{os.getpid()}{PARTIAL_SUFFIX}"  # a live writer's: kept
    mine.write_bytes(b"y")
    r = run(home, "export", "--format", "csv", "-o", str(tmp_path / "out.csv"))
    assert r.exit_code == 0
    assert not stale.exists() and mine.exists()
    assert (tmp_path / "out.csv").read_text().count("\n") == 4


def test_sigkill_mid_export_then_next_run_cleans(home: Path, tmp_path: Path) -> None:
    """A real export process killed while writing its temp file."""
    fill(home / "history.sqlite3", 3)
    out = tmp_path / "out.csv"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from unknot.history.export import atomic_write\n"
        "def slow(f):\n"
        "    f.write(b'x' * 1000); f.flush(); print('WRITING', flush=True); time.sleep(60)\n"
        f"atomic_write(Path({str(out)!r}), slow)\n"
    )
    p = subprocess.Popen(["python", "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "WRITING"
    p.kill()
    p.wait()
    left = list(tmp_path.glob(f".out.csv.*{PARTIAL_SUFFIX}"))
    assert len(left) == 1 and not out.exists()
    assert run(home, "export", "--format", "csv", "-o", str(out)).exit_code == 0
    assert list(tmp_path.glob(f".*{PARTIAL_SUFFIX}")) == [] and out.exists()


def test_every_damaged_page_no_traceback_never_written(tmp_path: Path) -> None:
    """Each page of a 400-session database damaged in turn: every read command and
    `doctor` end in output or one Error line, and the sync's open refuses every one."""
    base = tmp_path / "base"
    base.mkdir()
    fill(base / "history.sqlite3", 400)
    c = sqlite3.connect(base / "history.sqlite3")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    pages = (base / "history.sqlite3").stat().st_size // 4096
    refused = 0
    for page in range(1, pages + 1):
        home = tmp_path / f"p{page}"
        home.mkdir()
        db = home / "history.sqlite3"
        db.write_bytes((base / "history.sqlite3").read_bytes())
        corrupt_page(db, page)
        for args in (["history", "--json"], ["stats", "--json"], ["export", "--format", "csv"],
                     ["devices", "--json"]):
            r = run(home, *args)
            if r.exit_code != 0:
                one_error_line(r)
        r = run(home, "doctor")
        assert r.exception is None or isinstance(r.exception, SystemExit)
        before = db.read_bytes()
        try:
            HistoryStore.open(db).close()
        except HistoryError:
            refused += 1
        assert db.read_bytes() == before
    assert pages >= 20 and refused == pages
