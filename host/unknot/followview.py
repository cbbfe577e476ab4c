"""How `unknot follow` draws a `follow.View`: a live rich panel on a terminal, one plain line
per event on a pipe (and in the docs' captured screen). Rich is imported only in `panel`."""

from __future__ import annotations

from typing import Any

from unknot.follow import View
from unknot.routine.overview import ExerciseView


def clock(ms: int | None) -> str:
    """m:ss.t (tenths), or "-"."""
    if ms is None:
        return "-"
    tenths = round(max(0, ms) / 100)
    return f"{tenths // 600}:{tenths % 600 / 10:04.1f}"


def _where(e: ExerciseView) -> str:
    props = f", with {', '.join(e.props)}" if e.props else ""
    return f"{e.position or 'position not given'}{props}"


def headline(v: View) -> str:
    """The state in a few words: what to do now."""
    if v.state == "connecting":
        return "connecting..."
    if v.state == "idle":
        return "idle · next break in " + (clock(v.next_break_ms)[:-2] if v.next_break_ms
                                          is not None else "- (no break scheduled)")
    if v.state == "nudge":
        return "BREAK TIME: press the button to start, double-press to snooze"
    e = v.exercise
    what = v.routine if e is None else (
        f"{'get ready: ' if v.getting_ready else ''}{e.number}/{v.exercises} {e.name}")
    return f"{v.state} · {what}"


def line(v: View, event: str) -> str:
    """One line for a pipe: event, state, exercise, position, side, countdowns, next."""
    parts = [f"{event:<8}", headline(v)]
    e = v.exercise
    if e is not None:
        parts.append(_where(e))
        if v.side is not None:
            parts.append(f"side {v.side}/2")
        parts.append(f"step ends in {clock(v.step_left_ms)}")
        if v.next_cue:
            parts.append(f"next cue {v.next_cue} in {clock(v.next_cue_ms)}")
        n = v.next_exercise
        parts.append(f"then: {n.name} ({n.position or '?'})" if n else "then: done")
    return " · ".join(parts)


def panel(v: View, title: str, footer: str = "") -> Any:
    """The live panel: exercise name and instruction, position, countdowns, what comes next,
    or the time to the next break when idle."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(max_width=64)
    grid.add_row("Now", headline(v))
    e = v.exercise
    if e is not None:
        grid.add_row("Do", Text(e.say or v.step_label or e.name))
        grid.add_row("Position", _where(e))
        if v.side is not None:
            grid.add_row("Side", f"{v.side} of 2")
        grid.add_row("Countdown", f"step ends in {clock(v.step_left_ms)} · next cue "
                                  f"{v.next_cue or '-'} in {clock(v.next_cue_ms)}")
        n = v.next_exercise
        grid.add_row("Next", f"{n.name} ({_where(n)})" if n else "done")
    elif v.routine:
        grid.add_row("Routine", v.routine)
    if footer:
        grid.add_row("", Text(footer, style="dim"))
    return Panel(grid, title=title, expand=False)
