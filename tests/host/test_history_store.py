from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from unknot.core import journal as record
from unknot.history import DeviceSeen, HistoryError, HistoryStore
from unknot.history.clock import TIME_FLOOR, reconstruct_starts
from unknot.history.schema import MIGRATIONS
from unknot.journal import SessionRecord

DEV = "a1b2c3d4e5f60708"
T0 = 1767225600  # 2026-01-01T00:00:00Z
NOW = T0 + 30 * 86400


def rec(
    seq: int,
    start: int | None = None,
    *,
    flags: int = record.COMPLETED,
    boot: int = 1,
    active: int = 120,
    rid: int = 7,
) -> SessionRecord:
    return SessionRecord(
        seq, T0 + seq * 3600 if start is None else start, rid, 3, 3, active, flags, boot
    )


def ingest(
    store: HistoryStore,
    recs: list[SessionRecord],
    *,
    tail: int = 1,
    now: float = NOW,
    uptime: int = 1000,
    boot: int = 1,
    dev: str = DEV,
) -> tuple[int, int, int]:
    seen = DeviceSeen(dev, "Unknot-1", "0.1.0", unix=int(now), uptime_s=uptime, boot=boot,
                      tail_seq=tail)
    r = store.ingest(seen, recs, now)
    return r.new, r.known, r.lost


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore.open(tmp_path / "h.sqlite3")


def test_default_path_is_in_home(home: Path) -> None:
    with HistoryStore.open() as s:
        assert s.path == home / "history.sqlite3"
    assert (home / "history.sqlite3").is_file()


def test_migrations_applied_once_and_reopen_is_idempotent(tmp_path: Path) -> None:
    p = tmp_path / "h.sqlite3"
    with HistoryStore.open(p) as s:
        assert s.applied_migrations() == [name for name, _ in MIGRATIONS]
        ingest(s, [rec(1)])
    with HistoryStore.open(p) as s:  # would fail with "table devices already exists"
        assert s.applied_migrations() == [name for name, _ in MIGRATIONS]
        assert len(s.sessions()) == 1
    db = sqlite3.connect(p)
    assert db.execute("SELECT COUNT(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def m999_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    p = tmp_path / "h.sqlite3"
    HistoryStore.open(p).close()  # a history made by this version...
    broken = [*MIGRATIONS, ("m999_broken", m999_broken)]
    monkeypatch.setattr("unknot.history.schema.MIGRATIONS", broken)
    with pytest.raises(RuntimeError):  # ...and a later version's migration fails
        HistoryStore.open(p)
    db = sqlite3.connect(p)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names and "sessions" in names
    applied = [r[0] for r in db.execute("SELECT name FROM migrations")]
    assert "m999_broken" not in applied


def test_not_a_database_is_a_typed_error(tmp_path: Path) -> None:
    p = tmp_path / "h.sqlite3"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match=r"is damaged.*unknot doctor --repair"):
        HistoryStore.open(p)


def test_ingest_counts_new_and_known_and_repeat_adds_nothing(store: HistoryStore) -> None:
    assert store.cursor(DEV).next_seq == 1
    assert ingest(store, [rec(1), rec(2), rec(3)]) == (3, 0, 0)
    assert store.cursor(DEV).next_seq == 4
    assert ingest(store, [rec(1), rec(2), rec(3)]) == (0, 3, 0)
    assert ingest(store, [rec(2), rec(3), rec(4)]) == (1, 2, 0)
    assert [s.seq for s in store.sessions()] == [1, 2, 3, 4]
    assert store.cursor(DEV).next_seq == 5
    log = store.sync_log(DEV)
    assert [(x["new"], x["known"]) for x in log] == [(3, 0), (0, 3), (1, 2)]


def test_upsert_keeps_first_copy_of_a_seq(store: HistoryStore) -> None:
    ingest(store, [rec(1, active=100)])
    ingest(store, [rec(1, active=999, flags=record.ABORTED)])
    (s,) = store.sessions()
    assert s.active_s == 100 and s.completed


