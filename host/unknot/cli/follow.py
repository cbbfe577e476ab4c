"""`unknot follow`: a live view of what the wrist is doing (library: unknot.follow)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

REFRESH_S = 0.1  # the live panel's countdown refresh


@click.command()
@click.option("--sim", is_flag=True, help="The simulated device (a running `unknot sim`, "
              "else one served here).")
@click.option("--ble", "address", metavar="ADDRESS",
              help="The device at this BLE address (default: the first Unknot in range).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event, one a line.")
@click.option("--notify", is_flag=True,
              help="A desktop notification on each break nudge (needs the [notify] extra).")
def follow(sim: bool, address: str | None, as_json: bool, notify: bool) -> None:
    """Show live what the device is doing: the exercise, its instruction and position, a
    countdown in step with the device, what comes next, and the time to the next break.
    Reconnects by itself; Ctrl-C stops."""
    import asyncio

    try:
        asyncio.run(_follow(sim, address, as_json, notify))
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
        sys.exit(130)


async def _follow(sim: bool, address: str | None, as_json: bool, notify: bool) -> None:
    import asyncio
    import contextlib
    import time

    from rich.console import Console

    from unknot import follow as lib
    from unknot import followview
    from unknot.ble import open_device

    send = lib.notifier() if notify else None
    console = Console()
    live_ok = not as_json and console.is_terminal and sys.stdout.isatty()
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        if sim:
            connect, rate = await stack.enter_async_context(lib.sim_target())
        else:
            def connect() -> Any:
                return open_device(address)
            rate = 1.0
        follower = lib.Follower(rate=rate)
        title = "Unknot · follow" + (" (simulated device)" if sim else "")

        def on_event(ev: dict[str, Any]) -> None:
            if send is not None and ev["event"] == "nudge":
                send("Unknot: time for a break", "Press the button to start the routine.")
            if as_json:
                click.echo(json.dumps(ev))
            elif not live_ok:
                view = follower.view(time.monotonic())
                click.echo(followview.line(view, ev["event"]))

        def on_link(msg: str) -> None:
            if as_json:
                click.echo(json.dumps({"event": "link", "message": msg}))
            else:
                console.print(f"[dim]{msg}[/dim]", highlight=False)

        task = asyncio.ensure_future(lib.run(connect, follower, on_event, on_link, stop))
        try:
            if live_ok:
                from rich.live import Live

                with Live(console=console, refresh_per_second=10, transient=False) as live:
                    while not task.done():
                        live.update(followview.panel(follower.view(time.monotonic()), title,
                                                     "Ctrl-C to stop"))
                        await asyncio.sleep(REFRESH_S)
            await task
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
