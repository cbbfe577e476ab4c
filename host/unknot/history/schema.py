"""The history database's schema: named migrations, applied in order, each in its own
transaction. See docs/history.md for the tables."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from types import TracebackType

DB_NAME = "history.sqlite3"

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    """Register a migration under its function name. Order of definition = order applied."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE devices (
            device_id  TEXT PRIMARY KEY,   -- lower-case hex
            name       TEXT NOT NULL DEFAULT '',
            firmware   TEXT NOT NULL DEFAULT '',
            first_seen REAL NOT NULL,      -- unix seconds (host clock)
            last_sync  REAL                -- unix seconds (host clock)
        )"""
    )
    db.execute(
        """CREATE TABLE sessions (
            device_id    TEXT NOT NULL REFERENCES devices(device_id),
            seq          INTEGER NOT NULL,
            start_utc    INTEGER NOT NULL,  -- unix seconds, reconstructed if needed
            start_approx INTEGER NOT NULL DEFAULT 0,
            raw_start    INTEGER NOT NULL,  -- the record's start field as sent
            routine_id   INTEGER NOT NULL,
            routine_slug TEXT,
            routine_name TEXT,
            steps_done   INTEGER NOT NULL,
            steps_total  INTEGER NOT NULL,
            active_s     INTEGER NOT NULL,
            flags        INTEGER NOT NULL,
            boot         INTEGER NOT NULL,
            synced_at    REAL NOT NULL,
            UNIQUE (device_id, seq)
        )"""
    )
    db.execute(
        """CREATE TABLE cursors (
            device_id TEXT PRIMARY KEY REFERENCES devices(device_id),
            next_seq  INTEGER NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE sync_log (
            id        INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL REFERENCES devices(device_id),
            at        REAL NOT NULL,
            new       INTEGER NOT NULL,
            known     INTEGER NOT NULL,
            lost      INTEGER NOT NULL,
            clock_offset_s REAL              -- host clock minus device clock, if set
        )"""
    )


@migration
def m002_session_time_index(db: sqlite3.Connection) -> None:
    db.execute("CREATE INDEX sessions_start ON sessions (start_utc)")


@migration
def m003_simulated_devices_and_boots(db: sqlite3.Connection) -> None:
    # simulated: the device is the simulated one (`unknot sim`, `demo`); its sessions are
    # left out of history, stats and export unless --include-sim.
    db.execute("ALTER TABLE devices ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0")
    # One start time per device boot, computed once and reused by every later sync, so all
    # clock-unset records of one boot are placed with the same offset (docs/history.md).
    db.execute(
        """CREATE TABLE boots (
            device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
            boot      INTEGER NOT NULL,   -- the boot counter's low byte, as in the records
            start_utc REAL NOT NULL,      -- host time at device uptime 0 of that boot
            rate      REAL NOT NULL,      -- device clock seconds per host second
            guessed   INTEGER NOT NULL,   -- 1: placed before the next boot, not from INFO
            PRIMARY KEY (device_id, boot)
        )"""
    )
    db.execute("ALTER TABLE sync_log ADD COLUMN corrupt INTEGER NOT NULL DEFAULT 0")


@migration
def m004_journal_epoch(db: sqlite3.Connection) -> None:
    """Journal identity (docs/history.md): a device's journal is (device, epoch); the host
    numbers the journals it has seen per device (`journal`, 0 first), sessions are unique on
    (device, journal, seq) and the cursor remembers the epoch it belongs to."""
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'sessions'").fetchone()
    cols = ", ".join(r[1] for r in db.execute("PRAGMA table_info(sessions)"))
    new = sql.replace("CREATE TABLE sessions", "CREATE TABLE sessions_v3", 1).replace(
        "UNIQUE (device_id, seq)",
        "journal      INTEGER NOT NULL DEFAULT 0,\n            UNIQUE (device_id, journal, seq)",
    )
    db.execute(new)
    db.execute(f"INSERT INTO sessions_v3 ({cols}) SELECT {cols} FROM sessions")
    db.execute("DROP TABLE sessions")
    db.execute("ALTER TABLE sessions_v3 RENAME TO sessions")
    db.execute("CREATE INDEX sessions_start ON sessions (start_utc)")
    db.execute("ALTER TABLE cursors ADD COLUMN epoch INTEGER")  # NULL: synced before v2
    db.execute("ALTER TABLE cursors ADD COLUMN journal INTEGER NOT NULL DEFAULT 0")


def pending_migrations(db: sqlite3.Connection) -> list[str]:
    """Names of the migrations this database still needs (all of them for an empty one)."""
    has_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'"
    ).fetchone()
    done = set(applied_migrations(db)) if has_table else set()
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(db: sqlite3.Connection) -> None:
    """Apply every migration not yet recorded in the `migrations` table."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    for name, fn in MIGRATIONS:
        with Transaction(db) as tx:
            done = tx.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone()
            if done:
                continue
            fn(tx)
            tx.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
            )


def applied_migrations(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM migrations ORDER BY rowid").fetchall()
    return [str(r[0]) for r in rows]


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception (KeyboardInterrupt included)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:
            # After SQLITE_FULL or an I/O error SQLite may have rolled back already; the
            # original error is the one worth reporting.
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
