"""The wearer as a pairing needs them (unknot.ble.pair): a person at a real board
(cli/pair.py ConsoleWearer), or a stand-in for a simulated one (unknot.sim.radio.SimWearer)."""

from __future__ import annotations

from typing import Protocol


class Wearer(Protocol):
    """The person holding the device, as a pairing needs them: they compare the numbers the
    device taps with this computer's, then press the device's button."""

    async def compare(self, sas: tuple[int, ...]) -> bool:
        """True when the numbers the wearer felt are `sas` (e.g. they typed them)."""
        ...

    async def press(self) -> None:
        """The wearer presses the device's button once (a person: told to)."""
        ...
