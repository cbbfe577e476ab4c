"""Pairing and the host list over BLE (docs/protocol.md "Pairing", "Hosts"): `unknot pair`,
`unknot device hosts`, `unknot device forget`.

A pairing is one attempt in the wearer's window: commitment, the device's key, reveal; the
wearer compares the numbers the device taps with this computer's (`Wearer.compare`) and
presses the device's button (`Wearer.press`); then this computer authenticates with the new
key and tells the device its name. `pair_device` keeps trying for PAIR_WAIT_S while the
window is not open, reconnecting when the device drops a central that has not
authenticated (10 s).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from unknot import core
from unknot.ble.auth import AuthError, DeviceState, HostPairing
from unknot.ble.session import DeviceInfo, LinkLost, NotPaired, Session
from unknot.ble.wearer import Wearer
from unknot.core import wire
from unknot.device.keys import HostKey, KeyStore
from unknot.errors import DeviceError

if TYPE_CHECKING:
    from unknot.ble import RadioSource

PAIR_WAIT_S = 60.0  # `unknot pair` keeps trying this long for the wearer's window
RETRY_S = 0.25  # between two tries while the window is not open (a try costs nothing)
WINDOW_CLOSED = "the pairing window is not open: hold the button 1 s"

Say = Callable[[str], None]


class NotPairable(DeviceError):
    """The device's pairing window is not open (PAIR_BEGIN answered NOT_PAIRABLE)."""


@dataclass(frozen=True)
class PairedHost:
    """One entry of the device's host list (OP_HOSTS LIST)."""

    host_id: bytes
    name: str
    paired: int | None  # unix s (None: the device's clock was not set)
    last_seen: int | None  # unix s since the device's last start (None: not since then)


async def pair(s: Session, wearer: Wearer, keys: KeyStore | None = None) -> DeviceState:
    """One pairing attempt on a connected session; NotPairable when the window is closed."""
    p = core.proto
    store = keys if keys is not None else KeyStore()
    public = s.public or await s.read_public()
    attempt = HostPairing()
    status, payload = await s.open_request(attempt.begin())
    if status == p.ST_NOT_PAIRABLE:
        raise NotPairable(WINDOW_CLOSED)
    if status == p.ST_BUSY:
        raise DeviceError("another computer is pairing with the device in this window: if it is "
                          "not yours, someone nearby is trying to pair; do not press the button")
    if status != p.ST_OK:
        raise DeviceError(f"the device refused to pair (status {status})")
    status, _ = await s.open_request(attempt.reveal(payload), timeout=30.0)
    if status != p.ST_OK:
        raise AuthError("the device refused the pairing (the commitment did not hold)")
    if not await wearer.compare(attempt.sas):
        await s.open_request(attempt.check(abort=True))
        raise AuthError("the numbers you felt are not the ones this computer computed: someone "
                        "may be relaying the connection; nothing was paired (the device now "
                        "refuses pairing for a minute)")
    await wearer.press()
    await _await_press(s, attempt)
    store.save(public.device_id, HostKey(attempt.host_id, attempt.key))
    state = await s.authenticate(store)
    await name_self(s, socket.gethostname().split(".")[0] or "computer")
    return state


async def _await_press(s: Session, attempt: HostPairing) -> None:
    p = core.proto
    while True:
        frame = await s.open_answer(attempt.check())
        status = attempt.check_answer(frame)
        if status == p.ST_OK:
            return
        if status == p.ST_PENDING:
            await asyncio.sleep(0.3)
            continue
        if status == p.ST_REFUSED:
            raise AuthError("the wearer did not confirm on the device: nothing was paired")
        raise AuthError(f"the device ended the pairing (status {frame[2]})")


async def hosts(s: Session) -> list[PairedHost]:
    """The device's paired hosts (OP_HOSTS LIST)."""
    p = core.proto
    _, payload = await s.request(bytes([p.OP_HOSTS, p.HOSTS_LIST]))
    size = wire.size(p.HOSTS_ENTRY)
    out = []
    for i in range(payload[0] if payload else 0):
        hid, name, paired, seen = wire.unpack(p.HOSTS_ENTRY, payload, 1 + i * size)
        out.append(PairedHost(hid, name.rstrip(b"\0").decode("utf-8", "replace"),
                              paired or None, seen or None))
    return out


async def name_self(s: Session, name: str) -> None:
    p = core.proto
    raw = name.encode()[: core.auth.NAME_SIZE]
    await s.request(wire.pack(p.REQ_HOSTS, p.OP_HOSTS, p.HOSTS_NAME, raw))


