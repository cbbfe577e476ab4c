"""BLE access to an Unknot device: find it, connect, pair, authenticate (`open_device`);
everything after it (Session, sync, upload) is the same code whatever radio carries it.

The radio is bleak's default backend unless a `Radio` is given (the simulated device's
bumble link: unknot.sim.radio). This package never imports the simulator: the one place that
picks the real or the simulated radio is unknot.radio, above both. Heavy imports (bleak,
bumble) happen inside the functions, so importing this is cheap.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from unknot.errors import DeviceBusy, DeviceError, DeviceNotFound

if TYPE_CHECKING:
    from unknot.ble.session import Session
    from unknot.ble.wearer import Wearer
    from unknot.device.keys import KeyStore


@runtime_checkable
class Radio(Protocol):
    """A radio other than bleak's default backend (unknot.sim.radio.SimRadio serves the
    simulated device in process; unknot.sim.interproc.RemoteRadio reaches a running `unknot
    sim`)."""

    # a scan that finds nothing for this long means a central holds the device (None: never)
    busy_scan_s: float | None

    @property
    def wearer(self) -> Wearer | None:
        """A stand-in for the person at the device (a simulated device served in this
        process: unknot.sim.radio.SimWearer), or None when a person is there."""
        ...

    def scanner_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for BleakScanner (its backend)."""
        ...

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for BleakClient (its backend)."""
        ...


# A radio, or a factory of one held for the whole connection (entered by open_device).
RadioSource = Radio | Callable[[], AbstractAsyncContextManager[Radio]]


@contextlib.asynccontextmanager
async def open_device(
    address: str | None = None,
    *,
    name: str | None = None,
    pair: bool = True,
    timeout: float = 10.0,
    radio: RadioSource | None = None,
    authenticate: bool = True,
    keys: KeyStore | None = None,
) -> AsyncIterator[Session]:
    """Find the device (by service UUID, and `name`/`address` if given), connect, pair on
    first use, authenticate with this computer's key (docs/protocol.md; `authenticate=False`
    for `unknot pair`), and yield a Session; always disconnects. `radio`: None for bleak's
    default backend, else a Radio or a factory of one (unknot.radio.pick); `keys`: this
    computer's key store (default: the one in the unknot home)."""
    from bleak import BleakClient
    from bleak.exc import BleakError

    from unknot.ble.session import Session

    async with contextlib.AsyncExitStack() as stack:
        if radio is not None and not isinstance(radio, Radio):
            radio = await stack.enter_async_context(radio())
        client_kw: dict[str, Any] = {} if radio is None else radio.client_kwargs()
        device = await _find(address, name, timeout, radio)
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


async def _find(address: str | None, name: str | None, timeout: float,
                radio: Radio | None) -> Any:
    """Scan for the device advertising the service (and `name` / `address` if given); the
    typed errors of open_device when it is not found."""
    from bleak import BleakScanner
    from bleak.exc import BleakError

    from unknot import core

    want = core.gatt.SERVICE.lower()

    def match(dev: Any, adv: Any) -> bool:
        if address is not None and dev.address.upper() != address.upper():
            return False
        if want not in [u.lower() for u in adv.service_uuids]:
            return False
        return name is None or adv.local_name == name

    scan_kw = {} if radio is None else radio.scanner_kwargs()
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
    return device
