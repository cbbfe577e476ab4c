"""`unknot flash [ROUTINE...]`: compile routines and write them onto the device."""

from __future__ import annotations

import click

from unknot.cli.options import SimArgsCommand, ble_arg, progress_bar, transport_options
from unknot.text import plural


@click.command(cls=SimArgsCommand)
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
    from unknot.routine.selection import compile_selection
    from unknot.transport import open_transport

    files = compile_selection(routines)
    with open_transport(drive=drive, port=port, ble=ble_arg(ble), sim=sim) as t:
        with progress_bar() as progress:
            summary = t.write_routines(files, progress, prune=prune)
        where = t.description
    for name in summary.copied:
        click.echo(f"  copied  {name}")
    for name in summary.removed:
        click.echo(f"  removed {name}")
    if summary.replaced:
        click.echo(f"  replaced the device's set of {plural(summary.replaced, 'routine')}"
                   " (over BLE the whole set is replaced: name every routine to keep)")
    click.echo(f"Flashed {plural(len(files), 'routine')} to {where}: {summary.line()}.")
