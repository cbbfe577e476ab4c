"""How a simulated device is drawn in the terminal: the live `rich` panel (`render`) and one
printable line per motor command (`felt_line`), for `unknot sim` and `unknot demo`."""

from __future__ import annotations

from typing import Any

from unknot.sim.engine import Felt
from unknot.sim.status import Status
from unknot.text import plural


def _secs(ms: int | None) -> str:
    if ms is None:
        return "-"
    tenths = round(max(0, ms) / 100)
    return f"{tenths // 600}:{tenths % 600 / 10:04.1f}"


def motor_bar(level: int, width: int = 24) -> str:
    n = round(width * level / 255)
    return "█" * n + "░" * (width - n)


def shape(envelope: tuple[tuple[int, int], ...], per_ms: int = 40) -> str:
    """The envelope as a small sparkline, one character per `per_ms`."""
    blocks = " ▁▂▃▄▅▆▇█"
    out = []
    for lvl, ms in envelope:
        out.append(blocks[round(8 * lvl / 255)] * max(1, round(ms / per_ms)))
    return "".join(out)


def felt_line(f: Felt, t0_ms: int = 0, label: str = "") -> str:
    """One printable line per motor command: device time, cue, the envelope's shape, step."""
    count = f" x{f.count}" if f.count > 1 else ""
    text = f"{_secs(f.t_ms - t0_ms):>7}  {f.cue + count:<11} {shape(f.envelope)[:28]:<28}"
    if label:
        text += f"  {label}"
    return text.rstrip()


def render(st: Status, title: str, footer: str = "",
           extra: tuple[tuple[str, str], ...] = ()) -> Any:
    """The status as a rich Panel."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    cue = st.cue if st.cue and st.level else (f"({st.cue})" if st.cue else "")
    grid.add_row("Motor", Text(motor_bar(st.level), style="magenta") + Text(f" {cue}"))
    grid.add_row("State", st.state)
    if st.routine:
        grid.add_row("Routine", st.routine)
    if st.step is not None:
        idx, total = st.step
        ex = f"exercise {st.exercise[0]}/{st.exercise[1]} · " if st.exercise else ""
        grid.add_row("Step", f"{ex}step {idx}/{total}  {st.step_label}")
        grid.add_row("Countdown", f"step ends in {_secs(st.step_left_ms)} · "
                                  f"next cue in {_secs(st.next_cue_ms)}")
    if st.reminder_ms is not None:
        grid.add_row("Next break", f"in {_secs(st.reminder_ms)} (device time)")
    grid.add_row("Journal", f"{plural(st.journal, 'record')}, next seq {st.head}")
    grid.add_row("Uptime", f"{_secs(st.now_ms)} device time"
                           + ("" if st.clock_set else " (wall clock not set)"))
    for key, value in extra:
        grid.add_row(key, value)
    if footer:
        grid.add_row("", Text(footer, style="dim"))
    return Panel(grid, title=title, expand=False)
