"""`unknot pair`: the wearer's consent gives this computer a key the device accepts
(docs/security.md)."""

from __future__ import annotations

import click

from unknot.cli.options import sim_option


@click.command()
@click.option("--ble", "address", is_flag=False, flag_value="", default=None,
              metavar="[ADDRESS]", help="Over Bluetooth (default): the device in pairing mode.")
@sim_option("The simulated device: `unknot sim [--name NAME]` (press b there first), "
            "else an in-process one whose window this command opens as the wearer would.")
@click.option("--drive", is_flag=False, flag_value="", default=None, metavar="[PATH]",
              help="Over USB: put a fresh key on the board's CIRCUITPY drive (imported at "
              "its next boot).")
def pair(address: str | None, sim: bool, drive: str | None) -> None:
    """Pair this computer with the device: only the wearer can allow it.

    Over Bluetooth, hold the device's button 1 s while it is idle (before or within 30 s
    after running this): it buzzes (a swell,
    then two taps) and stays pairable for 60 s; it buzzes two swells when this computer is
    added. Over USB (--drive), plugging the board in is the consent.
    """
    from unknot.device.keys import HostKey, KeyStore

    if drive is not None:
        from unknot.device.circuitpy import resolve_drive
        from unknot.device.keys import write_key_file

        root = resolve_drive(drive or None)
        path = write_key_file(root, HostKey.new(), KeyStore())
        click.echo(f"Key written to {path}; the board takes it at its next start "
                   "(eject the drive and press reset).")
        return
    from unknot import radio
    from unknot.ble.pair import pair_device

    info = pair_device(address or None, radio=radio.pick(sim, open_window=True))
    click.echo(f"Paired with {info.name or info.address} ({info.device_id}): this computer can "
               "now sync and change settings.")
