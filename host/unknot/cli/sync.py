"""`unknot sync`: copy new session records from the device into the history database."""

from __future__ import annotations

import click


@click.command()
@click.option("--address", help="BLE address of the device (default: the first Unknot found).")
@click.option("--name", help="Advertised name of the device, e.g. Unknot-1A2B.")
@click.option("--sim", is_flag=True, help="Sync the simulated device (state under <home>/sim/).")
def sync(address: str | None, name: str | None, sim: bool) -> None:
    """Sync the device's session history over BLE (resumes where the last sync stopped)."""
    from rich.console import Console
    from rich.progress import Progress

    from unknot.ble.sync import sync_history

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Syncing", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = sync_history(address, sim=sim, name=name, progress=progress)
    d = summary.device
    if summary.notice is not None:
        click.echo(summary.notice)
    click.echo(
        f"{d.name or d.address} ({d.device_id}, firmware {d.firmware}): "
        f"{summary.new} new, {summary.known} already known, {summary.lost} lost to device overflow"
    )
