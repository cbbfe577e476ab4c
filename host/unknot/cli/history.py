"""`unknot history`, `unknot stats`, `unknot export`, `unknot devices [forget]`: read the
history database (unknot.history), opened read-only except by `devices forget`. Each
command parses, calls the history, prints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click

from unknot.history import HistoryStore
from unknot.history.export import atomic_write, parse_since, sessions_text, write_png
from unknot.text import plural


def _filters(f: Callable[..., object]) -> Callable[..., object]:
    f = click.option("--include-sim", is_flag=True,
                     help="Also sessions of simulated devices (`unknot sim`, `demo`).")(f)
    f = click.option("--device", "device_id",
                     help="Only this device (its id or any unique prefix of it).")(f)
    return f


def _hidden_note(with_sim: Callable[[], int], shown: int, device_id: str | None,
                 include_sim: bool) -> None:
    """Say on stderr when sessions of simulated devices were left out, and how to see them.
    `with_sim()` counts what the same command would show with --include-sim."""
    if include_sim or device_id is not None:
        return
    hidden = with_sim() - shown
    if hidden > 0:
        click.echo(f"({plural(hidden, 'session')} of simulated devices (`unknot sim`, `demo`) "
                   "not shown: add --include-sim)", err=True)


@click.command("history")
@click.option("--since", help="Only sessions since YYYY-MM-DD or a relative value like 7d.")
@_filters
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (UTC ISO-8601 times).")
def history(since: str | None, device_id: str | None, include_sim: bool, as_json: bool) -> None:
    """List synced sessions, oldest first. Times marked ~ are reconstructed (clock was unset)."""
    with HistoryStore.open(readonly=True) as store:
        sessions = store.sessions(since=parse_since(since), device_id=device_id,
                                  include_sim=include_sim)
        ids = store.known_ids()
        _hidden_note(lambda: len(store.sessions(parse_since(since), include_sim=True)),
                     len(sessions), device_id, include_sim)
    if as_json:
        click.echo(json.dumps([s.to_json() for s in sessions], indent=2))
        return
    from rich.console import Console

    from unknot.history.report import SESSIONS_LEGEND, sessions_table

    Console().print(sessions_table(sessions, ids))
    if sessions:
        click.echo(SESSIONS_LEGEND)


@click.command("stats")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Only the last N days.")
@_filters
@click.option("--png", "png", type=click.Path(dir_okay=False), help="Also write a chart (PNG).")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(days: int | None, device_id: str | None, include_sim: bool, png: str | None,
          as_json: bool) -> None:
    """Sessions per day and week, completion rate, streaks, active minutes."""
    with HistoryStore.open(readonly=True) as store:
        st = store.stats(days=days, device_id=device_id, include_sim=include_sim)
        _hidden_note(lambda: store.stats(days=days, include_sim=True).sessions, st.sessions,
                     device_id, include_sim)
    if png:
        write_png(st, Path(png))
    if as_json:
        click.echo(json.dumps(st.to_json(), indent=2))
        return
    from rich.console import Console

    from unknot.history.report import stats_report

    console = Console()
    for part in stats_report(st):
        console.print(part)
    if png:
        click.echo(f"Wrote {png}")


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), required=True, help="Output format."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option("--since", help="Only sessions since YYYY-MM-DD or a relative value like 7d.")
@_filters
def export(fmt: str, output: str | None, since: str | None, device_id: str | None,
           include_sim: bool) -> None:
    """Export sessions as CSV or JSON (UTC ISO-8601 times)."""
    with HistoryStore.open(readonly=True) as store:
        sessions = store.sessions(parse_since(since), device_id=device_id,
                                  include_sim=include_sim)
        _hidden_note(lambda: len(store.sessions(parse_since(since), include_sim=True)),
                     len(sessions), device_id, include_sim)
    text = sessions_text(sessions, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write(Path(output), lambda f: f.write(text.encode("utf-8")))
        click.echo(f"Wrote {plural(len(sessions), 'session')} to {output}", err=True)


@click.group("devices", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def devices(ctx: click.Context, as_json: bool) -> None:
    """Known devices: last sync, session count, sync cursor; `devices forget ID`."""
    if ctx.invoked_subcommand is not None:
        return
    with HistoryStore.open(readonly=True) as store:
        devs = store.devices()
    if as_json:
        click.echo(json.dumps([d.to_json() for d in devs], indent=2))
        return
    from rich.console import Console

    from unknot.history.report import devices_table

    Console().print(devices_table(devs))


@devices.command("forget")
@click.argument("device_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget(device_id: str, yes: bool) -> None:
    """Remove a device (ID or unique prefix) and all its sessions from the history."""
    with HistoryStore.open() as store:
        dev = store.resolve_device(device_id)
        n = len(store.sessions(device_id=dev))
        if not yes:
            click.confirm(f"Forget device {dev} and its {plural(n, 'session')}?", abort=True)
        removed = store.forget(dev)
    click.echo(f"Forgot device {dev}: {plural(removed, 'session')} removed.")
