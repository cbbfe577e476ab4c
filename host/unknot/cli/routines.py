"""`unknot routines ...` (list, check, build, show) and `unknot preview`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from unknot.routine import ProblemsError


def _report_problems(exc: ProblemsError) -> NoReturn:
    for p in exc.problems:
        click.echo(str(p), err=True)
    n = len(exc.problems)
    click.echo(f"{n} problem{'s' if n != 1 else ''} found.", err=True)
    sys.exit(1)


@click.group()
def routines() -> None:
    """Check, build, list and show routine files (routines/*.toml and your own)."""


@routines.command("list")
def list_cmd() -> None:
    """List the routines of the library and of your routines folder."""
    from rich.console import Console
    from rich.table import Table

    from unknot.routine import total_ms
    from unknot.routine.library import load_all
    from unknot.routine.view import fmt_time

    try:
        found = load_all()
    except ProblemsError as exc:
        _report_problems(exc)
    table = Table("id", "name", "steps", "duration", "source")
    table.columns[0].no_wrap = True
    table.columns[3].min_width = 8
    for r in sorted(found, key=lambda r: r.slug):
        source = f"{r.source_title} ({r.source_file[:3]})" if r.source_file else "-"
        table.add_row(r.slug, r.name, str(len(r.ops())), fmt_time(total_ms(r.ops())), source)
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
    click.echo(f"{len(found)} routine{'s' if len(found) != 1 else ''} OK.")


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
    from unknot.routine.compile import file_name
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
        click.echo(f"{target}  {len(blob)} bytes, {len(r.ops())} steps")


@routines.command("show")
@click.argument("routine")
@click.option("--cues", is_flag=True, help="List every cue event, not only the steps.")
def show_cmd(routine: str, cues: bool) -> None:
    """Show a routine (ID, or PATH to a .toml or .unk file) as a timeline."""
    from rich.console import Console
    from rich.table import Table

    from unknot.routine import compile_routine, routine_id
    from unknot.routine.model import KIND_NAMES, Routine
    from unknot.routine.timeline import expand, step_starts, total_ms
    from unknot.routine.view import describe_step, fmt_time, resolve

    try:
        ops, info = resolve(routine)
    except ProblemsError as exc:
        _report_problems(exc)
    console = Console()
    if isinstance(info, Routine):
        num = routine_id(info.slug)
        console.print(f"[bold]{info.name}[/bold]  id {info.slug} (0x{num:04x})")
        if info.summary:
            console.print(info.summary)
        if info.source_file:
            console.print(f"Source: {info.source_title} ({info.source_file})")
        console.print(f"Safety: {info.safety}")
        size = len(compile_routine(info, labels=True))
        small = len(compile_routine(info, labels=False))
        console.print(f"Compiled: {size} bytes with labels, {small} without")
        says = ["", *info.says, ""]
    else:
        console.print(f"[bold]{info.name or '(no labels)'}[/bold]  id {info.slug or '?'}"
                      f" (0x{info.routine_id:04x}), {info.size} bytes")
        says = [""] * len(ops)
    console.print(f"{len(ops)} steps, {fmt_time(total_ms(ops))}")
    if cues:
        table = Table("time", "cue", "step", "detail")
        for ev in expand(ops):
            table.add_row(fmt_time(ev.t_ms), ev.cue, str(ev.step_index), str(ev.detail))
    else:
        table = Table("start", "#", "kind", "what", "duration", "label")
        for i, (op, (start, dur)) in enumerate(zip(ops, step_starts(ops), strict=True)):
            label = op.label + (f" - {says[i]}" if says[i] else "")
            table.add_row(fmt_time(start), str(i), KIND_NAMES[op.kind], describe_step(op),
                          fmt_time(dur), label)
    console.print(table)


@click.command()
@click.argument("routine")
@click.option("--speed", type=click.FloatRange(min=0.01, max=10000.0), default=1.0,
              show_default=True, help="Play faster (2 = twice as fast) or slower.")
def preview(routine: str, speed: float) -> None:
    """Play a routine (ID or PATH) in the terminal in real time; Ctrl-C stops."""
    from rich.console import Console, Group
    from rich.live import Live
    from rich.panel import Panel
    from rich.text import Text

    from unknot.routine.model import Routine
    from unknot.routine.timeline import expand, total_ms
    from unknot.routine.view import cue_envelope, fmt_time, play, resolve, sparkline

    try:
        ops, info = resolve(routine)
    except ProblemsError as exc:
        _report_problems(exc)
    console = Console()
    name = info.name if isinstance(info, Routine) else (info.name or "routine")
    console.print(f"[bold]{name}[/bold]")
    if isinstance(info, Routine):
        console.print(f"[yellow]Safety:[/yellow] {info.safety}")
        says = ["", *info.says, ""]
    else:
        says = [""] * len(ops)
    events = expand(ops)
    end_ms = total_ms(ops)

    def view(i: int, now_ms: int) -> Panel:
        ev = events[i]
        next_ms = events[i + 1].t_ms if i + 1 < len(events) else end_ms
        op = ops[ev.step_index]
        left = max(0, next_ms - now_ms)
        detail = f" {ev.detail}" if ev.detail else ""
        body = Group(
            Text(f"{ev.cue.upper()}{detail}", style="bold cyan"),
            Text(f"{op.label}" + (f": {says[ev.step_index]}" if says[ev.step_index] else "")),
            Text(f"next cue in {left / 1000:4.1f} s   elapsed {fmt_time(now_ms)}"
                 f" / {fmt_time(end_ms)}"),
            Text("motor " + sparkline(cue_envelope(ev.cue)), style="magenta"),
        )
        return Panel(body, title=f"step {ev.step_index + 1}/{len(ops)}")

    # Ctrl-C: the CLI entry prints "Stopped." and exits 130, as for every command.
    with Live(view(0, 0), console=console, refresh_per_second=10, transient=False) as live:
        play(events, speed, lambda i, ms: live.update(view(i, ms)))
    console.print("\nDone.")
