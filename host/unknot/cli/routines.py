"""`unknot routines ...` (list, check, build, show) and `unknot preview`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from unknot.cli.card import card
from unknot.routine import ProblemsError
from unknot.text import plural


def _report_problems(exc: ProblemsError) -> NoReturn:
    for p in exc.problems:
        click.echo(str(p), err=True)
    n = len(exc.problems)
    click.echo(f"{plural(n, 'problem')} found.", err=True)
    sys.exit(1)


@click.group()
def routines() -> None:
    """Check, build, list and show routine files (routines/*.toml and your own), and draw
    printable cards."""


routines.add_command(card)


@routines.command("list")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array (id, name, exercises, steps, duration_ms, sources).")
def list_cmd(as_json: bool) -> None:
    """List the routines of the library and of your routines folder."""
    from unknot.routine.library import listing, load_all
    from unknot.routine.view import fmt_time

    try:
        rows = [listing(r) for r in sorted(load_all(), key=lambda r: r.slug)]
    except ProblemsError as exc:
        _report_problems(exc)
    if as_json:
        import json

        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "exercises", "steps", "duration", "source")
    table.columns[0].no_wrap = True
    table.columns[4].min_width = 8
    for row in rows:
        source = "; ".join(("advice: " if s["use"] == "advice" else "") +
                           f"{s['title']} ({s['file'][:3]})" for s in row["sources"]) or "-"
        table.add_row(row["id"], row["name"], str(row["exercises"]), str(row["steps"]),
                      fmt_time(row["duration_ms"]), source)
    Console().print(table)


@routines.command("check")
@click.argument("paths", nargs=-1, metavar="[ROUTINE...]")
def check_cmd(paths: tuple[str, ...]) -> None:
    """Validate routines: ids, .toml files or folders (default: the library and your
    routines folder).

    Every problem is printed as PATH:LINE: MESSAGE; the exit code is 1 if there is any.
    """
    from unknot.routine.library import load_all

    try:
        found = load_all(list(paths), strict=True)
    except ProblemsError as exc:
        _report_problems(exc)
    click.echo(f"{plural(len(found), 'routine')} OK.")


@routines.command("build")
@click.argument("paths", nargs=-1, metavar="[ROUTINE...]")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write <id>.unk files into (created if missing).")
@click.option("--labels/--no-labels", default=True, show_default=True,
              help="Include the label table (for boards with a screen).")
def build_cmd(paths: tuple[str, ...], out_dir: str, labels: bool) -> None:
    """Compile routines (ids, .toml files or folders; default: all) to .unk files; nothing
    is written if any input is bad."""
    from unknot.routine import compile_routine
    from unknot.routine.compile import file_name, format_version
    from unknot.routine.count import tally
    from unknot.routine.library import load_all

    try:
        found = load_all(list(paths), strict=True)
    except ProblemsError as exc:
        _report_problems(exc)
    blobs = [(r, compile_routine(r, labels=labels)) for r in found]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for r, blob in blobs:
        target = out / file_name(r.slug)
        target.write_bytes(blob)
        click.echo(f"{target}  {len(blob)} bytes, format v{format_version(r)},"
                   f" {tally(r.ops())}")


@routines.command("show")
@click.argument("routine")
@click.option("--cues", is_flag=True, help="List every cue event, not only the steps.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole timeline as JSON (exercise, step, side, cue, time in ms).")
def show_cmd(routine: str, cues: bool, as_json: bool) -> None:
    """Show a routine (ID, or PATH to a .toml or .unk file): exercises, steps, cue legend."""
    import json

    from rich.console import Console

    from unknot.routine import overview
    from unknot.routine import view as v

    try:
        ov, info = v.resolve(routine)
    except ProblemsError as exc:
        _report_problems(exc)
    if as_json:
        click.echo(json.dumps(overview.to_json(ov), indent=2, ensure_ascii=False))
        return
    console = Console()
    for line in v.header(ov, info):
        console.print(line)
    console.print(v.exercise_table(ov))
    console.print(v.steps_table(ov, cues))
    console.print(v.legend_table(ov))


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
        _learn(speed)
        return
    if routine is None:
        raise click.UsageError("name a routine (ID or PATH), or use --learn")
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
            v.play(events, speed, lambda i, ms: live.update(view(i, ms)))
    else:
        v.play(events, speed, log)
    console.print("\nDone.")


def _learn(speed: float) -> None:
    """`preview --learn`: every cue drawn in real time (one block per 40 ms of the motor's
    envelope), its name and meaning, then a short quiet."""
    import time

    from rich.console import Console

    from unknot import core, haptics
    from unknot.routine import view as v

    console = Console(highlight=False)
    total = haptics.learn_ms() / 1000 / speed
    console.print(f"[bold]The cues[/bold]: {len(haptics.routine_cues())} in routines,"
                  f" {len(haptics.device_cues())} from the device ({total:.0f} s)."
                  " Feel them on a board: play the `learn` routine with `unknot follow`.")
    for k, lesson in enumerate(haptics.lessons(), 1):
        if lesson.cue == haptics.device_cues()[0]:
            console.print("[bold]Outside routines[/bold]")
        env = core.patterns.envelope(lesson.cue) * lesson.times
        times = f" x{lesson.times}" if lesson.times > 1 else ""
        console.print(f"{k:2}. [bold cyan]{lesson.cue}{times}[/bold cyan]  "
                      f"{haptics.notation(haptics.repeated(haptics.cue(lesson.cue), lesson.times))}"
                      f"  {lesson.says}")
        for level, ms in env:
            console.print(v.sparkline(((level, ms),)), end="", markup=False)
            console.file.flush()
            time.sleep(ms / 1000 / speed)
        console.print()
        time.sleep(haptics.LEARN_PAUSE_MS / 1000 / speed)
