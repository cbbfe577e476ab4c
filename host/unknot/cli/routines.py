"""`unknot routines ...` (list, check, build, show); `unknot preview` is in cli/preview.py."""

from __future__ import annotations

from pathlib import Path

import click

from unknot.cli.card import card
from unknot.cli.options import report_problems as _report_problems
from unknot.routine import ProblemsError
from unknot.text import plural


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
