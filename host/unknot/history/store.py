"""The host's session history: a SQLite database (stdlib sqlite3) with named migrations.

Every sync is one ``ingest`` call and one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``):
a killed process leaves the database as it was before or after the sync, never half-way.
Sessions are unique on (device_id, seq); a repeated or overlapping sync adds nothing.
See docs/history.md for the schema and the clock-reconstruction rule.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any

from unknot.core import journal as record
from unknot.history.clock import BootStart, reconstruct_starts
from unknot.history.connect import connect_for_writing, connect_readonly, db_path
from unknot.history.names import RoutineNames, routine_names
from unknot.history.records import (
    DeviceSeen,
    IngestResult,
    KnownDevice,
    StoredSession,
    from_unix,
    normalize_device_id,
    resolve_device_id,
)
from unknot.history.schema import Transaction, applied_migrations
from unknot.history.stats import Stats, compute_stats
from unknot.journal import SessionRecord

# A stored boot start within this of a new estimate is the same boot (host/device clock
# drift and the uptime's whole seconds); further off, the boot byte has wrapped.
BOOT_START_TOLERANCE_S = 600.0


@dataclass(frozen=True)
class Cursor:
    epoch: int | None
    journal: int
    next_seq: int


class HistoryStore:
    """The history database. Use `HistoryStore.open()` as a context manager."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._routines: RoutineNames | None = None

    # -- opening

    @classmethod
    def open(cls, path: Path | None = None, *, readonly: bool = False) -> HistoryStore:
        """The history database (default: <home>/history.sqlite3).

        For writing (sync), the database is checked first (PRAGMA integrity_check) and a
        damaged one is refused (HistoryError naming `unknot doctor`). readonly=True (history,
        stats, export, devices) never writes: a file or folder that cannot be written is
        opened read-only, and pending migrations are applied to a copy in memory.
        """
        path = db_path(path, create_home=not readonly)
        return cls(connect_readonly(path) if readonly else connect_for_writing(path), path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def applied_migrations(self) -> list[str]:
        return applied_migrations(self._db)

    # -- sync

    def cursor(self, device_id: str) -> Cursor:
        """Where the host stands with this device's journal: the epoch it last synced (None:
        never, or before protocol v2), the host's number for that journal, the next seq."""
        row = self._db.execute(
            "SELECT epoch, journal, next_seq FROM cursors WHERE device_id = ?",
            (normalize_device_id(device_id),),
        ).fetchone()
        if row is None:
            return Cursor(epoch=None, journal=0, next_seq=1)
        return Cursor(epoch=row[0], journal=int(row[1]), next_seq=int(row[2]))

    def ingest(self, seen: DeviceSeen, records: Sequence[SessionRecord],
               host_now: float) -> IngestResult:
        """Store one sync's records in one transaction; see the module docstring and
        DeviceSeen (what the device said at the sync, host_now: the host's unix time then).

        Seqs below seen.tail_seq that the host never received were overwritten on the device
        and are counted as `lost`, and the cursor moves past them; seqs between the records
        given and seen.resume_seq are slots the device skipped as corrupt (`corrupt`)."""
        dev = normalize_device_id(seen.device_id)
        before, learned, placed = self._place(dev, seen, records, host_now)
        with Transaction(self._db) as db:
            self._upsert_device(db, dev, seen, host_now)
            self._store_boots(db, dev, seen.clock_rate, before, learned)
            new, known = self._insert_sessions(db, dev, seen.journal, records, placed, host_now)
            lost, corrupt = self._advance_cursor(db, dev, seen)
            offset = None if seen.unix is None else host_now - seen.unix
            db.execute(
                """INSERT INTO sync_log (device_id, at, new, known, lost, clock_offset_s,
                                        corrupt)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (dev, host_now, new, known, lost, offset, corrupt),
            )
        return IngestResult(new=new, known=known, lost=lost, corrupt=corrupt)

    def _place(self, dev: str, seen: DeviceSeen, records: Sequence[SessionRecord],
               host_now: float) -> tuple[dict[int, BootStart], dict[int, BootStart],
                                         list[tuple[int, bool]]]:
        """The boot starts stored before, the ones this sync learns, and each record's
        (start_utc, approximate) placed with them (docs/history.md, unknot.history.clock)."""
        boot_byte = seen.boot & 0xFF
        stored: dict[int, BootStart] = {
            int(b): (float(t), bool(g)) for b, t, g in self._db.execute(
                "SELECT boot, start_utc, guessed FROM boots WHERE device_id = ?", (dev,))
        }
        before = dict(stored)
        estimate = host_now - seen.uptime_s / seen.clock_rate
        current = stored.get(boot_byte)
        if current is None or abs(current[0] - estimate) > BOOT_START_TOLERANCE_S:
            stored[boot_byte] = (estimate, False)  # a boot not seen before (or byte wrapped)
        elif current[1]:
            stored[boot_byte] = (current[0], False)  # seen running now: no longer a guess
        learned: dict[int, BootStart] = {boot_byte: stored[boot_byte]}
        placed = reconstruct_starts(
            records, device_uptime_s=seen.uptime_s, device_boot=seen.boot,
            host_now=host_now, rate=seen.clock_rate, boot_starts=stored, learned=learned,
        )
        return before, learned, placed

    @staticmethod
    def _upsert_device(db: sqlite3.Connection, dev: str, seen: DeviceSeen,
                       host_now: float) -> None:
        db.execute(
            """INSERT INTO devices (device_id, name, firmware, first_seen, last_sync,
                                   simulated)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (device_id) DO UPDATE SET
                 name = excluded.name, firmware = excluded.firmware,
                 last_sync = excluded.last_sync, simulated = excluded.simulated""",
            (dev, seen.name, seen.firmware, host_now, host_now, int(seen.simulated)),
        )

    @staticmethod
    def _store_boots(db: sqlite3.Connection, dev: str, rate: float,
                     before: dict[int, BootStart], learned: dict[int, BootStart]) -> None:
        """The boot starts learned; a guessed one that moved takes its records along."""
        db.executemany(
            """INSERT INTO boots (device_id, boot, start_utc, rate, guessed)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (device_id, boot) DO UPDATE SET
                 start_utc = excluded.start_utc, rate = excluded.rate,
                 guessed = excluded.guessed""",
            [(dev, b, t, rate, int(g)) for b, (t, g) in learned.items()],
        )
        for b, (t, _g) in learned.items():
            old = before.get(b)
            if old is not None and old[1] and old[0] != t:
                db.execute(
                    """UPDATE sessions SET start_utc = start_utc + ?
                       WHERE device_id = ? AND boot = ? AND start_approx = 1
                         AND flags & ? != 0
                         AND ABS(start_utc - (? + raw_start / ?)) <= 1""",
                    (round(t - old[0]), dev, b, record.CLOCK_UNSET, old[0], rate),
                )

    def _insert_sessions(self, db: sqlite3.Connection, dev: str, journal: int,
                         records: Sequence[SessionRecord], placed: list[tuple[int, bool]],
                         host_now: float) -> tuple[int, int]:
        """Insert the records (a seq already held is kept as it was): (new, known)."""
        if self._routines is None:
            self._routines = routine_names()
        routines = self._routines
        new = known = 0
        for rec, (start_utc, approx) in zip(records, placed, strict=True):
            slug_name = routines.get(rec.routine_id)
            cur = db.execute(
                """INSERT INTO sessions (device_id, seq, start_utc, start_approx, raw_start,
                     routine_id, routine_slug, routine_name, steps_done, steps_total,
                     active_s, flags, boot, synced_at, journal)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (device_id, journal, seq) DO NOTHING""",
                (dev, rec.seq, start_utc, int(approx), rec.start, rec.routine_id,
                 slug_name[0] if slug_name else None, slug_name[1] if slug_name else None,
                 rec.steps_done, rec.steps_total, rec.active_s, rec.flags, rec.boot,
                 host_now, journal),
            )
            if cur.rowcount == 1:
                new += 1
            else:
                known += 1
        return new, known

    def _advance_cursor(self, db: sqlite3.Connection, dev: str,
                        seen: DeviceSeen) -> tuple[int, int]:
        """Move the cursor past what is held, lost (below the device's tail) and corrupt
        (skipped up to resume_seq): (lost, corrupt)."""
        journal, tail = seen.journal, seen.tail_seq
        row = db.execute(
            "SELECT next_seq, journal FROM cursors WHERE device_id = ?", (dev,)
        ).fetchone()
        nxt = int(row[0]) if row and int(row[1]) == journal else 1
        lost = corrupt = 0
        if tail > nxt:
            lost = (tail - nxt) - self._held(db, dev, journal, nxt, tail)
            nxt = tail
        nxt = self._contiguous_end(db, dev, journal, nxt)
        resume = seen.resume_seq
        if resume is not None and resume > nxt >= tail:
            corrupt = (resume - nxt) - self._held(db, dev, journal, nxt, resume)
            nxt = self._contiguous_end(db, dev, journal, resume)
        db.execute(
            """INSERT INTO cursors (device_id, next_seq, epoch, journal) VALUES (?, ?, ?, ?)
               ON CONFLICT (device_id) DO UPDATE
               SET next_seq = CASE WHEN journal = excluded.journal
                              THEN MAX(next_seq, excluded.next_seq)
                              ELSE excluded.next_seq END,
                   epoch = COALESCE(excluded.epoch, epoch),
                   journal = excluded.journal""",
            (dev, nxt, seen.epoch, journal),
        )
        return lost, corrupt

    @staticmethod
    def _held(db: sqlite3.Connection, dev: str, journal: int, start: int, end: int) -> int:
        """How many seqs in [start, end) the history holds."""
        return int(db.execute(
            """SELECT COUNT(*) FROM sessions
               WHERE device_id = ? AND journal = ? AND seq >= ? AND seq < ?""",
            (dev, journal, start, end),
        ).fetchone()[0])

    @staticmethod
    def _contiguous_end(db: sqlite3.Connection, dev: str, journal: int, start: int) -> int:
        nxt = start
        rows = db.execute(
            """SELECT seq FROM sessions WHERE device_id = ? AND journal = ? AND seq >= ?
               ORDER BY seq""",
            (dev, journal, start),
        )
        for (seq,) in rows:
            if seq != nxt:
                break
            nxt += 1
        return nxt

    # -- queries

    def known_ids(self) -> list[str]:
        return [str(r[0]) for r in self._db.execute("SELECT device_id FROM devices")]

    def resolve_device(self, device_id: str) -> str:
        """The full id of a known device from its id or any unique prefix of it."""
        return resolve_device_id(device_id, self.known_ids())

    def sessions(
        self,
        since: datetime | None = None,
        device_id: str | None = None,
        until: datetime | None = None,
        *,
        include_sim: bool = False,
    ) -> list[StoredSession]:
        """Sessions ordered by start time (then device, seq). Sessions of simulated devices
        only with include_sim, or when `device_id` (an id or unique prefix) names one."""
        where: list[str] = []
        args: list[Any] = []
        if since is not None:
            where.append("s.start_utc >= ?")
            args.append(int(_aware(since).timestamp()))
        if until is not None:
            where.append("s.start_utc < ?")
            args.append(int(_aware(until).timestamp()))
        if device_id is not None:
            where.append("s.device_id = ?")
            args.append(self.resolve_device(device_id))
        elif not include_sim:
            where.append("d.simulated = 0")
        sql = (
            "SELECT s.device_id, s.seq, s.start_utc, s.start_approx, s.routine_id,"
            " s.routine_slug, s.routine_name, s.steps_done, s.steps_total, s.active_s,"
            " s.flags, s.boot, s.synced_at, s.start_approx AND COALESCE(b.guessed, 0)"
            " FROM sessions s JOIN devices d ON d.device_id = s.device_id"
            " LEFT JOIN boots b ON b.device_id = s.device_id AND b.boot = s.boot"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.start_utc, s.device_id, s.seq"
        return [
            StoredSession(
                device_id=r[0],
                seq=r[1],
                start=from_unix(r[2]),
                start_approx=bool(r[3]),
                routine_id=r[4],
                routine_slug=r[5],
                routine_name=r[6],
                steps_done=r[7],
                steps_total=r[8],
                active_s=r[9],
                flags=r[10],
                boot=r[11],
                synced_at=from_unix(r[12]),
                start_guessed=bool(r[13]),
            )
            for r in self._db.execute(sql, args)
        ]

    def devices(self) -> list[KnownDevice]:
        rows = self._db.execute(
            """SELECT d.device_id, d.name, d.firmware, d.first_seen, d.last_sync,
                      (SELECT COUNT(*) FROM sessions s WHERE s.device_id = d.device_id),
                      COALESCE(c.next_seq, 1), d.simulated
               FROM devices d LEFT JOIN cursors c ON c.device_id = d.device_id
               ORDER BY d.first_seen, d.device_id"""
        )
        return [
            KnownDevice(
                device_id=r[0],
                name=r[1],
                firmware=r[2],
                first_seen=from_unix(r[3]),
                last_sync=None if r[4] is None else from_unix(r[4]),
                sessions=r[5],
                next_seq=r[6],
                simulated=bool(r[7]),
            )
            for r in rows
        ]

    def forget(self, device_id: str) -> int:
        """Remove a device, its sessions, cursor, boots and sync log (one transaction);
        returns how many sessions went."""
        dev = self.resolve_device(device_id)
        with Transaction(self._db) as db:
            n = db.execute("DELETE FROM sessions WHERE device_id = ?", (dev,)).rowcount
            for table in ("cursors", "boots", "sync_log", "devices"):
                db.execute(f"DELETE FROM {table} WHERE device_id = ?", (dev,))
        return int(n)

    def sync_log(self, device_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT device_id, at, new, known, lost, clock_offset_s, corrupt FROM sync_log"
        args: tuple[str, ...] = ()
        if device_id is not None:
            sql += " WHERE device_id = ?"
            args = (self.resolve_device(device_id),)
        cols = ("device_id", "at", "new", "known", "lost", "clock_offset_s", "corrupt")
        return [
            dict(zip(cols, r, strict=True)) for r in self._db.execute(sql + " ORDER BY id", args)
        ]

    def stats(
        self,
        days: int | None = None,
        device_id: str | None = None,
        *,
        today: date | None = None,
        tz: tzinfo | None = None,
        include_sim: bool = False,
    ) -> Stats:
        """Aggregates over local days (tz, default the system's). days=None: all history."""
        sessions = self.sessions(device_id=device_id, include_sim=include_sim)
        return compute_stats(sessions, days, today=today, tz=tz)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.astimezone()
