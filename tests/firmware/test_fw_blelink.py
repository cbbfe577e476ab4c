"""The board's BLE link (firmware hw/ble.py) over stand-ins for adafruit_ble and _bleio:
control writes are taken from the CONTROL characteristic's packet buffer, so two writes
between two polls are two requests (the old link compared values and lost one)."""

from __future__ import annotations

import importlib
import sys
import types
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from unknot import fwload
from unknot.sim.simnvm import new_nvm


class PacketBuffer:
    def __init__(self, char: Any, *, buffer_size: int, max_packet_size: int) -> None:
        self.char = char
        self.queue: deque[bytes] = deque(maxlen=buffer_size)
        self.max = max_packet_size
        self.outgoing_packet_length: int | None = 244

    def readinto(self, buf: bytearray) -> int:
        if not self.queue:
            return 0
        data = self.queue.popleft()
        buf[: len(data)] = data
        return len(data)


class Characteristic:
    READ, WRITE, NOTIFY = 0x02, 0x08, 0x10

    def __init__(self, **kw: Any) -> None:
        self.kw = kw

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Any:
        return obj.__dict__.get(self.name) if obj is not None else self

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value
        obj.history.setdefault(self.name, []).append(bytes(value))


class ComplexCharacteristic(Characteristic):
    def bind(self, service: Any) -> Any:
        return types.SimpleNamespace(value=b"")


class Service:
    def __init__(self) -> None:
        self.history: dict[str, list[bytes]] = {}
        for klass in type(self).__mro__:
            for name, attr in vars(klass).items():
                if isinstance(attr, ComplexCharacteristic):
                    self.__dict__[name] = attr.bind(self)


class Radio:
    def __init__(self) -> None:
        self.name = ""
        self.connections: list[Any] = []
        self.connected = False

        self.advertised: list[tuple[bytes, float]] = []  # (payload, interval) per start
        self.advertising = False

    def start_advertising(self, adv: Any, interval: float) -> None:
        assert not self.advertising, "start while advertising: _bleio raises"
        self.advertising = True
        self.advertised.append((bytes(adv.data_dict.get(0xFF, b"")), interval))

    def stop_advertising(self) -> None:
        self.advertising = False


