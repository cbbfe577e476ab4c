"""The history as terminal tables (rich, imported when a report is built): what
`unknot history`, `stats` and `devices` print, and `unknot demo` shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from unknot.history.records import KnownDevice, StoredSession, short_ids
from unknot.history.stats import Stats, minutes
from unknot.text import plural

if TYPE_CHECKING:
    from rich.console import RenderableType

SESSIONS_LEGEND = ("~ time reconstructed (device clock was unset); ? guessed: the latest it can "
                   "have been (a boot no sync saw running); * started from a nudge")


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def _routine_label(s: StoredSession) -> str:
    return s.routine_name or s.routine_slug or f"#{s.routine_id:04x}"


def _outcome(s: StoredSession) -> str:
    return "done" if s.completed else "aborted" if s.aborted else "-"


def sessions_table(sessions: Sequence[StoredSession], ids: list[str]) -> RenderableType:
    """`ids`: every known device id, so each is shown as its shortest unique prefix."""
    from rich.table import Table

    short = short_ids(ids)

    table = Table(title=plural(len(sessions), "session"))
    for col in ("start", "routine", "steps", "active", "result", "device", "seq"):
        table.add_column(
            col,
            justify="right" if col in ("steps", "active", "seq") else "left",
            no_wrap=col in ("start", "device"),
        )
    for s in sessions:
        table.add_row(
            ("?" if s.start_guessed else "~" if s.start_approx else "") + _local(s.start),
            _routine_label(s),
            f"{s.steps_done}/{s.steps_total}",
            f"{s.active_s // 60}:{s.active_s % 60:02d}",
            _outcome(s) + ("*" if s.from_nudge else ""),
            short.get(s.device_id, s.device_id),
            str(s.seq),
        )
    return table


def stats_report(st: Stats) -> list[RenderableType]:
    """Summary lines, a per-day bar chart (last 31 days) and a per-week table."""
    from rich.table import Table

    out: list[RenderableType] = [
        f"[bold]{st.first_day} .. {st.last_day}[/bold]: {plural(st.sessions, 'session')}, "
        f"{st.completed} completed ({st.completion_rate:.0%}), {st.aborted} aborted, "
        f"{minutes(st.active_minutes * 60)} active minutes",
        f"Streak: {plural(st.current_streak, 'day')} (longest {st.longest_streak})",
    ]
    days = st.chart_days()[-31:]
    top = max([d.sessions for d in days] + [1])
    width = 30
    chart = Table(title="Sessions per day" + (" (last 31)" if len(st.chart_days()) > 31 else ""))
    chart.add_column("day")
    chart.add_column("n", justify="right")
    chart.add_column("", no_wrap=True)
    for d in days:
        full = round(width * d.completed / top)
        rest = round(width * d.sessions / top) - full
        bar = f"[green]{'█' * full}[/green][red]{'█' * rest}[/red]"
        chart.add_row(d.day.strftime("%a %m-%d"), str(d.sessions), bar)
    out.append(chart)
    weeks = Table(title="Per ISO week")
    for col in ("week", "sessions", "completed", "minutes"):
        weeks.add_column(col, justify="left" if col == "week" else "right")
    for w in st.weeks:
        weeks.add_row(w.week, str(w.sessions), str(w.completed), minutes(w.active_s))
    out.append(weeks)
    return out


def devices_table(devs: Sequence[KnownDevice]) -> RenderableType:
    from rich.table import Table

    short = short_ids([d.device_id for d in devs])
    table = Table(title=plural(len(devs), "device"))
    for col in ("device id", "name", "firmware", "last sync", "sessions", "next seq"):
        table.add_column(
            col,
            justify="right" if col in ("sessions", "next seq") else "left",
            no_wrap=col == "device id",
        )
    for d in devs:
        table.add_row(
            short[d.device_id] + (" (sim)" if d.simulated else ""),
            d.name,
            d.firmware,
            _local(d.last_sync) if d.last_sync else "never",
            str(d.sessions),
            str(d.next_seq),
        )
    return table