def test_same_seq_on_two_devices_is_two_sessions(store: HistoryStore) -> None:
    ingest(store, [rec(1)])
    ingest(store, [rec(1)], dev="ffee0011")
    assert len(store.sessions()) == 2
    assert len(store.sessions(device_id="FF:EE:00:11")) == 1
    assert {d.device_id for d in store.devices()} == {DEV, "ffee0011"}


def test_cursor_stops_at_gap_and_never_goes_back(store: HistoryStore) -> None:
    ingest(store, [rec(1), rec(2), rec(4), rec(5)])
    assert store.cursor(DEV).next_seq == 3  # 3 is missing: ask from 3 again
    ingest(store, [rec(3)])
    assert store.cursor(DEV).next_seq == 6  # the gap closed; run continues through 5
    ingest(store, [rec(1)])
    assert store.cursor(DEV).next_seq == 6
    ingest(store, [], tail=1)
    assert store.cursor(DEV).next_seq == 6


def test_lost_records_counted_once_and_cursor_skips_them(store: HistoryStore) -> None:
    ingest(store, [rec(1), rec(2)])
    # the device overwrote 3..9 (ring overflow); it now holds 10..12
    assert ingest(store, [rec(10), rec(11), rec(12)], tail=10) == (3, 0, 7)
    assert store.cursor(DEV).next_seq == 13
    assert ingest(store, [rec(12)], tail=12) == (0, 1, 0)
    assert [x["lost"] for x in store.sync_log()] == [0, 7, 0]


def test_lost_does_not_count_records_already_held(store: HistoryStore) -> None:
    ingest(store, [rec(1), rec(2), rec(5)])  # cursor 3, host already has 5
    assert ingest(store, [rec(6), rec(7)], tail=6) == (2, 0, 2)  # 3 and 4 lost
    assert store.cursor(DEV).next_seq == 8


def test_error_mid_ingest_rolls_back_everything(store: HistoryStore) -> None:
    ingest(store, [rec(1)])
    bad = SessionRecord(3, T0, 7, [3], 3, 10, record.COMPLETED, 1)  # type: ignore[arg-type]
    with pytest.raises(sqlite3.Error):
        ingest(store, [rec(2), bad])
    assert [s.seq for s in store.sessions()] == [1]
    assert store.cursor(DEV).next_seq == 2
    assert len(store.sync_log()) == 1


def test_bad_device_id(store: HistoryStore) -> None:
    with pytest.raises(HistoryError):
        store.cursor("not hex!")


# ----------------------------------------------------------------- clock reconstruction


def test_current_boot_unset_clock_is_placed_from_uptime(store: HistoryStore) -> None:
    # device booted 2000 s ago (boot 5); session started 500 s after boot
    ingest(store, [rec(1, 500, flags=record.COMPLETED | record.CLOCK_UNSET, boot=5)],
           uptime=2000, boot=5)
    (s,) = store.sessions()
    assert s.start == datetime.fromtimestamp(NOW - 1500, UTC)
    assert s.start_approx


def test_clock_set_records_are_exact(store: HistoryStore) -> None:
    ingest(store, [rec(1, T0 + 5)])
    (s,) = store.sessions()
    assert s.start.timestamp() == T0 + 5 and not s.start_approx


def test_earlier_boots_are_placed_before_later_records() -> None:
    recs = [
        rec(1, 100, flags=record.CLOCK_UNSET | record.COMPLETED, boot=2, active=60),
        rec(2, 400, flags=record.CLOCK_UNSET | record.ABORTED, boot=2, active=30),
        rec(3, NOW - 7200, boot=3),  # clock was set in boot 3
        # current boot, clock lost again
        rec(4, 50, flags=record.CLOCK_UNSET | record.COMPLETED, boot=4),
    ]
    out = reconstruct_starts(recs, device_uptime_s=1000, device_boot=4, host_now=NOW)
    starts = [t for t, _ in out]
    assert out[2] == (NOW - 7200, False)
    assert out[3] == (NOW - 950, True)
    assert out[1][1] and out[0][1]
    # boot-2 records keep their 300 s spacing and end before seq 3 started
    assert starts[1] - starts[0] == 300
    assert starts[1] + 30 <= starts[2]
    assert starts == sorted(starts)


