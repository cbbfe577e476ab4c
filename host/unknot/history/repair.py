"""`unknot doctor`: check the history database and repair a damaged one.

Repair never touches the damaged file in place: it is first copied (with its -wal file) to
`history.sqlite3.damaged-<UTC time>`, then every row SQLite can still read is copied, table
by table, into a fresh database built by the migrations, which replaces the old file by a
rename. Rows on damaged pages are skipped (and counted), the rest is kept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from unknot.history.connect import EMPTY, integrity_problems
from unknot.history.records import HistoryError
from unknot.history.schema import migrate, pending_migrations

# Tables copied by a repair, parents before children (foreign keys).
TABLES = ("devices", "cursors", "boots", "sessions", "sync_log")


@dataclass
class Checkup:
    path: Path
    exists: bool
    problems: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Repair:
    backup: Path
    kept: dict[str, int]
    unreadable: dict[str, int]


def check(path: Path) -> Checkup:
    """PRAGMA integrity_check (read-only) plus the migrations still to apply."""
    if not path.exists():
        return Checkup(path, exists=False)
    if path.stat().st_size == 0:
        return Checkup(path, exists=True, problems=[EMPTY])
    # A read-only folder (no -shm file can be made for WAL): read it as immutable.
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if writable else "&immutable=1")
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        return Checkup(path, exists=True, problems=[str(exc)])
    try:
        try:
            problems = integrity_problems(db)
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        pending: list[str] = []
        if not problems:
            with contextlib.suppress(sqlite3.DatabaseError):
                pending = pending_migrations(db)
        return Checkup(path, exists=True, problems=problems, pending=pending)
    finally:
        db.close()


def _salvage(src: sqlite3.Connection, table: str) -> tuple[list[tuple[object, ...]], int]:
    """The readable rows of `table` (with rowid), walking rowids past damaged pages."""
    try:
        cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        top = src.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0]
    except sqlite3.DatabaseError:
        return [], 0
    if not cols or top is None:
        return [], 0
    rows: list[tuple[object, ...]] = []
    skipped = 0
    after = -(2**63)
    select = f"SELECT rowid, {', '.join(cols)} FROM {table}"
    while after < top:
        try:
            for row in src.execute(f"{select} WHERE rowid > ? ORDER BY rowid", (after,)):
                rows.append(tuple(row))
                after = int(row[0])
            break
        except sqlite3.DatabaseError:
            # a damaged page: look rowids up one by one (each lookup walks the tree from
            # its root) until one reads again, then scan on from there
            while after < top:
                after += 1
                try:
                    row = src.execute(f"{select} WHERE rowid = ?", (after,)).fetchone()
                except sqlite3.DatabaseError:
                    skipped += 1
                    continue
                if row is not None:
                    rows.append(tuple(row))
                    break
    return rows, skipped


def repair(path: Path) -> Repair:
    """Back up the database, then rebuild it from every readable row (see module doc)."""
    if not path.exists():
        raise HistoryError(f"no history database at {path}")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = path.with_name(f"{path.name}.damaged-{stamp}")
    shutil.copy2(path, backup)
    wal = path.with_name(path.name + "-wal")  # may hold committed transactions
    if wal.exists():
        shutil.copy2(wal, backup.with_name(backup.name + "-wal"))
    fresh_path = path.with_name(f".{path.name}.{os.getpid()}.repair")
    fresh_path.unlink(missing_ok=True)
    os.close(os.open(fresh_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # personal
    kept: dict[str, int] = {}
    unreadable: dict[str, int] = {}
    src = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    fresh = sqlite3.connect(fresh_path, isolation_level=None)
    try:
        migrate(fresh)
        fresh.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            rows, skipped = _salvage(src, table)
            cols = [r[1] for r in fresh.execute(f"PRAGMA table_info({table})")]
            n = 0
            for row in rows:
                src_cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
                values = dict(zip(["rowid", *src_cols], row, strict=True))
                names = ["rowid", *[c for c in cols if c in values]]
                cur = fresh.execute(
                    f"INSERT OR IGNORE INTO {table} ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' * len(names))})",
                    [values[c] for c in names],
                )
                n += cur.rowcount
            kept[table] = n
            unreadable[table] = skipped
        # A session without its device row cannot be shown: give it a placeholder device.
        fresh.execute(
            """INSERT OR IGNORE INTO devices (device_id, name, firmware, first_seen)
               SELECT DISTINCT device_id, '', '', MIN(synced_at) FROM sessions
               GROUP BY device_id"""
        )
        fresh.execute("COMMIT")
        fresh.execute("PRAGMA journal_mode=WAL")
    except BaseException:
        fresh.close()
        src.close()
        fresh_path.unlink(missing_ok=True)
        raise
    fresh.close()
    src.close()
    for side in ("-wal", "-shm"):
        path.with_name(path.name + side).unlink(missing_ok=True)
    os.replace(fresh_path, path)
    return Repair(backup=backup, kept=kept, unreadable=unreadable)
