"""`unknot sync`: copy new session records from the device into the history database."""

from __future__ import annotations

import sys

import click

from unknot.cli.options import sim_option


@click.command()
@click.option("--address", help="BLE address of the device (default: the first Unknot found).")
@click.option("--name", help="Advertised name of the device, e.g. Unknot-1A2B.")
@sim_option("Sync the simulated device (state under <home>/sim/NAME; NAME: default).")
@click.option("--watch", is_flag=True,
              help="Keep running: sync when the device's advertisement says there is "
                   "something new, or it comes back in range (Ctrl-C stops).")
def sync(address: str | None, name: str | None, sim: bool, watch: bool) -> None:
    """Sync the device's session history over BLE (resumes where the last sync stopped).

    With --watch it stays running, listens passively to the device's advertisement and syncs
    when it says a session ended (seconds later) or the device comes back in range, logging
    one line per sync; `unknot autostart enable` runs it as a background service."""
    if watch:
        from unknot import radio
        from unknot.ble.watch import WatchPolicy
        from unknot.ble.watch import watch as run_watch

        click.echo("Watching for the device (Ctrl-C stops).", err=True)
        try:
            run_watch(address, name=name, radio=radio.pick(sim), clock_rate=radio.clock_rate(sim),
                      listener=radio.watch_listener(sim, WatchPolicy().away_s),
                      log=lambda line: click.echo(line))
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
            sys.exit(130)
        return

    from rich.console import Console
    from rich.progress import Progress

    from unknot import radio
    from unknot.ble.sync import sync_history

    console = Console(stderr=True)

    def waiting(pid: int | None) -> None:
        who = f" (pid {pid})" if pid else ""
        console.print(f"Another sync is running{who}; waiting for it to finish...")

    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task("Syncing", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = sync_history(address, name=name, radio=radio.pick(sim),
                               clock_rate=radio.clock_rate(sim), progress=progress,
                               on_wait=waiting)
    d = summary.device
    if summary.notice is not None:
        click.echo(summary.notice)
    click.echo(
        f"{d.name or d.address} ({d.device_id}, firmware {d.firmware}): "
        f"{summary.new} new, {summary.known} already known, "
        f"{summary.lost} lost to device overflow, {summary.corrupt} corrupt slots skipped"
    )
