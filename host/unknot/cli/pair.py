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

    Over Bluetooth: run this, then hold the device's button 1 s and let go while it is idle
    (it buzzes a swell, then two taps; this command keeps trying for 60 s). The device then
    taps three numbers (1 to 5 taps each): type them here. If they match, press the
    device's button once; it buzzes two swells when this computer is added. Over USB
    (--drive), plugging the board in is the consent. With --sim and no `unknot sim`
    running, a stand-in wearer opens the window, feels the numbers and presses.
    """
    from unknot.device.keys import HostKey, KeyStore

    if drive is not None:
        from unknot.device.circuitpy import resolve_drive
        from unknot.device.keys import write_key_file

        root = resolve_drive(drive or None)
        path = write_key_file(root, HostKey.new(), KeyStore())
        click.echo(f"Key written to {path} (it replaces any earlier one); the board takes it "
                   "once, at its next start (eject the drive and press reset).")
        return
    from unknot import radio
    from unknot.ble.pair import pair_device

    info = pair_device(ConsoleWearer(), address or None,
                       radio=radio.pick(sim, open_window=True), say=click.echo)
    click.echo(f"Paired with {info.name or info.address} ({info.device_id}): this computer can "
               "now sync and change settings.")


class ConsoleWearer:
    """The wearer at this terminal: types the numbers felt, then is told to press."""

    async def compare(self, sas: tuple[int, ...]) -> bool:
        from unknot.ble.auth import parse_sas

        click.echo("The device now taps three numbers (1 to 5 taps each).")
        for _ in range(3):  # typing again is safe: the comparison happens here only
            typed = parse_sas(click.prompt("Type the numbers you felt (e.g. 3 1 4)"))
            if len(typed) == len(sas):
                return typed == sas
            click.echo(f"Please type {len(sas)} numbers.")
        return False

    async def press(self) -> None:
        click.echo("They match. Now press the device's button once (a double press refuses).")
