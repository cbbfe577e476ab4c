"""The simulated radio: bumble controllers on one link, and a paced link model.

`create_link()` is the one place that decides how the simulated device and the host's
central are wired together (today: an in-process `bumble.link.LocalLink`; a later
inter-process link can replace it here).
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from bumble import core, hci
from bumble.controller import Controller
from bumble.link import LocalLink

logging.getLogger("bumble").setLevel(logging.WARNING)

DEVICE_ADDRESS = "F0:4E:4B:4E:4F:01"  # the simulated Unknot board
HOST_ADDRESS = "F0:4E:4B:4E:4F:02"  # the host's simulated central

ATT_CID = 0x0004
ATT_NOTIFY = 0x1B


@dataclass
class LinkModel:
    """BLE link timing: one connection event per interval, at most `pdus_per_event` link-layer
    PDUs per direction per event, `ll_payload` bytes per LL PDU (251 with data length
    extension, 27 without), `phy_bps` on air, plus 10 bytes of LL overhead per PDU."""

    interval_s: float = 0.015
    pdus_per_event: int = 4
    ll_payload: int = 251
    phy_bps: float = 1_000_000.0


@dataclass
class LinkStats:
    pdus: int = 0
    bytes: int = 0  # L2CAP payload bytes (ATT PDUs), both directions
    notifications: int = 0
    notification_bytes: int = 0  # notification values only
    by_sender: dict[str, int] = field(default_factory=dict)


class PacedLink(LocalLink):  # type: ignore[misc]
    """A LocalLink that counts what crosses it and charges modelled air time per PDU.

    Delivery is immediate in real time (no sleeping); `now` is a virtual clock. A PDU sent
    while the virtual clock reads t goes out in the first connection event at or after t
    that still has room in the sender's direction; the receiver's reaction is stamped with the
    delivery time, so a request/response pair costs at least one connection interval.
    """

    def __init__(self, model: LinkModel | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.model = model or LinkModel()
        self.now = 0.0
        self.stats = LinkStats()
        self._slots: dict[str, tuple[int, int]] = {}  # sender -> (event index, pdus used)

    def reset_stats(self) -> None:
        self.stats = LinkStats()
        self._slots.clear()
        self.now = 0.0

    def _charge(self, sender: str, size: int) -> None:
        m = self.model
        pdus = max(1, math.ceil(size / m.ll_payload))
        event = math.ceil(self.now / m.interval_s - 1e-9)
        last_event, used = self._slots.get(sender, (-1, 0))
        if last_event > event:
            event, used = last_event, used
        elif last_event < event:
            used = 0
        done = event * m.interval_s
        for _ in range(pdus):
            if used >= m.pdus_per_event:
                event += 1
                used = 0
            used += 1
        air = (size + 10 * pdus) * 8 / m.phy_bps
        done = max(done, event * m.interval_s) + air
        self._slots[sender] = (event, used)
        self.now = max(self.now, done)
        st = self.stats
        st.pdus += pdus
        st.bytes += size
        st.by_sender[sender] = st.by_sender.get(sender, 0) + size

    def send_acl_data(
        self,
        sender_controller: Controller,
        destination_address: hci.Address,
        transport: core.PhysicalTransport,
        data: bytes,
    ) -> Any:
        if len(data) >= 5 and int.from_bytes(data[2:4], "little") == ATT_CID:
            if data[4] == ATT_NOTIFY:
                self.stats.notifications += 1
                self.stats.notification_bytes += len(data) - 7
        self._charge(str(sender_controller.name), len(data) - 4)
        return super().send_acl_data(sender_controller, destination_address, transport, data)


def create_link(paced: LinkModel | None = None) -> LocalLink:
    """The link between the simulated device and the host central (needs a running loop)."""
    asyncio.get_running_loop()
    return PacedLink(paced) if paced is not None else LocalLink()  # type: ignore[no-untyped-call]