def test_never_pre_2020_dates() -> None:
    recs = [
        rec(1, 0, flags=record.COMPLETED, boot=9),  # "clock set" but the RTC says 1970
        rec(2, 946684800, flags=record.COMPLETED, boot=9),  # year 2000
        rec(3, 5, flags=record.CLOCK_UNSET | record.COMPLETED, boot=10),
        # absurd uptime
        rec(4, 4_000_000_000, flags=record.CLOCK_UNSET | record.COMPLETED, boot=11),
    ]
    for uptime, boot in [(10, 11), (4_000_000_100, 11), (10, 200)]:
        out = reconstruct_starts(recs, device_uptime_s=uptime, device_boot=boot, host_now=NOW)
        for t, approx in out:
            assert TIME_FLOOR <= t <= NOW
            assert approx
            assert datetime.fromtimestamp(t, UTC).year >= 2020


def test_boot_counter_wrap_is_not_current_boot() -> None:
    # last record is from boot byte 4 but the device is now on boot 5: not the current boot
    out = reconstruct_starts(
        [rec(1, 50, flags=record.CLOCK_UNSET | record.COMPLETED, boot=4)],
        device_uptime_s=1000,
        device_boot=5,
        host_now=NOW,
    )
    assert out[0][0] <= NOW - 1000 - 120  # before the current boot began, ended by then


# ----------------------------------------------------------------- queries and stats


def test_sessions_since_filter(store: HistoryStore) -> None:
    ingest(store, [rec(i, T0 + i * 86400) for i in range(1, 6)])
    since = datetime.fromtimestamp(T0 + 3 * 86400, UTC)
    assert [s.seq for s in store.sessions(since=since)] == [3, 4, 5]


def test_stats_streaks_rates_and_minutes(store: HistoryStore) -> None:
    day = 86400
    recs = [
        rec(1, T0 + 0 * day + 3600, active=60),
        rec(2, T0 + 1 * day + 3600, active=120),
        rec(3, T0 + 2 * day + 3600, active=180),  # 3-day streak Jan 1-3
        rec(4, T0 + 4 * day + 3600, flags=record.ABORTED, active=30),  # aborted only: no streak day
        rec(5, T0 + 6 * day + 3600, active=60),
        rec(6, T0 + 7 * day + 3600, active=60),  # current streak Jan 7-8
        rec(7, T0 + 7 * day + 7200, active=60),
    ]
    ingest(store, recs)
    st = store.stats(today=date(2026, 1, 9), tz=UTC)  # today has nothing yet: still counts
    assert st.sessions == 7 and st.completed == 6 and st.aborted == 1
    assert st.completion_rate == pytest.approx(6 / 7)
    assert st.active_minutes == pytest.approx(570 / 60)
    assert (st.current_streak, st.longest_streak) == (2, 3)
    assert [d.sessions for d in st.days] == [1, 1, 1, 0, 1, 0, 1, 2, 0]
    assert [(w.week, w.sessions) for w in st.weeks] == [("2026-W01", 3), ("2026-W02", 4)]
    st3 = store.stats(days=3, today=date(2026, 1, 9), tz=UTC)
    assert st3.sessions == 3 and len(st3.days) == 3
    assert store.stats(today=date(2026, 1, 11), tz=UTC).current_streak == 0


def test_devices_listing(store: HistoryStore) -> None:
    ingest(store, [rec(1), rec(2)])
    (d,) = store.devices()
    assert (d.device_id, d.name, d.firmware, d.sessions, d.next_seq) == (
        DEV,
        "Unknot-1",
        "0.1.0",
        2,
        3,
    )
    assert d.last_sync == datetime.fromtimestamp(NOW, UTC)
    assert d.first_seen <= d.last_sync + timedelta(0)


def test_routine_slug_and_name_from_library(home: Path) -> None:
    from unknot.routine import routine_id as routine_id_for

    rid = routine_id_for("neck-stretches")
    with HistoryStore.open() as s:
        ingest(s, [rec(1, rid=rid), rec(2, rid=0xFFFF ^ rid)])
        a, b = s.sessions()
    assert (a.routine_slug, a.routine_name) == ("neck-stretches", "Neck stretches")
    assert b.routine_slug is None  # unknown id: kept, without a name
