"""Opening the history database: for writing (checked first, never into a damaged file)
or read-only (a read-only file or folder works; pending migrations go to a copy in
memory). Every sqlite3 failure here becomes a HistoryError with one clear message."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from pathlib import Path

from unknot.errors import DOCTOR_HINT, describe_failure
from unknot.history.records import HistoryError
from unknot.history.schema import DB_NAME, migrate, pending_migrations


def db_path(path: Path | None = None, *, create_home: bool = True) -> Path:
    """The history database file: `path`, or <unknot home>/history.sqlite3 (the home is made
    if missing, unless `create_home` is false: reading never makes it)."""
    if path is not None:
        return Path(path)
    from unknot import paths

    return paths.home(create=create_home) / DB_NAME


EMPTY = "the file is empty (0 bytes): its contents were lost (truncated)"


def integrity_problems(db: sqlite3.Connection) -> list[str]:
    """PRAGMA integrity_check's problems ([] = the database is sound). Not quick_check: that
    one passes a file whose (device, seq) uniqueness index misses a row, and a sync would
    then write duplicates into it."""
    try:
        rows = [str(r[0]) for r in db.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        if not exc.sqlite_errorname.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise  # not damage (e.g. cannot open): reported as what it is
        return [str(exc)]
    if rows == ["ok"]:
        return []
    return [" ".join(r.replace("*** in database main ***", "").split()) for r in rows]


def _create(path: Path) -> None:
    """A new database, made beside `path` and renamed into place once its schema is in, so
    a crash never leaves a 0-byte file (which is refused as damaged); mode 0600, like the
    host keys: the history is personal."""
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        migrate(db)
    finally:
        db.close()
    os.replace(tmp, path)


def _private(path: Path) -> None:
    """Mode 0600 for the database (a file made by an older unknot was 0644)."""
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


def connect_for_writing(path: Path) -> sqlite3.Connection:
    for p in (path, path.parent):
        if p.exists() and not os.access(p, os.W_OK):
            raise HistoryError(
                f"cannot write the history database: {p} is read-only "
                "(history, stats, export and devices can still read it)"
            )
    if path.exists() and path.stat().st_size == 0:
        raise HistoryError(f"the history database {path} is damaged ({EMPTY}); nothing was "
                           f"written: {DOCTOR_HINT}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create(path)
        _private(path)
        db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"cannot open history database {path}: {describe_failure(exc)}") from exc
    try:
        problems = integrity_problems(db)
        if problems:
            raise HistoryError(
                f"the history database {path} is damaged ({problems[0]}); nothing was "
                f"written: {DOCTOR_HINT}"
            )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        migrate(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise HistoryError(f"cannot use history database {path}: {describe_failure(exc)}") from exc
    except BaseException:
        db.close()
        raise
    return db


def connect_readonly(path: Path) -> sqlite3.Connection:
    if not path.exists():
        db = sqlite3.connect(":memory:", isolation_level=None)
        migrate(db)
        return db
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    base = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{base}?mode=ro" + ("" if writable else "&immutable=1"),
                             uri=True, isolation_level=None, timeout=30.0)
        try:
            pending = pending_migrations(db)
        except sqlite3.OperationalError:
            # WAL needs its -shm file next to the database: a read-only folder (also as root).
            db.close()
            db = sqlite3.connect(f"{base}?mode=ro&immutable=1", uri=True, isolation_level=None)
            pending = pending_migrations(db)
        if pending:
            # An older schema: migrate a copy in memory, never the file.
            mem = sqlite3.connect(":memory:", isolation_level=None)
            db.backup(mem)
            db.close()
            db = mem
            migrate(db)
            sys.stderr.write(
                f"Note: {path} needs an update ({', '.join(pending)}); it is made by the "
                "next `unknot sync`. Showing the history as it is.\n"
            )
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"cannot read history database {path}: {describe_failure(exc)}") from exc
    return db
