"""Getting sessions out of the history: the --since filter, CSV and JSON text, the stats
chart (PNG, matplotlib imported only here), and the atomic file write they share."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from unknot.errors import UnknotError
from unknot.history.records import StoredSession
from unknot.history.stats import Stats

_RELATIVE = re.compile(r"^(\d+)\s*([dwh])$")

CSV_COLUMNS = [
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
    """A chart of sessions per day and active minutes per week (needs unknot[png])."""
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
        atomic_write(path, lambda f: fig.savefig(f, format="png"))
    finally:
        plt.close(fig)


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write to a temp file in the same directory, fsync, then rename over `path`."""
    path = path.expanduser()
    if not path.parent.is_dir():
        raise UnknotError(f"cannot write {path}: directory {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
