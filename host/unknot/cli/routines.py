"""`unknot routines ...` (list, check, build, show) and `unknot preview`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click


def _fmt_time(ms: int) -> str:
    s, tenths = divmod(ms // 100, 10)
    minutes, s = divmod(s, 60)
    return f"{minutes}:{s:02d}" + (f".{tenths}" if tenths else "")


def _report_problems(exc: Any) -> None:
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

    from unknot.routine import ProblemsError, total_ms
    from unknot.routine.library import load_all

    try:
        found = load_all()
    except ProblemsError as exc:
        _report_problems(exc)
        return
    from unknot.routine.count import tally

    table = Table("id", "name", "exercises", "steps", "duration", "source")
    table.columns[0].no_wrap = True
    table.columns[4].min_width = 8
    for r in sorted(found, key=lambda r: r.slug):
        count = tally(r.ops())
        table.add_row(r.slug, r.name, str(count.exercises), str(count.steps),
                      _fmt_time(total_ms(r.ops())), _sources_short(r))
    Console().print(table)


def _sources_short(r: Any) -> str:
    """"Title (002)" per source, "advice:" before a text used as advice only."""
    if not r.sources:
        return "-"
    return "; ".join(("advice: " if s.use == "advice" else "") + f"{s.title} ({s.file[:3]})"
                     for s in r.sources)


@routines.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
def check_cmd(paths: tuple[str, ...]) -> None:
    """Validate routine files (default: the library and your routines folder).

    Every problem is printed as PATH:LINE: MESSAGE; the exit code is 1 if there is any.
    """
    from unknot.routine import ProblemsError
    from unknot.routine.library import load_all

    try:
        found = load_all(list(paths))
    except ProblemsError as exc:
        _report_problems(exc)
        return
    click.echo(f"{len(found)} routine{'s' if len(found) != 1 else ''} OK.")


@routines.command("build")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write <id>.unk files into (created if missing).")
@click.option("--labels/--no-labels", default=True, show_default=True,
              help="Include the label table (for boards with a screen).")
def build_cmd(paths: tuple[str, ...], out_dir: str, labels: bool) -> None:
    """Compile routines to .unk files; nothing is written if any input is bad."""
    from unknot.routine import ProblemsError, compile_routine
    from unknot.routine.library import load_all

    try:
        found = load_all(list(paths))
    except ProblemsError as exc:
        _report_problems(exc)
        return
    from unknot.routine.compile import format_version
    from unknot.routine.count import tally

    blobs = [(r, compile_routine(r, labels=labels)) for r in found]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for r, blob in blobs:
        target = out / f"{r.slug}.unk"
        target.write_bytes(blob)
        click.echo(f"{target}  {len(blob)} bytes, format v{format_version(r)},"
                   f" {tally(r.ops())}")


def _overview(id_or_path: str) -> tuple[Any, Any]:
    """(overview, found) of a routine given by id or path; found is a Routine or a Decoded."""
    from unknot.routine import overview
    from unknot.routine.library import find

    found = find(id_or_path)
    return overview.of(found), found


def _exercise_table(ov: Any) -> Any:
    from rich.table import Table

    table = Table("#", "exercise", "position", "get ready", "starts", "time", "sides", "steps")
    for e in ov.exercises:
        where = e.position + (f" ({', '.join(e.props)})" if e.props else "")
        table.add_row(str(e.number), e.name, where or "?",
                      f"{e.get_ready_ms / 1000:g} s" if e.get_ready_ms else "-",
                      _fmt_time(e.start_ms), _fmt_time(e.duration_ms),
                      "each side" if e.sides else "one", str(e.steps))
    return table


def _legend_table(ov: Any) -> Any:
    """The cues this routine plays, with the rhythm each one has on the motor."""
    from rich.table import Table

    from unknot import fwload

    envelope = fwload.module("patterns").envelope
    table = Table("cue", "feels like", title="Cue legend", title_justify="left")
    for cue in ov.cues:
        table.add_row(cue, sparkline(envelope(cue)))
    return table


@routines.command("show")
@click.argument("routine")
@click.option("--cues", is_flag=True, help="List every cue event, not only the steps.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole timeline as JSON (exercise, step, side, cue, time in ms).")
def show_cmd(routine: str, cues: bool, as_json: bool) -> None:
    """Show a routine (ID, or PATH to a .toml or .unk file): exercises, steps, cue legend."""
    import json

    from rich.console import Console
    from rich.table import Table

    from unknot.routine import ProblemsError, compile_routine, routine_id
    from unknot.routine import model as m
    from unknot.routine import overview as ovm
    from unknot.routine.model import KIND_NAMES, Routine
    from unknot.routine.timeline import step_starts

    try:
        ov, info = _overview(routine)
    except ProblemsError as exc:
        _report_problems(exc)
        return
    if as_json:
        click.echo(json.dumps(ovm.to_json(ov), indent=2, ensure_ascii=False))
        return
    console = Console()
    ops = list(ov.ops)
    if isinstance(info, Routine):
        num = routine_id(info.slug)
        console.print(f"[bold]{info.name}[/bold]  id {info.slug} (0x{num:04x})")
        if info.summary:
            console.print(info.summary)
        for src in info.sources:
            what = "advice only (no exercises or timings)" if src.use == "advice" else \
                "exercises and timings"
            console.print(f"Source: {src.title} ({src.file}): {what}")
        if info.exercises:
            console.print("Numbers from the text: " + ("; ".join(info.numbers_text)
                                                      or "none (the text gives no numbers)"))
            console.print("Numbers the project chose: " + ("; ".join(info.numbers_chosen)
                                                          or "none"))
        console.print(f"Safety: {info.safety}")
        size = len(compile_routine(info, labels=True))
        small = len(compile_routine(info, labels=False))
        console.print(f"Compiled: format v{ov.version}, {size} bytes with labels,"
                      f" {small} without")
    else:
        console.print(f"[bold]{info.name or '(no labels)'}[/bold]  id {info.slug or '?'}"
                      f" (0x{info.routine_id:04x}), format v{ov.version}, {info.size} bytes")
    console.print(f"{ov.count}, {_fmt_time(ov.total_ms)}"
                  + (f", countdown of the last {ov.countdown} s of long holds"
                     if ov.countdown else ""))
    console.print(_exercise_table(ov))
    if cues:
        table = Table("time", "cue", "exercise", "step", "side", "detail")
        for ev in ovm.timeline(ov):
            table.add_row(_fmt_time(ev["t_ms"]), ev["cue"], str(ev["exercise"] or "-"),
                          str(ev["step"] or "-"), str(ev["side"] or "-"), str(ev["detail"]))
    else:
        table = Table("start", "#", "kind", "what", "duration", "label")
        positions = ovm.steps_positions(ops)
        for i, (op, (start, dur)) in enumerate(zip(ops, step_starts(ops), strict=True)):
            label = op.label + (f" - {ov.says[i]}" if ov.says[i] else "")
            number = str(positions[i].steps) if op.kind not in (m.BEGIN, m.END, m.NEXT) else ""
            table.add_row(_fmt_time(start), number, KIND_NAMES[op.kind], _describe(op),
                          _fmt_time(dur), label)
    console.print(table)
    console.print(_legend_table(ov))


def _describe(op: Any) -> str:
    from unknot.routine import model as m

    d = [x / 10 for x in op.durations]
    each = " each side" if op.sides else ""
    tick = " (ticks)" if op.tick else ""
    if op.kind == m.BREATHE:
        return (f"{op.count} x in {d[0]:g}" + (f" hold {d[1]:g}" if d[1] else "")
                + f" out {d[2]:g}" + (f" pause {d[3]:g}" if d[3] else "") + " s")
    if op.kind == m.HOLD:
        return f"hold {d[0]:g} s{each}{tick}"
    if op.kind == m.REST:
        return f"rest {d[0]:g} s{tick}"
    if op.kind == m.REPEAT:
        return f"{op.count} x {d[0]:g} s, gap {d[1]:g} s{each}"
    if op.kind == m.SWITCH:
        return "switch side"
    if op.kind == m.NEXT:
        return f"get ready {d[0]:g} s"
    return ""


def sparkline(envelope: Any, slot_ms: int = 40) -> str:
    """Draw an envelope [(level 0..255, ms), ...] as a bar string, one char per slot_ms."""
    blocks = " ▁▂▃▄▅▆▇█"
    out = []
    for level, ms in envelope:
        ch = blocks[min(8, max(0, round(int(level) * 8 / 255)))]
        out.append(ch * max(1 if ms else 0, round(int(ms) / slot_ms)))
    return "".join(out) or " "


@click.command()
@click.argument("routine")
@click.option("--speed", type=click.FloatRange(min=0.01, max=10000.0), default=1.0,
              show_default=True, help="Play faster (2 = twice as fast) or slower.")
def preview(routine: str, speed: float) -> None:
    """Play a routine (ID or PATH) in the terminal in real time; Ctrl-C stops.

    First lists the exercises (position, time, sides) and the cue legend; during play it
    shows the exercise and step you are in and the exercise that comes next.
    """
    from rich.console import Console, Group
    from rich.live import Live
    from rich.panel import Panel
    from rich.text import Text

    from unknot import fwload
    from unknot.routine import ProblemsError
    from unknot.routine import model as m
    from unknot.routine.model import Routine
    from unknot.routine.overview import steps_positions
    from unknot.routine.timeline import expand

    try:
        ov, info = _overview(routine)
    except ProblemsError as exc:
        _report_problems(exc)
        return
    console = Console()
    console.print(f"[bold]{ov.name or 'routine'}[/bold]  {ov.count}, {_fmt_time(ov.total_ms)}")
    if isinstance(info, Routine):
        console.print(f"[yellow]Safety:[/yellow] {info.safety}")
    console.print(_exercise_table(ov))
    console.print(_legend_table(ov))
    ops = list(ov.ops)
    events = expand(ops, ov.countdown)
    positions = steps_positions(ops)
    envelope = fwload.module("patterns").envelope
    count = ov.count

    def coming(number: int) -> str:
        if number > len(ov.exercises):
            return "next: done"
        e = ov.exercises[number - 1]
        where = f", {e.position}" if e.position else ""
        props = f", with {' and '.join(e.props)}" if e.props else ""
        return f"next: {number}. {e.name}{where}{props}"

    def describe(i: int) -> tuple[str, str, str]:
        """(title, what, what comes next) of event i."""
        ev = events[i]
        op = ops[ev.step_index]
        pos = positions[ev.step_index]
        say = ov.says[ev.step_index]
        if op.kind == m.NEXT:
            e = ov.exercises[pos.exercises - 1]
            return (f"get ready: exercise {pos.exercises}/{count.exercises}",
                    e.name + (f": {e.say}" if e.say else ""), coming(pos.exercises + 1))
        if op.kind in (m.BEGIN, m.END):
            return f"{count}", op.label or ov.name, coming(1) if op.kind == m.BEGIN else ""
        return (f"exercise {pos.exercises}/{count.exercises} · step {pos.steps}/{count.steps}",
                f"{ov.exercises[pos.exercises - 1].name}: {op.label}"
                + (f" - {say}" if say else ""), coming(pos.exercises + 1))

    def view(i: int, now_ms: int) -> Panel:
        ev = events[i]
        next_ms = events[i + 1].t_ms if i + 1 < len(events) else ov.total_ms
        left = max(0, next_ms - now_ms)
        detail = f" {ev.detail}" if ev.detail else ""
        title, what, after = describe(i)
        body = Group(
            Text(f"{ev.cue.upper()}{detail}", style="bold cyan"),
            Text(what),
            Text(f"next cue in {left / 1000:4.1f} s   elapsed {_fmt_time(now_ms)}"
                 f" / {_fmt_time(ov.total_ms)}"),
            Text(after, style="green"),
            Text("motor " + sparkline(envelope(ev.cue)), style="magenta"),
        )
        return Panel(body, title=title)

    def line(i: int) -> str:
        """One line per cue when the output is not a terminal (a pipe, a log, a test)."""
        ev = events[i]
        title, what, after = describe(i)
        detail = f" {ev.detail}" if ev.detail else ""
        return (f"{_fmt_time(ev.t_ms):>6}  {ev.cue.upper()}{detail}  [{title}] {what}"
                + (f"  ({after})" if after else "") + "  motor " + sparkline(envelope(ev.cue)))

    start = time.monotonic()

    def wait_until(t_ms: int, redraw: Any) -> None:
        deadline = start + t_ms / 1000 / speed
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            time.sleep(min(deadline - now, 0.1))
            redraw(min(t_ms, int((time.monotonic() - start) * 1000 * speed)))

    try:
        if not console.is_terminal:
            for i, ev in enumerate(events):
                wait_until(ev.t_ms, lambda ms: None)
                console.print(line(i), markup=False, highlight=False, soft_wrap=True)
        else:
            with Live(view(0, 0), console=console, refresh_per_second=10,
                      transient=False) as live:
                for i, ev in enumerate(events):
                    wait_until(ev.t_ms, lambda ms, i=i: live.update(view(max(i - 1, 0), ms)))
                    live.update(view(i, ev.t_ms))
    except KeyboardInterrupt:
        console.print("Stopped.")
        sys.exit(130)
    console.print("\nDone.")