async def forget(s: Session, host_id: bytes, wearer: Wearer | None = None,
                 keys: KeyStore | None = None) -> None:
    """Ask the device to forget one host (or every one: keyring.EVERY_HOST); the wearer
    confirms on the device (`wearer`: a stand-in that presses). A refusal: DeviceError."""
    p = core.proto
    await s.request(wire.pack(p.REQ_HOSTS, p.OP_HOSTS, p.HOSTS_FORGET, host_id),
                    ok=(p.ST_PENDING,))
    if wearer is not None:
        await wearer.press()
    auth = s.auth
    itself = auth is not None and host_id in (auth.host_id, core.keyring.EVERY_HOST)
    check = wire.pack(p.REQ_HOSTS, p.OP_HOSTS, p.HOSTS_CHECK, host_id)
    while True:
        await asyncio.sleep(0.3)
        try:
            status, _ = await s.request(check, ok=(p.ST_OK, p.ST_PENDING, p.ST_REFUSED))
        except NotPaired:
            if itself:  # our own key is gone: the device ended this session at once
                break
            raise
        if status == p.ST_OK:
            break
        if status == p.ST_REFUSED:
            raise DeviceError("the wearer did not confirm on the device: nothing was forgotten")
    if itself and s.public is not None:
        (keys if keys is not None else KeyStore()).forget(s.public.device_id)
        s.auth = None


# -- the commands' entry points ---------------------------------------------------------------


def pair_device(wearer: Wearer | None, address: str | None = None, *,
                radio: RadioSource | None = None, say: Say = print,
                wait_s: float = PAIR_WAIT_S) -> DeviceInfo:
    """Pair once the wearer opens the window (trying for `wait_s`); a simulated device served
    in this process brings its own stand-in wearer, which is used instead of `wearer`."""
    return asyncio.run(pair_async(wearer, address, radio=radio, say=say, wait_s=wait_s))


async def pair_async(wearer: Wearer | None, address: str | None = None, *,
                     radio: RadioSource | None = None, say: Say = print,
                     wait_s: float = PAIR_WAIT_S) -> DeviceInfo:
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            return await _pair_connected(wearer, address, radio, deadline)
        except (LinkLost, NotPairable) as exc:
            if time.monotonic() >= deadline:
                raise DeviceError(WINDOW_CLOSED) from exc
            if isinstance(exc, NotPairable) and not told:
                say("Waiting for the pairing window: hold the device's button 1 s and let go "
                    "(it buzzes three times).")
                told = True
        await asyncio.sleep(RETRY_S)


async def _pair_connected(wearer: Wearer | None, address: str | None,
                          radio: RadioSource | None, deadline: float) -> DeviceInfo:
    """Connect, and try to pair until the window opens or the device drops us (LinkLost)."""
    from unknot.ble import open_device

    async with open_device(address, radio=radio, authenticate=False) as s:
        who = s.stand_in_wearer or wearer  # a simulated device served here: its stand-in
        if who is None:
            raise DeviceError("no wearer to compare the numbers")
        while True:
            try:
                await pair(s, who)
                return await s.read_info()
            except NotPairable:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(RETRY_S)


def pick_host(found: list[PairedHost], key: str) -> PairedHost:
    """The one entry whose name is `key`, or whose id (hex, as `unknot device hosts` shows
    it) starts with `key`; DeviceError when none or several match (names are free text of
    up to 8 bytes: two computers may share one)."""
    by_name = [h for h in found if h.name == key]
    by_id = [h for h in found if len(key) >= 4 and h.host_id.hex().startswith(key.lower())]
    match = by_name or by_id
    if len(match) == 1:
        return match[0]
    if not match:
        raise DeviceError(f"the device has no paired computer called {key!r} "
                          "(see `unknot device hosts`)")
    ids = ", ".join(h.host_id.hex()[:8] for h in match)
    raise DeviceError(f"{len(match)} paired computers match {key!r} ({ids}): "
                      "give the id of the one to forget")


def list_hosts(address: str | None = None, *, radio: RadioSource | None = None
               ) -> tuple[DeviceInfo, list[PairedHost], bytes]:
    """(device, its paired hosts, this computer's host id)."""
    from unknot.ble import open_device

    async def go() -> tuple[DeviceInfo, list[PairedHost], bytes]:
        async with open_device(address, radio=radio) as s:
            info = await s.read_info()
            own = s.auth.host_id if s.auth is not None else b""
            return info, await hosts(s), own

    return asyncio.run(go())


def forget_host(name: str | None, address: str | None = None, *,
                radio: RadioSource | None = None, say: Say = print) -> DeviceInfo:
    """Make the device forget the host called `name` (None: every host, this one too); the
    wearer confirms with a press on the device."""
    from unknot.ble import open_device

    async def go() -> DeviceInfo:
        async with open_device(address, radio=radio) as s:
            info = await s.read_info()
            target = core.keyring.EVERY_HOST
            if name is not None:
                target = pick_host(await hosts(s), name).host_id
            if s.stand_in_wearer is None:
                say("Press the device's button once to confirm (a double press refuses).")
            await forget(s, target, s.stand_in_wearer)
            return info

    return asyncio.run(go())
