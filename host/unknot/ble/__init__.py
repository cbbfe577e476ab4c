"""BLE access to an Unknot device: the ONE place where real radio vs simulated device is
chosen (`open_device`); everything after it (Session, sync, upload) is the same code.

Heavy imports (bleak, bumble) happen inside the functions, so importing this is cheap.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from unknot.errors import DeviceBusy, DeviceError, DeviceNotFound

if TYPE_CHECKING:
    from unknot.ble.session import Session
    from unknot.device.keys import KeyStore
    from unknot.sim.radio import SimRadio


@contextlib.asynccontextmanager
async def open_device(
    address: str | None = None,
    *,
    sim: bool = False,
    name: str | None = None,
    pair: bool = True,
    timeout: float = 10.0,
    radio: SimRadio | None = None,
    authenticate: bool = True,
    open_window: bool = False,
    keys: KeyStore | None = None,
) -> AsyncIterator[Session]:
    """Find the device (by service UUID, and `name`/`address` if given), connect, pair on
    first use, authenticate with this computer's key (docs/protocol.md; `authenticate=False`
    for `unknot pair`), and yield a Session; always disconnects. `sim=True` serves the
    simulated device (state under <home>/sim/) on an in-process link, whose pairing window
    `open_window` opens as the wearer would; `radio` passes one explicitly; `keys`: this
    computer's key store (default: the one in the unknot home)."""
    from bleak import BleakClient, BleakScanner
    from bleak.exc import BleakError

    from unknot import core
    from unknot.ble.session import Session

    uuids = core.gatt
    scan_kw: dict[str, Any] = {}
    client_kw: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        if sim and radio is None:
            radio = await stack.enter_async_context(_sim_radio(open_window))
        if radio is not None:
            scan_kw = radio.scanner_kwargs()
            client_kw = radio.client_kwargs()
        want = uuids.SERVICE.lower()

        def match(dev: Any, adv: Any) -> bool:
            if address is not None and dev.address.upper() != address.upper():
                return False
            if want not in [u.lower() for u in adv.service_uuids]:
                return False
            return name is None or adv.local_name == name

        busy_s = None if radio is None else radio.busy_scan_s
        try:
            device = await BleakScanner.find_device_by_filter(
                match, timeout=min(timeout, busy_s or timeout), **scan_kw)
        except BleakError as exc:
            raise DeviceError(f"BLE scan failed: {exc}") from exc
        except OSError as exc:  # e.g. no BlueZ / D-Bus socket on Linux, radio switched off
            raise DeviceError(
                f"no Bluetooth adapter available ({exc.strerror or exc}); switch Bluetooth on, "
                "or use --sim for the simulated device"
            ) from exc
        if device is None and busy_s is not None:
            raise DeviceBusy()
        if device is None:
            what = name or address or "an Unknot device"
            raise DeviceNotFound(f"no device found: {what} is not advertising nearby")
        session: Session | None = None

        def lost(_client: Any) -> None:
            if session is not None:
                session.link_lost()

        client = BleakClient(device, lost, pair=pair, timeout=timeout, **client_kw)
        try:
            await client.connect()
        except (TimeoutError, BleakError, OSError) as exc:
            raise DeviceError(
                f"could not connect to {device.name or device.address}: {exc}"
            ) from exc
        try:
            session = Session(
                client, device.name or "", device.address, simulated=radio is not None
            )
            await session.start()
            if radio is not None:
                session.stand_in_wearer = radio.wearer
            if authenticate:
                await session.authenticate(keys)
            yield session
        finally:
            with contextlib.suppress(Exception):
                await client.disconnect()


@contextlib.asynccontextmanager
async def _sim_radio(open_window: bool = False) -> AsyncIterator[Any]:
    """The simulated device chosen by `--sim [NAME]`, persisted under <home>/sim/NAME/: the
    running `unknot sim --name NAME` (reached over HCI-on-TCP) when there is one (its wearer
    opens the pairing window: key `b`), else served in this process (`open_window`: opened
    here, as the wearer would). One command at a time holds it (`interproc.take_turn`:
    DeviceBusy)."""
    from unknot.sim import interproc
    from unknot.sim.radio import SimRadio
    from unknot.sim.server import ble_name

    name = interproc.selected()
    sim_dir = interproc.sim_dir(name)
    async with interproc.take_turn(sim_dir):
        running = interproc.running_link(sim_dir)
        if running is not None:
            remote = await interproc.RemoteRadio(running, keys_dir=sim_dir).start()
            try:
                yield remote
            finally:
                await remote.stop()
            return
        from unknot.sim.device import SimDevice

        from unknot.sim.radio import SimWearer

        device = SimDevice(sim_dir)
        if open_window:
            device.app.keyring.open()
        radio = await SimRadio(device.app, keys_dir=sim_dir, name=ble_name(name),
                               wearer=SimWearer.stepping(device)).start()
        try:
            yield radio
        finally:
            await radio.stop()

