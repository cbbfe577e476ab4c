"""`unknot flash [ROUTINE...]`: compile routines and write them onto the device."""

from __future__ import annotations

from pathlib import Path

import click

from unknot.cli.device import ble_arg, progress_bar, transport_options
from unknot.errors import RoutineError


def compile_selection(names: tuple[str, ...]) -> dict[str, bytes]:
    """<slug>.unk -> compiled bytes for the routines named (ids or .toml paths/folders);
    none named = the whole library plus the user's routines."""
    from unknot.routine import compile_routine
    from unknot.routine.compile import file_name
    from unknot.routine.library import load_all

    paths_given = [n for n in names if n.endswith(".toml") or Path(n).exists()]
    ids = [n for n in names if n not in paths_given]
    routines = load_all(paths_given) if paths_given else []
    if ids or not names:
        library = {r.slug: r for r in load_all()}
        missing = [i for i in ids if i not in library]
        if missing:
            raise RoutineError(f"no routine with id {', '.join(repr(m) for m in missing)} "
                               "(see `unknot routines list`)")
        routines += list(library.values()) if not names else [library[i] for i in ids]
    if not routines:
        raise RoutineError("no routines to flash")
    return {file_name(r.slug): compile_routine(r) for r in routines}


@click.command()
@click.argument("routines", nargs=-1, metavar="[ROUTINE...]")
@transport_options
@click.option("--prune", is_flag=True,
              help="Also remove routines on the device that are not being flashed.")
def flash(routines: tuple[str, ...], drive: str | None, port: str | None, ble: str | None,
          sim: bool, prune: bool) -> None:
    """Compile routines and write them to the device's /routines folder.

    ROUTINE is a routine id or a .toml file; default: every routine in the library and your
    routines folder. Without --port/--ble/--sim the board's USB drive is used (found
    automatically). Routines already on the device and unchanged are skipped.
    """
    from unknot.transport import open_transport

    files = compile_selection(routines)
    with open_transport(drive=drive, port=port, ble=ble_arg(ble), sim=sim) as t:
        with progress_bar() as progress:
            summary = t.write_routines(files, progress, prune=prune)
        where = t.description
    for name in summary.copied:
        click.echo(f"  wrote   {name}")
    for name in summary.removed:
        click.echo(f"  removed {name}")
    click.echo(f"Flashed {len(files)} routine(s) to {where}: {summary.line()}.")
