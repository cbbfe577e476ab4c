"""`unknot autostart enable|disable|status`: `unknot sync --watch` as a per-user service."""

from __future__ import annotations

import click

MANAGE_HELP = "Only write (or remove) the file; do not run systemctl/launchctl."


@click.group()
def autostart() -> None:
    """Sync in the background whenever the device is near: a systemd user unit on Linux, a
    launchd agent on macOS, running `unknot sync --watch` (with this --home, if given)."""


def _tell(out_todo: list[str], ran: list[list[str]]) -> None:
    import shlex

    for cmd in ran:
        click.echo(f"Ran: {shlex.join(cmd)}")
    if out_todo:
        click.echo("The service manager was not driven (systemctl --user / launchctl not "
                   "available here, or --write-only). To apply, run:")
        for line in out_todo:
            click.echo(f"  {line}")


@autostart.command()
@click.option("--print", "show", is_flag=True,
              help="Show the file and where it goes; write nothing.")
@click.option("--write-only", is_flag=True, help=MANAGE_HELP)
def enable(show: bool, write_only: bool) -> None:
    """Install and start the background sync service."""
    from unknot import autostart as lib

    backend = lib.service()
    if show:
        click.echo(f"# {backend.path()}")
        click.echo(backend.render(lib.watch_command()).decode(), nl=False)
        return
    out = lib.enable(backend, manage=not write_only)
    click.echo(f"Wrote {out.path} ({backend.kind}).")
    _tell(out.todo, out.ran)


@autostart.command()
@click.option("--write-only", is_flag=True, help=MANAGE_HELP)
def disable(write_only: bool) -> None:
    """Stop the background sync service and remove its file."""
    from unknot import autostart as lib

    backend = lib.service()
    out = lib.disable(backend, manage=not write_only)
    if not (out.ran or out.todo) and not out.path.exists():
        click.echo(f"Not installed ({out.path} does not exist).")
        return
    click.echo(f"Removed {out.path}.")
    _tell(out.todo, out.ran)


@autostart.command()
def status() -> None:
    """Say whether the service is installed, enabled and running."""
    from unknot import autostart as lib

    st = lib.status(lib.service())

    def word(value: bool | None, yes: str, no: str) -> str:
        return "unknown" if value is None else (yes if value else no)

    installed = "no"
    if st.installed:
        installed = "yes" if st.current else "yes (differs from what `enable` writes now)"
    click.echo(f"File:      {st.path}")
    click.echo(f"Installed: {installed}")
    click.echo(f"Enabled:   {word(st.enabled, 'yes', 'no')}")
    click.echo(f"Running:   {word(st.running, 'yes', 'no')}")
    if st.note:
        click.echo(f"({st.note})")
