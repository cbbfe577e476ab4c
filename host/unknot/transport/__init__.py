"""Getting things onto a board: one façade, three backends (USB drive, serial REPL, BLE).

    with open_transport(drive=None, port=None, ble=None, sim=False) as t:
        t.write_routines({"neck-stretches.unk": data}, progress)
        t.read_info()
        t.write_settings({"UNKNOT_MICRO_MIN": 45})

The backend is chosen here and only the chosen one is imported (the serial backend pulls in
mpremote/pyserial, the BLE one bleak/bumble). Connections are lazy and always closed: use the
transport as a context manager.
"""

from __future__ import annotations

from pathlib import Path

from unknot.errors import DeviceError
from unknot.transport.base import Transport


def open_transport(
    drive: str | Path | None = None,
    port: str | None = None,
    ble: str | bool | None = None,
    sim: bool = False,
) -> Transport:
    """The one place a backend is chosen. With nothing given, the USB drive is found
    automatically. ble=True means "the one Unknot device in range", a string an address."""
    chosen = [x for x in (drive is not None, port is not None, ble not in (None, False), sim) if x]
    if len(chosen) > 1:
        raise DeviceError("choose one of --drive, --port, --ble, --sim")
    if port is not None:
        from unknot.transport.serial import SerialBackend

        return SerialBackend(port)
    if sim or ble not in (None, False):
        from unknot.transport.ble import BleBackend

        return BleBackend(address=ble if isinstance(ble, str) else None, sim=sim)
    from unknot.device.circuitpy import resolve_drive
    from unknot.transport.drive import DriveBackend

    return DriveBackend(resolve_drive(drive))

