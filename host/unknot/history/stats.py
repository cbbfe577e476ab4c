"""Statistics over stored sessions: per local day and ISO week, completion, streaks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from unknot.history.records import HistoryError, StoredSession

CHART_MIN_DAYS = 7  # a chart of sessions per day spans at least a week


def minutes(seconds: float) -> str:
    """Active minutes as every report and chart prints them (one decimal under 10)."""
    m = seconds / 60
    return f"{m:.1f}" if m < 10 else f"{m:.0f}"


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

    def chart_days(self, minimum: int = CHART_MIN_DAYS) -> list[DayStats]:
        """The days a chart shows: every day in range, and at least `minimum` days ending
        on the last one (earlier days empty), so the terminal and the PNG show the same."""
        pad = [DayStats(self.first_day - timedelta(days=k), 0, 0, 0)
               for k in range(minimum - len(self.days), 0, -1)]
        return pad + self.days

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["first_day"] = self.first_day.isoformat()
        d["last_day"] = self.last_day.isoformat()
        d["days"] = [{**asdict(x), "day": x.day.isoformat()} for x in self.days]
        return d


def compute_stats(
    sessions: Sequence[StoredSession],
    days: int | None = None,
    *,
    today: date | None = None,
    tz: tzinfo | None = None,
) -> Stats:
    """Aggregates over local days (tz, default the system's). days=None: all history."""
    zone = tz or datetime.now().astimezone().tzinfo or UTC
    today = today or datetime.now(zone).date()
    if days is not None and days < 1:
        raise HistoryError("--days must be at least 1")
    by_day: dict[date, list[StoredSession]] = {}
    for s in sessions:
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
