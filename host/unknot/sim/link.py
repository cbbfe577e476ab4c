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
    """BLE link timing (documented in docs/protocol.md "Link model").

    One connection event every `interval_s`; in each event a sender transmits at most
    `pdus_per_event` link-layer data PDUs (each answered by the peer's empty PDU), each
    carrying up to `ll_payload` bytes of the L2CAP stream (251 with data length extension, 27
    without), on a PHY of `phy_bps`. A PDU on air costs `ll_overhead` bytes beyond its payload
    (preamble 1, access address 4, header 2, MIC 4, CRC 3); every PDU exchange adds the peer's
    empty PDU and two inter-frame spaces of `ifs_s`. A device reacts to a PDU in the next
    connection event at the earliest (host processing is slower than one inter-frame space).
    """

    interval_s: float = 0.015
    pdus_per_event: int = 4
    ll_payload: int = 251
    phy_bps: float = 1_000_000.0
    ll_overhead: int = 14
    ifs_s: float = 150e-6
    att_mtu: int = 247  # what the host central requests (bumble_backend.BumbleClient)

    def pdu_air_s(self, payload: int) -> float:
        return (payload + self.ll_overhead) * 8 / self.phy_bps

    def exchange_s(self, payload: int) -> float:
        """One data PDU, the peer's empty PDU, and two inter-frame spaces."""
        return self.pdu_air_s(payload) + self.pdu_air_s(0) + 2 * self.ifs_s

    def per_event(self) -> int:
        """PDUs per sender per event: the configured count, capped by what fits on air."""
        fit = int(self.interval_s // self.exchange_s(self.ll_payload))
        return max(1, min(self.pdus_per_event, fit))

    def describe(self) -> dict[str, float | int]:
        return {
            "att_mtu": self.att_mtu,
            "interval_ms": self.interval_s * 1000,
            "pdus_per_event": self.per_event(),
            "ll_payload": self.ll_payload,
            "phy_bps": int(self.phy_bps),
        }


@dataclass
class LinkStats:
    pdus: int = 0  # link-layer data PDUs (after fragmentation to ll_payload)
    bytes: int = 0  # L2CAP payload bytes (ATT/SMP PDUs with their headers), both directions
    notifications: int = 0
    notification_bytes: int = 0  # notification values only
    by_sender: dict[str, int] = field(default_factory=dict)  # L2CAP payload bytes per sender
    end_s: float = 0.0  # virtual time the last PDU was delivered


class PacedLink(LocalLink):  # type: ignore[misc]
    """A LocalLink that counts what crosses it and charges modelled air time per PDU.

    Delivery is immediate in real time (no sleeping); time is virtual. Each controller has a
    clock: the delivery time of the last PDU it received (its reactions happen "then"). A PDU
    is ready at its sender's clock, goes out in the first connection event after that (or
    later in the sender's current event if that is still open and has room: queued PDUs
    follow each other in one event, `pdus_per_event` at most), fragmented to `ll_payload`;
    it is delivered when its last fragment's exchange ends. Both directions are modelled
    independently (a slight overestimate when both send in the same event).
    """

    def __init__(self, model: LinkModel | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.model = model or LinkModel()
        self.reset_stats()

    @property
    def now(self) -> float:
        return self.stats.end_s

    def reset_stats(self) -> None:
        """Start a measurement: zero the counters and every clock."""
        self.stats = LinkStats()
        self._clock: dict[int, float] = {}  # controller id -> virtual time it last heard
        self._slot: dict[int, tuple[int, int, float]] = {}  # sender -> (event, used, end)

    def _charge(self, sender: Controller, size: int) -> float:
        """Charge an L2CAP PDU of `size` bytes (header included); return its delivery time."""
        m = self.model
        per_event = m.per_event()
        sid = id(sender)
        ready = self._clock.get(sid, 0.0)
        event = math.floor(ready / m.interval_s) + 1  # a reaction: the next event at best
        used, at = 0, 0.0
        last = self._slot.get(sid)
        if last is not None and last[0] >= event - 1 and (last[0] >= event or last[2] >= ready):
            # the sender still has PDUs queued in (or after) that event: follow them
            event, used, at = last
        left = size
        while True:
            if used >= per_event:
                event, used = event + 1, 0
            if used == 0:
                at = event * m.interval_s
            frag = min(left, m.ll_payload)
            at += m.exchange_s(frag)
            used += 1
            self.stats.pdus += 1
            left -= frag
            if left <= 0:
                break
        self._slot[sid] = (event, used, at)
        return at

    def send_acl_data(
        self,
        sender_controller: Controller,
        destination_address: hci.Address,
        transport: core.PhysicalTransport,
        data: bytes,
    ) -> Any:
        st = self.stats
        if len(data) >= 5 and int.from_bytes(data[2:4], "little") == ATT_CID:
            if data[4] == ATT_NOTIFY:
                st.notifications += 1
                st.notification_bytes += len(data) - 7
        size = len(data) - 4
        done = self._charge(sender_controller, len(data))
        st.bytes += size
        name = str(sender_controller.name)
        st.by_sender[name] = st.by_sender.get(name, 0) + size
        st.end_s = max(st.end_s, done)
        for c in self.controllers:
            if c is not sender_controller:
                self._clock[id(c)] = max(self._clock.get(id(c), 0.0), done)
        return super().send_acl_data(sender_controller, destination_address, transport, data)


def create_link(paced: LinkModel | None = None) -> LocalLink:
    """The link between the simulated device and the host central (needs a running loop)."""
    asyncio.get_running_loop()
    return PacedLink(paced) if paced is not None else LocalLink()  # type: ignore[no-untyped-call]
