"""The simulated peripheral's advertising parts: a link controller that carries the scan
response, and the App loop's hook that keeps the advertisement's payload current
(unknot.sim.peripheral uses both)."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from bumble import ll
from bumble.controller import Controller


class _Radio(Protocol):
    """What AppHook drives (unknot.sim.peripheral.SimPeripheral)."""

    proto: Any  # the firmware's proto.Protocol while a central is connected, else None

    def poll_advert(self, now_ms: int) -> int | None: ...


class ScanResponseController(Controller):  # type: ignore[misc]
    """bumble's link controller answers an active scan with the advertising data again (it
    has no SCAN_REQ/SCAN_RSP exchange), so the scan response data, the device's name, rides
    along in each advertising PDU: a scanner sees the name as it would on the air (a passive
    one too, which the air would not give it)."""

    def send_advertising_pdu(self, packet: ll.AdvertisingPdu) -> None:
        if isinstance(packet, ll.AdvInd):  # legacy advertising commands
            extra = bytes(self.le_legacy_advertiser.scan_response_data)
            if extra:
                packet = ll.AdvInd(advertiser_address=packet.advertiser_address,
                                   data=bytes(packet.data) + extra)
        elif isinstance(packet, ll.AdvExtInd):  # legacy PDUs through an advertising set
            for adv_set in self.advertising_sets.values():
                sid = adv_set.parameters.advertising_sid if adv_set.parameters else 0
                if adv_set.enabled and adv_set.scan_response_data and sid == packet.sid \
                        and bytes(adv_set.data) == bytes(packet.data):
                    packet = dataclasses.replace(
                        packet, data=bytes(packet.data) + bytes(adv_set.scan_response_data))
                    break
        super().send_advertising_pdu(packet)


class AppHook:
    """What the board's BleLink is to the App loop (`app.protocol`): poll() drives the
    protocol and the advertisement's payload. (No `connected`: the simulated device's
    sleeper is not the board's, and it never light-sleeps on a connection's account.)"""

    def __init__(self, peripheral: _Radio) -> None:
        self.peripheral = peripheral

    def poll(self, now_ms: int) -> int | None:
        proto = self.peripheral.proto
        deadline: int | None = None if proto is None else proto.poll(now_ms)
        due = self.peripheral.poll_advert(now_ms)
        if due is not None and (deadline is None or due < deadline):
            deadline = due
        return deadline