@pytest.fixture
def ble(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fakes = {
        "_bleio": types.SimpleNamespace(PacketBuffer=PacketBuffer),
        "micropython": types.SimpleNamespace(const=lambda x: x),
        "adafruit_ble": types.SimpleNamespace(BLERadio=Radio),
        "adafruit_ble.advertising": types.SimpleNamespace(),
        "adafruit_ble.advertising.standard": types.SimpleNamespace(
            ProvideServicesAdvertisement=lambda service: types.SimpleNamespace(data_dict={})),
        "adafruit_ble.attributes": types.SimpleNamespace(
            Attribute=types.SimpleNamespace(NO_ACCESS=0, OPEN=1, ENCRYPT_NO_MITM=2)),
        "adafruit_ble.characteristics": types.SimpleNamespace(
            Characteristic=Characteristic, ComplexCharacteristic=ComplexCharacteristic),
        "adafruit_ble.services": types.SimpleNamespace(Service=Service),
        "adafruit_ble.uuid": types.SimpleNamespace(VendorUUID=str),
    }
    for name, mod in fakes.items():
        monkeypatch.setitem(sys.modules, name, mod)
    fwload.core()
    sys.modules.pop("unknot_fw.hw.ble", None)
    yield importlib.import_module("unknot_fw.hw.ble")
    sys.modules.pop("unknot_fw.hw.ble", None)  # built over the stand-ins: not for others


class Clock:
    def now_ms(self) -> int:
        return 5000

    def unix(self) -> None:
        return None


class App:
    def __init__(self) -> None:
        self.journal = fwload.module("journal").Journal(new_nvm())
        self.clock = Clock()
        self.device_id = b"\x01\x02"
        self.boot = 1
        self.storage = None
        self.keyring = fwload.module("keyring").Keyring(self.clock)
        self.announced: list[tuple[int, ...]] = []  # STATUS queue (proto reads it)
        self.player: object | None = None  # a routine playing (the advert's rotation waits)

    def busy(self) -> bool:
        """As App.busy: a routine plays (this stand-in plays no cue on its own)."""
        return self.player is not None


def test_two_writes_between_polls_are_both_answered(ble: Any) -> None:
    proto = fwload.module("proto")
    link = ble.BleLink(proto.Protocol(App()), "Unknot-0102", radio=Radio())
    conn = types.SimpleNamespace(connected=True)
    link.radio.connections = [conn]
    link.poll(0)
    packets = link.service.control.packets
    packets.queue.append(bytes([proto.OP_UPLOAD_ABORT]))
    packets.queue.append(b"\x09")  # unknown opcode
    link.poll(10)
    sent = link.service.history["data"]
    # both answered, in order (v2: neither is allowed before authentication)
    assert [f[:3] for f in sent] == [b"\x03\x06\x0b", b"\x03\x09\x0b"]
    assert link.service.control.char.value == sent[-1]  # a read returns the last response


def test_info_is_refreshed_only_when_it_changes(ble: Any) -> None:
    proto = fwload.module("proto")
    app = App()
    link = ble.BleLink(proto.Protocol(app), "Unknot-0102", radio=Radio())
    for t in range(5):
        link.poll(t)
    assert len(link.service.history["info"]) == 1
    app.journal.append(1700000000, 1, 2, 2, 60, 1, 1)  # private: not in INFO
    link.poll(6)
    assert len(link.service.history["info"]) == 1
    app.keyring.open()  # v3: the pairing window is not in INFO (a squatter cannot poll it)
    link.poll(7)
    assert len(link.service.history["info"]) == 1
    assert link.service.history["info"][-1][1] == 0  # flags


def test_advert_says_when_there_is_something_new(ble: Any) -> None:
    """The advertisement's payload (advert.py) changes when a session is journaled and on
    its rotation timer, and the link restarts advertising with it; a paired host that knows
    the secret and the head it synced tells "same" from "new" (docs/protocol.md)."""
    proto = fwload.module("proto")
    advert = fwload.module("advert")
    app = App()
    radio = Radio()
    link = ble.BleLink(proto.Protocol(app), "Unknot-0102", radio=radio)
    link.poll(0)
    assert len(radio.advertised) == 1
    payload, _interval = radio.advertised[0]
    secret = advert.secret_of(app)
    company, field, _tag = advert.unpack_from(advert.PAYLOAD, payload, 0)
    assert company == advert.COMPANY and field >> 12 == advert.VERSION
    assert advert.parse(payload[2:])[2] == advert.tag(secret, field & 0xFFF, app.journal.head)
    # legacy advertising data: flags (3) + 128-bit service UUID (18) + this AD (2 + 8) = 31
    assert 3 + 18 + 2 + len(payload) <= 31
    for t in range(1, 50):
        link.poll(t * 100)
    assert len(radio.advertised) == 1  # nothing changed: no restart
    head = app.journal.head
    app.journal.append(1700000000, 1, 2, 2, 60, 1, 1)  # a session ends
    link.poll(5000)
    assert len(radio.advertised) == 2 and radio.advertised[1][0] != payload
    new = radio.advertised[1][0]
    _c, field2, _t = advert.unpack_from(advert.PAYLOAD, new, 0)
    got = advert.parse(new[2:])[2]
    assert got != advert.tag(secret, field2 & 0xFFF, head)  # not "same" for the old head
    assert got == advert.tag(secret, field2 & 0xFFF, head + 1)  # one new record
    # the rotation: a fresh tag at least every ROTATE_MS, and the loop is told when
    deadline = link.poll(40000)  # slow advertising by now
    assert deadline is not None and deadline <= 5000 + advert.ROTATE_MS
    app.player = object()  # a routine plays: the rotation waits (a tag is ~0.6 s of CPU)
    link.poll(5000 + advert.ROTATE_MS)
    assert radio.advertised[-1][0] == new
    app.player = None
    link.poll(5000 + advert.ROTATE_MS + 10)
    assert radio.advertised[-1][0] != new
    # three payloads (boot, the session, the rotation); one restart only slowed down
    assert len({p for p, _ in radio.advertised}) == 3
    assert [i for _, i in radio.advertised] == [0.1, 0.1, 1.0, 1.0]
