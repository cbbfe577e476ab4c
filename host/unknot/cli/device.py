"""`unknot device install | info | config | selftest`: set up a board and look at it."""

from __future__ import annotations

import click

from unknot.cli.options import (
    SimArgsCommand,
    ble_arg,
    progress_bar,
    sim_option,
    transport_options,
)
from unknot.errors import UnknotError
from unknot.text import plural


@click.group()
def device() -> None:
    """Set up the board (install), look at it (info), change its settings (config)."""


@device.command()
@click.option("--drive", type=click.Path(file_okay=False), metavar="PATH",
              help="The board's CIRCUITPY drive (found automatically if omitted).")
@click.option("--py", "py", is_flag=True,
              help="Copy plain .py files instead of precompiled .mpy (fallback: needs far "
                   "more RAM on the board at import, see docs/firmware.md \"Heap\").")
@click.option("--lines", is_flag=True,
              help="Keep line numbers in the .mpy files' tracebacks (about 8 % more code on "
                   "the board's heap; by default a traceback names the function, line 1).")
def install(drive: str | None, py: bool, lines: bool) -> None:
    """Copy the firmware and the libraries it needs onto the board's CIRCUITPY drive,
    precompiled (.mpy) for the board's CircuitPython version.

    Works offline: the libraries come from this computer's installed Python packages. Your
    settings.toml on the board is kept. Files already up to date are skipped.
    """
    from unknot import paths
    from unknot.device.circuitpy import resolve_drive
    from unknot.device.install import install as run

    root = resolve_drive(drive)
    with progress_bar() as progress:
        result = run(root, paths.firmware_dir(), progress, py=py, lines=lines)
    s = result.summary
    click.echo(f"Board: {result.board}, CircuitPython {result.circuitpython} ({root})")
    if not result.mpy:
        click.echo("Files: plain .py (--py); the default .mpy needs less RAM on the board")
    elif lines:
        click.echo("Files: .mpy with line numbers (--lines)")
    libs = ", ".join(sorted(result.plan.distributions.values())) or "none"
    click.echo(f"Libraries: {libs}")
    if result.settings_kept:
        click.echo("settings.toml: kept yours")
    click.echo(f"Installed: {s.line()}.")
    from unknot.device.keys import HostKey, KeyStore, write_key_file

    write_key_file(root, HostKey.new(), KeyStore())  # USB consent (docs/security.md)
    click.echo("Paired: this computer's key is on the board (taken at its next start).")
    click.echo("Next: `unknot flash` to put the routines on it.")


@device.command()
@transport_options
def info(drive: str | None, port: str | None, ble: str | None, sim: bool) -> None:
    """Firmware version, routines on the device, journal, clock, battery."""
    from unknot.transport import open_transport

    with open_transport(drive=drive, port=port, ble=ble_arg(ble), sim=sim) as t:
        i = t.read_info()
    routines = (f"{len(i.routines)}" + "".join(f"\n  {n} ({size} bytes)" for n, size in i.routines)
                if i.routines or i.routine_count is None else str(i.routine_count))
    rows = [
        ("Device", i.transport),
        *((("Device id", i.device_id),) if i.device_id else ()),
        ("Board", i.board or "unknown"),
        ("CircuitPython", i.circuitpython or "unknown"),
        ("Firmware", i.firmware_version or "not installed (run `unknot device install`)"),
        *((k, v) for k, v in i.extra.items()),
        ("Routines", routines),
        ("Journal", i.journal),
        ("Clock", i.clock or "unknown"),
        ("Battery", i.battery or "unknown"),
    ]
    for k, v in rows:
        click.echo(f"{k + ':':<15}{v}")


@device.command(cls=SimArgsCommand)
@transport_options
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
def config(assignments: tuple[str, ...], drive: str | None, port: str | None, ble: str | None,
           sim: bool) -> None:
    """Change reminder settings on the device (keys of the firmware's settings.toml).

    Example: unknot device config UNKNOT_MICRO_MIN=45
    """
    from unknot.device import settings
    from unknot.transport import open_transport

    values = settings.parse_assignments(list(assignments))
    if not values:
        raise UnknotError("nothing to set")
    with open_transport(drive=drive, port=port, ble=ble_arg(ble), sim=sim) as t:
        t.write_settings(values)
        where, at_once = t.description, t.settings_apply_at_once
    for k, v in values.items():
        click.echo(f"{k} = {v!r}")
    if at_once:
        click.echo(f"Saved on {where}; applied at once.")
    else:
        click.echo(f"Saved in settings.toml on {where}; the board applies it when it restarts.")


