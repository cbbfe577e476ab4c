"""Getting sessions out of the history: the --since filter, CSV and JSON text, the stats
chart (PNG, matplotlib imported only when drawing), and the atomic file write they share."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from unknot.errors import UnknotError
from unknot.history.records import StoredSession
from unknot.history.stats import Stats, minutes
from unknot.lock import pid_alive
from unknot.paths import parent_problem
from unknot.text import plural

_RELATIVE = re.compile(r"^(\d+)\s*([dwh])$")

CSV_COLUMNS = [
    "device_id",
    "seq",
    "start",
    "start_approx",
    "start_guessed",
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


def sessions_text(sessions: Sequence[StoredSession], fmt: str) -> str:
    """The sessions as CSV or JSON text (UTC ISO-8601 times), ending in a newline."""
    rows = [s.to_json() for s in sessions]
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_png(st: Stats, path: Path) -> None:
    """The chart (`chart`) as a PNG file, written atomically."""
    import matplotlib.pyplot as plt

    fig = chart(st)
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png"))
    finally:
        plt.close(fig)


def chart(st: Stats) -> Any:
    """A matplotlib figure: sessions per day (dated; the days `unknot stats` shows) and
    active minutes per ISO week."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), constrained_layout=True)
    days = st.chart_days()  # the days the terminal's chart shows too
    xs = [d.day for d in days]
    done = [d.completed for d in days]
    other = [d.sessions - d.completed for d in days]
    ax1.bar(xs, done, width=0.8, color="#3a7d44", label="completed")
    ax1.bar(xs, other, width=0.8, bottom=done, color="#c0504d", label="not completed")
    ax1.set_title(
        f"Sessions per day: {plural(st.sessions, 'session')}, {st.completion_rate:.0%} completed, "
        f"streak {st.current_streak} (longest {st.longest_streak})"
    )
    span = len(xs)
    left = xs[0]
    ax1.set_xlim(datetime.combine(left, time()) - timedelta(hours=12),
                 datetime.combine(st.last_day, time()) + timedelta(hours=12))
    every = max(1, -(-span // 10))  # at most ten dated labels
    ticks = [st.last_day - timedelta(days=k) for k in range(0, span, every)][::-1]
    ax1.set_xticks([datetime.combine(d, time()) for d in ticks])
    ax1.set_xticklabels([d.strftime("%a %d %b") for d in ticks])
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_ylim(0, max([d.sessions for d in days] + [1]) + 0.5)
    ax1.set_ylabel("sessions")
    ax1.legend(loc="upper left")
    for label in ax1.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    bars = ax2.bar([w.week for w in st.weeks], [w.active_s / 60 for w in st.weeks],
                   color="#4f81bd", width=0.6)
    # each bar labelled as the title counts: the total is the sum of the bars
    ax2.bar_label(bars, labels=[minutes(w.active_s) for w in st.weeks])
    total = sum(w.active_s for w in st.weeks)
    ax2.set_title(f"Active minutes per ISO week ({minutes(total)} total)")
    ax2.set_ylabel("minutes")
    slots = max(len(st.weeks), 4)  # a few weeks: centred, not one bar at the far left
    pad = (slots - len(st.weeks)) / 2
    ax2.set_xlim(-0.5 - pad, len(st.weeks) - 0.5 + pad)
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


# Temp files are named `.<name>.<pid>.unknot-partial` next to the target: recognisable,
# and removed by the next write into that folder once their process is gone.
PARTIAL_SUFFIX = ".unknot-partial"



def clean_stale_partials(folder: Path) -> list[Path]:
    """Remove the temp files of writes whose process is gone (killed mid-export)."""
    removed = []
    for p in folder.glob(f".*{PARTIAL_SUFFIX}"):
        pid = p.name[: -len(PARTIAL_SUFFIX)].rpartition(".")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write to a temp file in the same directory, fsync, then rename over `path`: the
    target is the old file or the whole new one, never a part (disk full included)."""
    path = path.expanduser()
    problem = parent_problem(path)
    if problem is not None:
        raise UnknotError(f"cannot write {path}: {problem}")
    clean_stale_partials(path.parent)
    tmp = path.parent / f".{path.name}.{os.getpid()}{PARTIAL_SUFFIX}"
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UnknotError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
