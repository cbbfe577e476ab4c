"""`unknot preview`: play a routine in the terminal, or learn the cues (--learn)."""

from __future__ import annotations

import click

from unknot.cli.options import report_problems as _report_problems
from unknot.routine import ProblemsError


@click.command()
@click.argument("routine", required=False)
@click.option("--speed", type=click.FloatRange(min=0.01, max=10000.0), default=1.0,
              show_default=True, help="Play faster (2 = twice as fast) or slower.")
@click.option("--learn", is_flag=True,
              help="Learn the cues: play each one with its meaning (under a minute).")
def preview(routine: str | None, speed: float, learn: bool) -> None:
    """Play a routine (ID or PATH) in the terminal in real time; Ctrl-C stops.

    First lists the exercises (position, time, sides) and the cue legend; during play it
    shows the exercise and step you are in and the exercise that comes next. With --learn
    (no routine): each cue of the vocabulary, drawn as it plays, with what it means.
    """
    if learn:
        from unknot.routine.view import learn as play_learn

        play_learn(speed)
        return
    if routine is None:
        raise click.UsageError("name a routine (ID or PATH), or use --learn")
    _play(routine, speed)


def _play(routine: str, speed: float) -> None:
    from rich.console import Console, Group
    from rich.live import Live
    from rich.panel import Panel
    from rich.text import Text

    from unknot.routine import view as v
    from unknot.routine.model import Routine
    from unknot.routine.timeline import expand

    try:
        ov, info = v.resolve(routine)
    except ProblemsError as exc:
        _report_problems(exc)
    console = Console()
    console.print(f"[bold]{ov.name or 'routine'}[/bold]  {v.totals(ov)}")
    if isinstance(info, Routine):
        for line in v.credits(info):
            console.print(line, markup=False, highlight=False)
        console.print(f"[yellow]Safety:[/yellow] {info.safety}")
    console.print(v.exercise_table(ov))
    console.print(v.legend_table(ov))
    events = expand(list(ov.ops), ov.countdown)

    def view(i: int, now_ms: int) -> Panel:
        ev = events[i]
        next_ms = events[i + 1].t_ms if i + 1 < len(events) else ov.total_ms
        where, what, after = v.at_cue(ov, ev)
        detail = f" {ev.detail}" if ev.detail else ""
        return Panel(Group(
            Text(f"{ev.cue.upper()}{detail}", style="bold cyan"),
            Text(what),
            Text(f"next cue in {max(0, next_ms - now_ms) / 1000:4.1f} s   elapsed"
                 f" {v.fmt_time(now_ms)} / {v.fmt_time(ov.total_ms)}"),
            Text(after, style="green"),
            Text("motor " + v.sparkline(v.cue_envelope(ev.cue, ev.detail)), style="magenta"),
        ), title=where)

    shown = [-1]

    def log(i: int, _ms: int) -> None:  # not a terminal: one line per cue, once
        if i > shown[0]:
            shown[0] = i
            console.print(v.cue_line(ov, events[i]), markup=False, highlight=False,
                          soft_wrap=True)

    # Ctrl-C: the CLI entry prints "Stopped." and exits 130, as for every command.
    if console.is_terminal:
        with Live(view(0, 0), console=console, refresh_per_second=10, transient=False) as live:

            def press() -> None:  # the device waits for the button; here, Enter
                live.stop()
                console.input("[bold]Press Enter when you are in position[/bold] ")
                live.start()

            v.play(events, speed, lambda i, ms: live.update(view(i, ms)), press)
    else:
        v.play(events, speed, log)
    console.print("\nDone.")

