"""`unknot sim`: the simulated device, running the real firmware, in the terminal.

The runtime (engine, panel, keys, BLE and inter-process server) is `unknot.sim.server`.
"""

from __future__ import annotations

import click

from unknot.sim.interproc import DEFAULT_NAME


@click.command()
@click.option("--name", default=DEFAULT_NAME, show_default=True,
              help="Which simulated device (its state lives in <home>/sim/NAME).")
@click.option("--speed", type=click.FloatRange(min=0.1, max=10000), default=1.0,
              show_default=True, help="Device clock speed (x real time).")
@click.option("--headless", is_flag=True,
              help="No display: serve the device, print the port and each motor cue.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="TCP port for other processes (default: any free port).")
def sim(name: str, speed: float, headless: bool, port: int) -> None:
    """Run the simulated device (the real firmware) interactively in this terminal.

    \b
    Keys (the button): p or space = press, d = double press, l = long press (what the
    firmware does with it depends on its state: idle = open the pairing window, but the
    self-test in the first 10 s after boot; nudge = skip the break; playing = stop),
    b = the wearer's 1 s hold that opens the pairing window whatever the state (for
    `unknot pair --sim`), q = quit (settings are saved first).

    While it runs,
    `unknot sync --sim`, `unknot flash --sim` and `unknot device info --sim` in another
    terminal talk to it over the simulated BLE link. Its state persists between runs.
    """
    import asyncio

    from unknot.errors import UnknotError
    from unknot.sim import interproc
    from unknot.sim.server import ble_name, serve

    try:
        directory = interproc.sim_dir(name)
    except ValueError as exc:
        raise UnknotError(str(exc)) from None
    asyncio.run(serve(directory, ble_name(name), speed, headless, port))
