"""What several commands share and that is not a command: the transport options
(--drive/--port/--ble/--sim) and the progress bar on stderr. No command lives here, so
command modules import this and never each other."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import click

from unknot.sim.interproc import DEFAULT_NAME

if TYPE_CHECKING:
    from unknot.routine import ProblemsError


def report_problems(exc: ProblemsError) -> NoReturn:
    """Every problem of a routine check on its own line, a count, exit 1."""
    from unknot.text import plural

    for p in exc.problems:
        click.echo(str(p), err=True)
    click.echo(f"{plural(len(exc.problems), 'problem')} found.", err=True)
    sys.exit(1)


def _select_sim(_ctx: click.Context, _param: click.Parameter, value: str | None) -> bool:
    """--sim [NAME]: True when given, and NAME becomes the process's simulated device."""
    if value is None:
        return False
    from unknot.sim import interproc

    try:
        interproc.select(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return True


def sim_option(help_text: str = "The simulated device (in UNKNOT_HOME); NAME: the one "
               "`unknot sim --name NAME` serves.") -> Callable[[Callable[..., object]],
                                                           Callable[..., object]]:
    """The one --sim [NAME] option (the command gets a bool; NAME is selected globally)."""
    return click.option("--sim", "sim", is_flag=False, flag_value=DEFAULT_NAME, default=None,
                        metavar="[NAME]", callback=_select_sim, help=help_text)


class SimArgsCommand(click.Command):
    """A command with positional arguments and --sim [NAME]: `--sim X` takes X as the name
    only when the simulated device X exists (<home>/sim/X), so `flash --sim micro-break`
    still flashes micro-break to the default one; `--sim=NAME` always names it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from unknot import paths

        out: list[str] = []
        it = iter(range(len(args)))
        for i in it:
            if args[i] != "--sim":
                out.append(args[i])
                continue
            nxt = args[i + 1] if i + 1 < len(args) else None
            if nxt is not None and not nxt.startswith("-") and "/" not in nxt \
                    and (paths.home() / "sim" / nxt).is_dir():
                out.append(f"--sim={nxt}")
                next(it, None)
            else:
                out.append(f"--sim={DEFAULT_NAME}")
        return super().parse_args(ctx, out)


def transport_options(f: Callable[..., object]) -> Callable[..., object]:
    f = sim_option()(f)
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
