"""The `unknot` command line. Each command group lives in its own module, imported only
when that command runs, so `unknot --help` stays instant (no bleak/bumble/rich at start-up)."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from unknot import __version__
from unknot.errors import UnknotError, describe_failure

# command name -> "module:attribute"; modules are imported lazily.
COMMANDS: dict[str, tuple[str, str]] = {
    "sync": ("unknot.cli.sync:sync", "Sync session history from the device over BLE."),
    "routines": ("unknot.cli.routines:routines", "Check, build, list and show routine files."),
    "preview": ("unknot.cli.preview:preview", "Play a routine in the terminal in real time."),
    "device": ("unknot.cli.device:device", "Install firmware, show info, change settings."),
    "flash": ("unknot.cli.flash:flash", "Compile routines and write them onto the device."),
    "history": ("unknot.cli.history:history", "List synced sessions (table or --json)."),
    "stats": ("unknot.cli.history:stats", "Sessions per day/week, completion, streaks, minutes."),
    "export": ("unknot.cli.history:export", "Export the session history as CSV or JSON."),
    "devices": ("unknot.cli.history:devices", "Known devices (sync cursor); `devices forget ID`."),
    "doctor": ("unknot.cli.doctor:doctor", "Check the history database; --repair fixes it."),
    "demo": ("unknot.cli.demo:demo", "Show the whole product on a simulated device (no board)."),
    "follow": ("unknot.cli.follow:follow", "Live view of what the device is doing (exercise, "
               "countdown, next break)."),
    "autostart": ("unknot.cli.autostart:autostart",
                  "Run `sync --watch` as a background service (systemd/launchd)."),
    "pair": ("unknot.cli.pair:pair", "Pair this computer with the device (the wearer consents)."),
    "sim": ("unknot.cli.sim:sim", "Run the simulated device interactively (keys = button)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        cmd = getattr(importlib.import_module(module_name), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table, so listing commands imports nothing.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnknotError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
            raise click.exceptions.Exit(130) from None
        except click.exceptions.ClickException:
            raise
        except Exception as exc:
            message = describe_failure(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="unknot")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="UNKNOT_HOME",
    help="Data directory (history database, user routines, simulated device). "
    "Default: the platform's user data directory.",
)
def cli(home: str | None) -> None:
    """Unknot: a wearable break reminder that guides stretch and breathing routines by touch."""
    from unknot import paths

    paths.set_home(home)


def main() -> None:
    try:
        cli.main(prog_name="unknot")
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)
        sys.exit(130)
