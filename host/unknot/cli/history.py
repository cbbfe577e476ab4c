"""`unknot history`, `unknot stats`, `unknot export`, `unknot devices`: read the history
database (unknot.store). Each command parses, calls the store, prints."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from unknot.errors import UnknotError
from unknot.store import HistoryStore, Stats, StoredSession

_RELATIVE = re.compile(r"^(\d+)\s*([dwh])$")


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """YYYY-MM-DD (local midnight), an ISO date-time, or 7d / 2w / 12h before now."""
    if value is None:
        return None
    now = now or datetime.now().astimezone()
    text = value.strip().lower()
    m = _RELATIVE.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {"d": timedelta(days=n), "w": timedelta(weeks=n), "h": timedelta(hours=n)}[unit]
        return now - delta
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day).astimezone()
        t = datetime.fromisoformat(value.strip())
        return t if t.tzinfo else t.astimezone()
    except ValueError:
        raise UnknotError(
            f"bad --since value {value!r}: use YYYY-MM-DD or a relative value like 7d, 2w, 12h"
        ) from None


def _local(t: datetime) -> str:
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def _routine_label(s: StoredSession) -> str:
    return s.routine_name or s.routine_slug or f"#{s.routine_id:04x}"


def _outcome(s: StoredSession) -> str:
    return "done" if s.completed else "aborted" if s.aborted else "-"


@click.command("history")
@click.option("--since", help="Only sessions since YYYY-MM-DD or a relative value like 7d.")
@click.option("--device", "device_id", help="Only sessions of this device id (hex).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (UTC ISO-8601 times).")
def history(since: str | None, device_id: str | None, as_json: bool) -> None:
    """List synced sessions, oldest first. Times marked ~ are reconstructed (clock was unset)."""
    with HistoryStore.open() as store:
        sessions = store.sessions(since=parse_since(since), device_id=device_id)
    if as_json:
        click.echo(json.dumps([s.to_json() for s in sessions], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(sessions)} sessions")
    for col in ("start", "routine", "steps", "active", "result", "device", "seq"):
        table.add_column(
            col,
            justify="right" if col in ("steps", "active", "seq") else "left",
            no_wrap=col in ("start", "device"),
        )
    for s in sessions:
        table.add_row(
            ("~" if s.start_approx else "") + _local(s.start),
            _routine_label(s),
            f"{s.steps_done}/{s.steps_total}",
            f"{s.active_s // 60}:{s.active_s % 60:02d}",
            _outcome(s) + ("*" if s.from_nudge else ""),
            s.device_id[-8:],
            str(s.seq),
        )
    Console().print(table)
    if sessions:
        click.echo("~ time reconstructed (device clock was unset); * started from a nudge")


@click.command("stats")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Only the last N days.")
@click.option("--device", "device_id", help="Only this device id (hex).")
@click.option("--png", "png", type=click.Path(dir_okay=False), help="Also write a chart (PNG).")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(days: int | None, device_id: str | None, png: str | None, as_json: bool) -> None:
    """Sessions per day and week, completion rate, streaks, active minutes."""
    with HistoryStore.open() as store:
        st = store.stats(days=days, device_id=device_id)
    if png:
        write_png(st, Path(png))
    if as_json:
        click.echo(json.dumps(st.to_json(), indent=2))
        return
    _print_stats(st)
    if png:
        click.echo(f"Wrote {png}")


def _print_stats(st: Stats) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(
        f"[bold]{st.first_day} .. {st.last_day}[/bold]: {st.sessions} sessions, "
        f"{st.completed} completed ({st.completion_rate:.0%}), {st.aborted} aborted, "
        f"{st.active_minutes:.0f} active minutes"
    )
    con.print(f"Streak: {st.current_streak} days (longest {st.longest_streak})")
    days = st.days[-31:]
    top = max([d.sessions for d in days] + [1])
    width = 30
    chart = Table(title="Sessions per day" + (" (last 31)" if len(st.days) > 31 else ""))
    chart.add_column("day")
    chart.add_column("n", justify="right")
    chart.add_column("", no_wrap=True)
    for d in days:
        full = round(width * d.completed / top)
        rest = round(width * d.sessions / top) - full
        bar = f"[green]{'█' * full}[/green][red]{'█' * rest}[/red]"
        chart.add_row(d.day.strftime("%a %m-%d"), str(d.sessions), bar)
    con.print(chart)
    weeks = Table(title="Per ISO week")
    for col in ("week", "sessions", "completed", "minutes"):
        weeks.add_column(col, justify="left" if col == "week" else "right")
    for w in st.weeks:
        weeks.add_row(w.week, str(w.sessions), str(w.completed), f"{w.active_s / 60:.0f}")
    con.print(weeks)


def write_png(st: Stats, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UnknotError("--png needs matplotlib: install unknot[png]") from None
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), constrained_layout=True)
    xs = [d.day for d in st.days]
    done = [d.completed for d in st.days]
    other = [d.sessions - d.completed for d in st.days]
    ax1.bar(xs, done, color="#3a7d44", label="completed")
    ax1.bar(xs, other, bottom=done, color="#c0504d", label="not completed")
    ax1.set_title(
        f"Sessions per day: {st.sessions} sessions, {st.completion_rate:.0%} completed, "
        f"streak {st.current_streak} (longest {st.longest_streak})"
    )
    ax1.legend(loc="upper left")
    fig.autofmt_xdate()
    ax2.bar([w.week for w in st.weeks], [w.active_s / 60 for w in st.weeks], color="#4f81bd")
    ax2.set_title(f"Active minutes per ISO week ({st.active_minutes:.0f} total)")
    try:
        _atomic_write(path, lambda f: fig.savefig(f, format="png"), binary=True)
    finally:
        plt.close(fig)


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), required=True, help="Output format."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option("--since", help="Only sessions since YYYY-MM-DD or a relative value like 7d.")
@click.option("--device", "device_id", help="Only this device id (hex).")
def export(fmt: str, output: str | None, since: str | None, device_id: str | None) -> None:
    """Export sessions as CSV or JSON (UTC ISO-8601 times)."""
    with HistoryStore.open() as store:
        rows = [s.to_json() for s in store.sessions(parse_since(since), device_id=device_id)]
    text = _to_csv(rows) if fmt == "csv" else json.dumps(rows, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        _atomic_write(Path(output), lambda f: f.write(text.encode("utf-8")), binary=True)
        click.echo(f"Wrote {len(rows)} sessions to {output}", err=True)


_CSV_COLUMNS = [
    "device_id",
    "seq",
    "start",
    "start_approx",
    "routine_id",
    "routine_slug",
    "routine_name",
    "steps_done",
    "steps_total",
    "active_s",
    "completed",
    "aborted",
    "from_nudge",
    "boot",
    "synced_at",
]


def _to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _atomic_write(path: Path, write: Any, *, binary: bool) -> None:
    """Write to a temp file in the same directory, fsync, then rename over `path`."""
    path = path.expanduser()
    if not path.parent.is_dir():
        raise UnknotError(f"cannot write {path}: directory {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command("devices")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def devices(as_json: bool) -> None:
    """Known devices: last sync, session count, sync cursor."""
    with HistoryStore.open() as store:
        devs = store.devices()
    if as_json:
        out = [
            {
                "device_id": d.device_id,
                "name": d.name,
                "firmware": d.firmware,
                "first_seen": d.first_seen.isoformat().replace("+00:00", "Z"),
                "last_sync": d.last_sync.astimezone(UTC).isoformat().replace("+00:00", "Z")
                if d.last_sync
                else None,
                "sessions": d.sessions,
                "next_seq": d.next_seq,
            }
            for d in devs
        ]
        click.echo(json.dumps(out, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(devs)} devices")
    for col in ("device id", "name", "firmware", "last sync", "sessions", "next seq"):
        table.add_column(
            col,
            justify="right" if col in ("sessions", "next seq") else "left",
            no_wrap=col == "device id",
        )
    for d in devs:
        table.add_row(
            d.device_id,
            d.name,
            d.firmware,
            _local(d.last_sync) if d.last_sync else "never",
            str(d.sessions),
            str(d.next_seq),
        )
    Console().print(table)
