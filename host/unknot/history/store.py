"""The host's session history: a SQLite database (stdlib sqlite3) with named migrations.

Every sync is one ``ingest`` call and one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``):
a killed process leaves the database as it was before or after the sync, never half-way.
Sessions are unique on (device_id, seq); a repeated or overlapping sync adds nothing.
See docs/history.md for the schema and the clock-reconstruction rule.
"""

from __future__ import annotations

import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any

from unknot.errors import UnknotError
from unknot.journal import CLOCK_UNSET, FlagsMixin, SessionRecord

DB_NAME = "history.sqlite3"

# No reconstructed or accepted start time is earlier than this (2020-01-01T00:00:00Z):
# an unset device clock must never show up as a 1970 or 2000 date.
TIME_FLOOR = 1577836800
# A "clock set" record later than the host's clock by more than this is implausible.
FUTURE_SLACK_S = 86400


class HistoryError(UnknotError):
    """The history database cannot be used (bad path, bad device id, newer schema, ...)."""


# --------------------------------------------------------------------------- migrations

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


# --------------------------------------------------------------------------- routine names

_RoutineIndex = dict[int, tuple[str, str]]


def routine_id_for(slug: str) -> int:
    """docs/format.md "Routine id"."""
    return zlib.crc32(slug.encode("utf-8")) & 0xFFFF


def _routine_index() -> _RoutineIndex:
    """routine_id -> (slug, name) for the library and user routines; {} if unavailable.

    Uses the routine package (unknot.routine) when it offers a loader; otherwise reads the
    TOML files directly. Never fails: an unknown id just stays without a slug.
    """
    index: _RoutineIndex = {}
    try:
        index.update(_index_from_routine_package())
    except Exception:  # the routine package is optional here; history works without names
        index = {}
    if not index:
        try:
            index.update(_index_from_toml())
        except Exception:
            return {}
    return index


def _index_from_routine_package() -> _RoutineIndex:
    import importlib

    try:
        lib = importlib.import_module("unknot.routine.library")
    except ImportError:
        return {}
    out: _RoutineIndex = {}
    loader = getattr(lib, "load_all", None) or getattr(lib, "all_routines", None)
    if loader is None:
        return {}
    items = loader()
    if isinstance(items, dict):
        items = items.values()
    for item in items:
        r = getattr(item, "routine", item)
        slug = getattr(r, "slug", None) or getattr(r, "id", None)
        if not isinstance(slug, str):
            continue
        name = getattr(r, "name", slug)
        rid = getattr(r, "routine_id", None)
        out[rid if isinstance(rid, int) else routine_id_for(slug)] = (slug, str(name))
    return out


def _index_from_toml() -> _RoutineIndex:
    import tomllib

    from unknot import paths

    out: _RoutineIndex = {}
    dirs = [paths.library_dir(), paths.home() / "routines"]
    for d in dirs:
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.toml")):
            try:
                data = tomllib.loads(f.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                continue
            meta = data.get("routine", data)
            if not isinstance(meta, dict):
                continue
            slug = meta.get("slug") or meta.get("id") or f.stem
            name = meta.get("name") or slug
            if isinstance(slug, str):
                out.setdefault(routine_id_for(slug), (slug, str(name)))
    return out


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class IngestResult:
    new: int
    known: int
    lost: int


@dataclass(frozen=True)
class StoredSession(FlagsMixin):
    device_id: str
    seq: int
    start: datetime  # timezone-aware, UTC
    start_approx: bool
    routine_id: int
    routine_slug: str | None
    routine_name: str | None
    steps_done: int
    steps_total: int
    active_s: int
    flags: int
    boot: int
    synced_at: datetime


    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "seq": self.seq,
            "start": _iso(self.start),
            "start_approx": self.start_approx,
            "routine_id": self.routine_id,
            "routine_slug": self.routine_slug,
            "routine_name": self.routine_name,
            "steps_done": self.steps_done,
            "steps_total": self.steps_total,
            "active_s": self.active_s,
            "completed": self.completed,
            "aborted": self.aborted,
            "from_nudge": self.from_nudge,
            "boot": self.boot,
            "synced_at": _iso(self.synced_at),
        }


@dataclass(frozen=True)
class DeviceInfo:
    device_id: str
    name: str
    firmware: str
    first_seen: datetime
    last_sync: datetime | None
    sessions: int
    next_seq: int


@dataclass(frozen=True)
class DayStats:
    day: date
    sessions: int
    completed: int
    active_s: int


@dataclass(frozen=True)
class WeekStats:
    week: str  # ISO week, e.g. "2026-W03"
    sessions: int
    completed: int
    active_s: int