@device.command()
@click.option("--ble", "address", is_flag=False, flag_value="", default=None,
              metavar="[ADDRESS]", help="Over Bluetooth (default).")
@sim_option()
def hosts(address: str | None, sim: bool) -> None:
    """List the computers paired with the device: name, id, when paired, last seen."""
    from unknot import radio
    from unknot.ble.pair import list_hosts

    info, found, own = list_hosts(address or None, radio=radio.pick(sim))
    click.echo(f"{info.name or info.device_id}: {plural(len(found), 'paired computer')}")
    for h in found:
        me = "  (this computer)" if h.host_id == own else ""
        click.echo(f"  {h.name or '?':<10} {h.host_id.hex()[:8]}  paired {_when(h.paired)}, "
                   f"last seen {_when(h.last_seen, 'not since the device started')}{me}")


def _when(unix: int | None, none: str = "(clock not set)") -> str:
    import datetime as dt

    if unix is None:
        return none
    return dt.datetime.fromtimestamp(unix).strftime("%Y-%m-%d %H:%M")


@device.command()
@click.option("--host", "host", metavar="NAME|ID", default=None,
              help="Forget only this computer: its name or id from `unknot device hosts`.")
@click.option("--ble", "address", is_flag=False, flag_value="", default=None,
              metavar="[ADDRESS]", help="Over Bluetooth (default).")
@sim_option()
def forget(host: str | None, address: str | None, sim: bool) -> None:
    """Make the device forget one paired computer (--host NAME) or every one (this one too).
    The wearer confirms with a press on the device; its sessions end at once.

    On the device itself: hold the button 10 s while idle (two long fades) forgets all.
    """
    from unknot import radio
    from unknot.ble.pair import forget_host

    info = forget_host(host, address or None, radio=radio.pick(sim), say=click.echo)
    what = f"forgot {host}" if host is not None else "forgot every paired computer"
    click.echo(f"{info.name or info.device_id} {what}; pair again with `unknot pair`.")


@device.command()
@sim_option()
@click.option("--ble", "ble", is_flag=False, flag_value="", default=None, metavar="[ADDRESS]",
              help="Over Bluetooth; without ADDRESS, the one Unknot device in range.")
@click.option("--port", metavar="DEV", help="Over USB serial (e.g. /dev/ttyACM0, COM3).")
def selftest(port: str | None, ble: str | None, sim: bool) -> None:
    """Board bring-up self-test: every cue, motor driver, button, nvm, battery, light sleep
    and wake, BLE advertising. Prints one line per check; exits non-zero on a FAIL.

    Stay with the board: it asks for a button press, then for a press that wakes it from
    light sleep (15 s each). See docs/getting-started.md, "First board". With --sim and
    `unknot sim` running, the running device runs it (press its keys when asked); else a
    simulated bench runs it on the device's saved state.
    """
    from unknot import selftest as st

    if [port is not None, ble is not None, sim].count(True) != 1:
        raise UnknotError("choose one of --port, --ble, --sim")
    if sim:
        from unknot.sim import interproc

        if interproc.running_link(interproc.sim_dir()) is not None:
            # never a second copy of a running device's state: ask it over its link
            click.echo("Using the running `unknot sim`: press its keys when asked.")
            from unknot import radio

            report = st.run_ble(None, click.echo, radio=radio.pick(True))
        else:
            report = st.run_sim(interproc.sim_dir(), click.echo)
    elif port is not None:
        report = st.run_serial(port, click.echo)
    else:
        report = st.run_ble(ble or None, click.echo)
    click.echo("")
    click.echo("Self-test report:")
    for line in report.lines():
        click.echo("  " + line)
    st.verdict(report)
