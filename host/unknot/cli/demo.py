"""`unknot demo`: the whole product on a simulated device, no board needed. The runner is
`unknot.demo.run_demo`; this command prints its result, then the history and stats."""

from __future__ import annotations

import contextlib
import sys

import click


@click.command()
@click.option("--auto", is_flag=True, help="Press the button automatically (non-interactive).")
@click.option("--speed", type=click.FloatRange(min=1, max=10000), default=10.0,
              show_default=True, help="Device clock speed (x real time).")
def demo(auto: bool, speed: float) -> None:
    """Show the whole product on a simulated board running the real firmware.

    Flashes the routine library over simulated BLE, lets a break reminder fire, plays the
    break routine cue by cue (as the motor would make you feel it), records the session,
    syncs it into your history and shows your history and stats. Press Enter as the
    button, or use --auto.
    """
    import asyncio

    from rich.console import Console

    from unknot.demo import run_demo
    from unknot.history import HistoryStore
    from unknot.history.report import SESSIONS_LEGEND, sessions_table, stats_report

    console = Console()
    live = console.is_terminal and sys.stdout.isatty()
    result = asyncio.run(run_demo(console, speed=speed, auto=auto, live=live))
    console.print("\n[bold]5. Your history[/bold] (unknot history --device "
                  f"{result.device_id}):", highlight=False)
    sys.stdout.flush()
    with HistoryStore.open() as store:
        sessions = store.sessions(device_id=result.device_id)
        week = store.stats(days=7, device_id=result.device_id)
        ids = store.known_ids()
    console.print(sessions_table(sessions, ids))
    if sessions:
        click.echo(SESSIONS_LEGEND)
    console.print("\n[bold]6. Stats[/bold] (unknot stats --days 7 --device "
                  f"{result.device_id}):", highlight=False)
    sys.stdout.flush()
    for part in stats_report(week):
        console.print(part)
    console.print(f"\nDemo done in {result.wall_s:.1f} s. Next: `unknot sim` for an interactive "
                  "simulated device, or `unknot device install` with a board.", highlight=False)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