@dataclass(frozen=True)
class Stats:
    first_day: date
    last_day: date
    sessions: int
    completed: int
    aborted: int
    completion_rate: float  # completed / sessions, 0.0 without sessions
    active_minutes: float
    current_streak: int  # days up to today (or yesterday) with >= 1 completed session
    longest_streak: int
    days: list[DayStats] = field(default_factory=list)  # every day in range, zeros included
    weeks: list[WeekStats] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["first_day"] = self.first_day.isoformat()
        d["last_day"] = self.last_day.isoformat()
        d["days"] = [{**asdict(x), "day": x.day.isoformat()} for x in self.days]
        return d


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


_HEX = re.compile(r"^[0-9a-f]{2,64}$")


def normalize_device_id(device_id: str) -> str:
    d = device_id.strip().lower().replace(":", "")
    if not _HEX.match(d):
        raise HistoryError(f"bad device id {device_id!r}: expected hex digits")
    return d


# --------------------------------------------------------------------------- clock


def reconstruct_starts(
    records: Sequence[SessionRecord],
    *,
    device_uptime_s: int,
    device_boot: int,
    host_now: float,
    floor: int = TIME_FLOOR,
) -> list[tuple[int, bool]]:
    """(start_utc, approximate) for each record, in the order given (any order is fine).

    Rule (docs/history.md): records are walked from the newest seq back to the oldest with
    a ceiling, the latest time the record can have started (initially host_now, then the
    start of the next newer record, and the start of that record's boot when known).
    - Clock set and plausible (floor <= start <= host_now + 1 day): taken as is, exact.
    - CLOCK_UNSET in the current boot (same boot byte, and no newer record of another boot):
      host_now - (device_uptime_s - start), approximate.
    - CLOCK_UNSET in an earlier boot: if a newer record of the same boot run was placed, the
      same offset from it (uptimes within a boot are exact); otherwise the record is placed
      to end just before the ceiling (ceiling - active_s), approximate.
    - "Clock set" but implausible (e.g. an RTC reset to 2000): like the previous case.
    Every result is clamped into [floor, ceiling] and never before `floor` (2020-01-01).
    """
    order = sorted(range(len(records)), key=lambda i: records[i].seq, reverse=True)
    out: list[tuple[int, bool]] = [(0, False)] * len(records)
    now = int(host_now)
    ceiling = now
    boot_byte = device_boot & 0xFF
    current_run = True  # still in the newest run of records from the current boot
    run_boot: int | None = None
    anchor: tuple[int, int] | None = None  # (utc, uptime) of a placed unset record in this run
    for i in order:
        r = records[i]
        if run_boot is not None and r.boot != run_boot:
            # entering an older boot: it ended before the newer boot started, if we know when
            if current_run:
                ceiling = min(ceiling, now - device_uptime_s)
            elif anchor is not None:
                ceiling = min(ceiling, anchor[0] - anchor[1])
            anchor = None
            current_run = False
        if run_boot is None and r.boot != boot_byte:
            current_run = False  # nothing recorded in this boot: all before it began
            ceiling = min(ceiling, now - device_uptime_s)
        run_boot = r.boot
        plausible = floor <= r.start <= now + FUTURE_SLACK_S
        if not (r.flags & CLOCK_UNSET) and plausible:
            start, approx = r.start, False
        elif r.flags & CLOCK_UNSET and current_run:
            start, approx = now - (device_uptime_s - r.start), True
        elif r.flags & CLOCK_UNSET and anchor is not None:
            start, approx = anchor[0] - (anchor[1] - r.start), True
        else:
            start, approx = ceiling - r.active_s, True
        if approx:
            start = max(floor, min(start, ceiling))
            if r.flags & CLOCK_UNSET:
                anchor = (start, r.start)
        out[i] = (start, approx)
        ceiling = min(ceiling, start)
    return out


# --------------------------------------------------------------------------- the store


