"""What several commands share and that is not a command: the transport options
(--drive/--port/--ble/--sim) and the progress bar on stderr. No command lives here, so
command modules import this and never each other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


def transport_options(f: Callable[..., object]) -> Callable[..., object]:
    f = click.option("--sim", is_flag=True, help="The simulated device (in UNKNOT_HOME).")(f)
    f = click.option("--ble", "ble", is_flag=False, flag_value="", default=None,
                     metavar="[ADDRESS]",
                     help="Over Bluetooth; without ADDRESS, the one Unknot device in range.")(f)
    f = click.option("--port", metavar="DEV", help="Over USB serial (e.g. /dev/ttyACM0, COM3).")(f)
    f = click.option("--drive", type=click.Path(file_okay=False), metavar="PATH",
                     help="The board's CIRCUITPY drive (found automatically if omitted).")(f)
    return f


def ble_arg(ble: str | None) -> str | bool | None:
    """--ble's value for open_transport: an address, True for "the one in range", or None."""
    return None if ble is None else (ble or True)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr, fed by progress(name, done, total) callbacks."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    console = Console(stderr=True)
    # Not on a terminal (a pipe, a log): no bar at all, not even the blank line a
    # transient bar leaves behind.
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  console=console, transient=True,
                  disable=not enabled or not console.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = int(bar.add_task(name, total=max(total, 1)))
            bar.update(tasks[name], completed=done if total else 1)  # type: ignore[arg-type]

        yield update