class HistoryStore:
    """The history database. Use `HistoryStore.open()` as a context manager."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._routines: _RoutineIndex | None = None

    # -- opening

    @classmethod
    def open(cls, path: Path | None = None) -> HistoryStore:
        if path is None:
            from unknot import paths

            path = paths.home() / DB_NAME
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open history database {path}: {exc}") from exc
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, path)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            db.close()
            raise HistoryError(f"cannot use history database {path}: {exc}") from exc
        except BaseException:
            db.close()
            raise
        return store

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

    def _transaction(self) -> _Tx:
        return _Tx(self._db)

    def _migrate(self) -> None:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS migrations"
            " (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        for name, fn in MIGRATIONS:
            with self._transaction() as db:
                done = db.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone()
                if done:
                    continue
                fn(db)
                db.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
                )

    def applied_migrations(self) -> list[str]:
        rows = self._db.execute("SELECT name FROM migrations ORDER BY rowid").fetchall()
        return [str(r[0]) for r in rows]

    # -- sync

    def cursor(self, device_id: str) -> int:
        """The next seq the host wants from this device (1 for a device never synced)."""
        row = self._db.execute(
            "SELECT next_seq FROM cursors WHERE device_id = ?", (normalize_device_id(device_id),)
        ).fetchone()
        return int(row[0]) if row else 1

    def ingest(
        self,
        device_id: str,
        name: str,
        firmware: str,
        records: Sequence[SessionRecord],
        *,
        device_unix_at_sync: int | None,
        device_uptime_s: int,
        device_boot: int,
        host_now: float,
        tail_seq: int,
    ) -> IngestResult:
        """Store one sync's records in one transaction; see the module docstring.

        tail_seq is the oldest seq the device still holds (its head + 1 if it holds none):
        seqs below it that the host never received were overwritten on the device and are
        counted as `lost`, and the cursor moves past them.
        """
        dev = normalize_device_id(device_id)
        placed = reconstruct_starts(
            records, device_uptime_s=device_uptime_s, device_boot=device_boot, host_now=host_now
        )
        if self._routines is None:
            self._routines = _routine_index()
        routines = self._routines
        offset = None if device_unix_at_sync is None else host_now - device_unix_at_sync
        new = known = 0
        with self._transaction() as db:
            db.execute(
                """INSERT INTO devices (device_id, name, firmware, first_seen, last_sync)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (device_id) DO UPDATE SET
                     name = excluded.name, firmware = excluded.firmware,
                     last_sync = excluded.last_sync""",
                (dev, name, firmware, host_now, host_now),
            )
            row = db.execute("SELECT next_seq FROM cursors WHERE device_id = ?", (dev,)).fetchone()
            old_cursor = int(row[0]) if row else 1
            for rec, (start_utc, approx) in zip(records, placed, strict=True):
                slug_name = routines.get(rec.routine_id)
                cur = db.execute(
                    """INSERT INTO sessions (device_id, seq, start_utc, start_approx, raw_start,
                         routine_id, routine_slug, routine_name, steps_done, steps_total,
                         active_s, flags, boot, synced_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (device_id, seq) DO NOTHING""",
                    (
                        dev,
                        rec.seq,
                        start_utc,
                        int(approx),
                        rec.start,
                        rec.routine_id,
                        slug_name[0] if slug_name else None,
                        slug_name[1] if slug_name else None,
                        rec.steps_done,
                        rec.steps_total,
                        rec.active_s,
                        rec.flags,
                        rec.boot,
                        host_now,
                    ),
                )
                if cur.rowcount == 1:
                    new += 1
                else:
                    known += 1
            lost = 0
            nxt = old_cursor
            if tail_seq > old_cursor:
                have = db.execute(
                    "SELECT COUNT(*) FROM sessions WHERE device_id = ? AND seq >= ? AND seq < ?",
                    (dev, old_cursor, tail_seq),
                ).fetchone()[0]
                lost = (tail_seq - old_cursor) - int(have)
                nxt = tail_seq
            nxt = self._contiguous_end(db, dev, nxt)
            db.execute(
                """INSERT INTO cursors (device_id, next_seq) VALUES (?, ?)
                   ON CONFLICT (device_id) DO UPDATE
                   SET next_seq = MAX(next_seq, excluded.next_seq)""",
                (dev, nxt),
            )
            db.execute(
                """INSERT INTO sync_log (device_id, at, new, known, lost, clock_offset_s)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (dev, host_now, new, known, lost, offset),
            )
        return IngestResult(new=new, known=known, lost=lost)

    @staticmethod
    def _contiguous_end(db: sqlite3.Connection, dev: str, start: int) -> int:
        nxt = start
        rows = db.execute(
            "SELECT seq FROM sessions WHERE device_id = ? AND seq >= ? ORDER BY seq", (dev, start)
        )
        for (seq,) in rows:
            if seq != nxt:
                break
            nxt += 1
        return nxt

    # -- queries

    def sessions(
        self,
        since: datetime | None = None,
        device_id: str | None = None,
        until: datetime | None = None,
    ) -> list[StoredSession]:
        """Sessions ordered by start time (then device, seq)."""
        where: list[str] = []
        args: list[Any] = []
        if since is not None:
            where.append("start_utc >= ?")
            args.append(int(_aware(since).timestamp()))
        if until is not None:
            where.append("start_utc < ?")
            args.append(int(_aware(until).timestamp()))
        if device_id is not None:
            where.append("device_id = ?")
            args.append(normalize_device_id(device_id))
        sql = (
            "SELECT device_id, seq, start_utc, start_approx, routine_id, routine_slug,"
            " routine_name, steps_done, steps_total, active_s, flags, boot, synced_at"
            " FROM sessions"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY start_utc, device_id, seq"
        return [
            StoredSession(
                device_id=r[0],
                seq=r[1],
                start=_utc(r[2]),
                start_approx=bool(r[3]),
                routine_id=r[4],
                routine_slug=r[5],
                routine_name=r[6],
                steps_done=r[7],
                steps_total=r[8],
                active_s=r[9],
                flags=r[10],
                boot=r[11],
                synced_at=_utc(r[12]),
            )
            for r in self._db.execute(sql, args)
        ]

    def devices(self) -> list[DeviceInfo]:
        rows = self._db.execute(
            """SELECT d.device_id, d.name, d.firmware, d.first_seen, d.last_sync,
                      (SELECT COUNT(*) FROM sessions s WHERE s.device_id = d.device_id),
                      COALESCE(c.next_seq, 1)
               FROM devices d LEFT JOIN cursors c ON c.device_id = d.device_id
               ORDER BY d.first_seen, d.device_id"""
        )
        return [
            DeviceInfo(
                device_id=r[0],
                name=r[1],
                firmware=r[2],
                first_seen=_utc(r[3]),
                last_sync=None if r[4] is None else _utc(r[4]),
                sessions=r[5],
                next_seq=r[6],
            )
            for r in rows
        ]

    def sync_log(self, device_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT device_id, at, new, known, lost, clock_offset_s FROM sync_log"
        args: tuple[str, ...] = ()
        if device_id is not None:
            sql += " WHERE device_id = ?"
            args = (normalize_device_id(device_id),)
        cols = ("device_id", "at", "new", "known", "lost", "clock_offset_s")
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
    ) -> Stats:
        """Aggregates over local days (tz, default the system's). days=None: all history."""
        zone = tz or datetime.now().astimezone().tzinfo or UTC
        today = today or datetime.now(zone).date()
        if days is not None and days < 1:
            raise HistoryError("--days must be at least 1")
        all_sessions = self.sessions(device_id=device_id)
        by_day: dict[date, list[StoredSession]] = {}
        for s in all_sessions:
            by_day.setdefault(s.start.astimezone(zone).date(), []).append(s)
        completed_days = {d for d, ss in by_day.items() if any(s.completed for s in ss)}
        current, longest = _streaks(completed_days, today)
        if days is not None:
            first = today - timedelta(days=days - 1)
        elif by_day:
            first = min(min(by_day), today)
        else:
            first = today
        last = max([today, *by_day]) if days is None else today
        day_rows: list[DayStats] = []
        weeks: dict[str, list[int]] = {}
        in_range: list[StoredSession] = []
        for d in _date_range(first, last):
            ss = by_day.get(d, [])
            in_range.extend(ss)
            row = DayStats(d, len(ss), sum(s.completed for s in ss), sum(s.active_s for s in ss))
            day_rows.append(row)
            iso = d.isocalendar()
            w = weeks.setdefault(f"{iso.year}-W{iso.week:02d}", [0, 0, 0])
            w[0] += row.sessions
            w[1] += row.completed
            w[2] += row.active_s
        n = len(in_range)
        done = sum(s.completed for s in in_range)
        return Stats(
            first_day=first,
            last_day=last,
            sessions=n,
            completed=done,
            aborted=sum(s.aborted for s in in_range),
            completion_rate=(done / n) if n else 0.0,
            active_minutes=sum(s.active_s for s in in_range) / 60.0,
            current_streak=current,
            longest_streak=longest,
            days=day_rows,
            weeks=[WeekStats(k, v[0], v[1], v[2]) for k, v in weeks.items()],
        )


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.astimezone()


def _date_range(first: date, last: date) -> Iterator[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def _streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive days. The current run ends today, or
    yesterday if today has no completed session yet."""
    ds = sorted(set(days))
    longest = run = 0
    prev: date | None = None
    for d in ds:
        run = run + 1 if prev is not None and d - prev == timedelta(days=1) else 1
        longest = max(longest, run)
        prev = d
    have = set(ds)
    end = today if today in have else today - timedelta(days=1)
    current = 0
    while end in have:
        current += 1
        end -= timedelta(days=1)
    return current, longest


class _Tx:
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
        else:
            self._db.execute("ROLLBACK")
