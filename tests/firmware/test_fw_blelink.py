"""The board's BLE link (firmware hw/ble.py) over a CPython stand-in for CircuitPython's
`_bleio` (no `_bleio` runs on the host: the board model runs hw/ble.py on the 32-bit VM over
tools/board/cp/_bleio.py; these check the link's logic): control writes are taken from the
CONTROL characteristic's packet buffer, so two writes between two polls are two requests
(the old link compared values and lost one); INFO is in the attribute table from attach on;
the advertisement is the 31-byte legacy one with the advert payload rewritten in place."""

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


class UUID:
    def __init__(self, text: str) -> None:
        self.raw = bytes.fromhex(text.replace("-", ""))[::-1]  # little-endian (UUID.c)

    def pack_into(self, buf: bytearray, offset: int = 0) -> None:
        buf[offset : offset + 16] = self.raw


class Service:
    def __init__(self, uuid: UUID) -> None:
        self.uuid = uuid
        self.chars: list[Characteristic] = []


class Characteristic:
    READ, WRITE, NOTIFY = 0x02, 0x08, 0x10

    def __init__(self, uuid: UUID, properties: int, max_length: int) -> None:
        self.uuid, self.properties, self.max_length = uuid, properties, max_length
        self.history: list[bytes] = []

    @classmethod
    def add_to_service(cls, service: Service, uuid: UUID, *, properties: int, read_perm: int,
                       write_perm: int, max_length: int, fixed_length: bool) -> Characteristic:
        char = cls(uuid, properties, max_length)
        service.chars.append(char)
        return char

    @property
    def value(self) -> bytes:
        return self.history[-1] if self.history else b""

    @value.setter
    def value(self, data: Any) -> None:
        assert len(data) <= self.max_length, "_bleio: Value length > max_length"
        self.history.append(bytes(data))


class PacketBuffer:
    def __init__(self, char: Any, *, buffer_size: int, max_packet_size: int) -> None:
        self.char = char
        self.queue: deque[bytes] = deque(maxlen=buffer_size)

    def readinto(self, buf: bytearray) -> int:
        if not self.queue:
            return 0
        data = self.queue.popleft()
        buf[: len(data)] = data
        return len(data)


class Connection:
    def __init__(self, mtu: int = 247) -> None:
        self.connected = True
        self.max_packet_length = mtu - 3

    def disconnect(self) -> None:
        self.connected = False


class Adapter:
    def __init__(self) -> None:
        self.name = ""
        self.connections: tuple[Connection, ...] = ()
        self.advertised: list[tuple[bytes, bytes, float]] = []  # (data, scan, interval)
        self.advertising = False

    @property
    def connected(self) -> bool:
        return bool(self.connections)

    def start_advertising(self, data: Any, *, scan_response: Any, interval: float) -> None:
        assert not self.advertising, "start while advertising: _bleio raises"
        self.advertising = True
        self.advertised.append((bytes(data), bytes(scan_response), interval))

    def stop_advertising(self) -> None:
        self.advertising = False


@pytest.fixture
def ble(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    bleio = types.SimpleNamespace(
        UUID=UUID, Service=Service, Characteristic=Characteristic, PacketBuffer=PacketBuffer,
        Attribute=types.SimpleNamespace(NO_ACCESS=0x00, OPEN=0x11, ENCRYPT_NO_MITM=0x21),
        adapter=Adapter())
    monkeypatch.setitem(sys.modules, "_bleio", bleio)
    monkeypatch.setitem(sys.modules, "micropython", types.SimpleNamespace(const=lambda x: x))
    fwload.core()
    sys.modules.pop("unknot_fw.hw.ble", None)
    module = importlib.import_module("unknot_fw.hw.ble")
    # (on the host mods.drop keeps modules loaded: record what the link drops)
    dropped: list[str] = []
    monkeypatch.setattr(module.mods, "drop", lambda *names, collect=True: dropped.extend(names))
    module.dropped = dropped
    yield module
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


def _link(ble: Any, app: App) -> Any:
    return ble.BleLink(app, "Unknot-0102", adapter=Adapter())


def test_two_writes_between_polls_are_both_answered(ble: Any) -> None:
    proto = fwload.module("proto")
    link = _link(ble, App())
    link.radio.connections = (Connection(),)
    link.poll(0)
    link.packets.queue.append(bytes([proto.OP_UPLOAD_ABORT]))
    link.packets.queue.append(b"\x09")  # unknown opcode
    # handled in this pass, sent in the next, 1 ms later (two short loop steps: an answer's
    # sealing is a step of its own, docs/firmware.md "CPU budget")
    assert link.poll(10) == 11 and link.data.history == []
    link.poll(11)
    sent = link.data.history
    # both answered, in order (v2: neither is allowed before authentication)
    assert [f[:3] for f in sent] == [b"\x03\x06\x0b", b"\x03\x09\x0b"]
    assert link.control.value == sent[-1]  # a read returns the last response


def test_the_notification_size_is_the_connections(ble: Any) -> None:
    """The MTU comes from the connection (CONTROL's packet buffer only knows the
    characteristic's length): a READ's DATA frames fit an MTU-23 link."""
    link = _link(ble, App())
    link.radio.connections = (Connection(mtu=23),)
    link.poll(0)
    assert link.protocol.mtu == 23
    link.radio.connections = (Connection(mtu=185),)
    link.poll(10)
    assert link.protocol.mtu == 185


def test_info_is_served_from_attach_and_never_rewritten(ble: Any) -> None:
    """INFO is in the attribute table before any poll (a central reads it the moment it
    connects), and nothing private or changing is in it."""
    info = fwload.module("info")
    app = App()
    link = _link(ble, app)
    assert link.info.history == [info.value(app.device_id)]
    for t in range(5):
        link.poll(t)
    app.journal.append(1700000000, 1, 2, 2, 60, 1, 1)  # private: not in INFO
    app.keyring.open()  # v3: the pairing window is not in INFO (a squatter cannot poll it)
    link.radio.connections = (Connection(),)
    for t in range(6, 9):
        link.poll(t)
    assert link.info.history[0] == link.protocol.info()  # what AUTH_BEGIN's proof covers
    assert len(link.info.history) == 1
    assert link.info.history[-1][1] == 0  # flags


def test_advert_says_when_there_is_something_new(ble: Any) -> None:
    """The advertisement's payload (advert.py) changes when a session is journaled and on
    its rotation timer, and the link restarts advertising with it; a paired host that knows
    the secret and the head it synced tells "same" from "new" (docs/protocol.md)."""
    advert = fwload.module("advert")
    gatt = fwload.module("gatt")
    app = App()
    app.keyring.keep(b"hosthost", b"K" * 16)  # paired: the device secret keys the tag
    link = _link(ble, app)
    radio = link.radio
    link.poll(0)
    assert len(radio.advertised) == 1
    data, scan, _interval = radio.advertised[0]
    # legacy advertising data: flags (3) + 128-bit service UUID (18) + the payload (2 + 8)
    assert len(data) == 31 and data[:5] == bytes([2, 1, 6, 17, 6])
    assert data[5:21] == bytes.fromhex(gatt.SERVICE.replace("-", ""))[::-1]
    assert data[21:23] == bytes([1 + advert.PAYLOAD_SIZE, advert.AD_TYPE])
    assert scan == bytes([1 + len("Unknot-0102"), 0x09]) + b"Unknot-0102"
    payload = data[23:]
    secret = advert.secret_of(app)
    company, field, _tag = advert.unpack_from(advert.PAYLOAD, payload, 0)
    assert company == advert.COMPANY and field >> 12 == advert.VERSION
    assert advert.parse(payload[2:])[2] == advert.tag(secret, field & 0xFFF, app.journal.head)
    for t in range(1, 50):
        link.poll(t * 100)
    assert len(radio.advertised) == 1  # nothing changed: no restart
    head = app.journal.head
    app.journal.append(1700000000, 1, 2, 2, 60, 1, 1)  # a session ends
    link.poll(5000)
    assert len(radio.advertised) == 2 and radio.advertised[1][0] != data
    new = radio.advertised[1][0][23:]
    _c, field2, _t = advert.unpack_from(advert.PAYLOAD, new, 0)
    got = advert.parse(new[2:])[2]
    assert got != advert.tag(secret, field2 & 0xFFF, head)  # not "same" for the old head
    assert got == advert.tag(secret, field2 & 0xFFF, head + 1)  # one new record
    # the rotation: a fresh tag at least every ROTATE_MS, and the loop is told when
    deadline = link.poll(40000)  # slow advertising by now
    assert deadline is not None and deadline <= 5000 + advert.ROTATE_MS
    app.player = object()  # a routine plays: the rotation waits
    link.poll(5000 + advert.ROTATE_MS)
    assert radio.advertised[-1][0][23:] == new
    app.player = None
    link.poll(5000 + advert.ROTATE_MS + 10)
    assert radio.advertised[-1][0][23:] != new
    # three payloads (boot, the session, the rotation); one restart only slowed down
    assert len({d for d, _s, _i in radio.advertised}) == 3
    assert [i for _d, _s, i in radio.advertised] == [0.1, 0.1, 1.0, 1.0]


def test_the_protocol_lives_only_while_a_central_is_connected(ble: Any) -> None:
    """No Protocol before a central connects; one per connection; at the disconnection it is
    reset (STATUS following stops), CONTROL's value is cleared, writes still queued are
    discarded, and the modules only a connection uses are dropped."""
    proto = fwload.module("proto")
    app = App()
    link = _link(ble, app)
    ble.dropped.clear()  # (the journal's boot recovery drops its module)
    link.poll(0)
    assert link.protocol is None and not link.connected and ble.dropped == []
    link.radio.connections = (Connection(),)
    link.poll(10)
    first = link.protocol
    assert isinstance(first, proto.Protocol) and link.connected
    assert ble.dropped == ["auth"]  # proto took auth's constants: the connection never holds it
    ble.dropped.clear()
    link.packets.queue.append(b"\x09")
    link.poll(20)
    link.poll(21)  # the answer goes out in the next pass
    assert link.control.value[:3] == b"\x03\x09\x0b"
    app.following = True  # as after FOLLOW
    link.packets.queue.append(b"\x09")  # written, never polled: the central left
    link.radio.connections = ()
    link.poll(30)
    assert link.protocol is None and not app.following
    assert link.control.value == b"" and not link.packets.queue
    assert ble.dropped == list(ble.SESSION_MODULES)
    link.radio.connections = (Connection(),)
    link.poll(40)
    assert link.protocol is not None and link.protocol is not first
    assert link.data.history == [b"\x03\x09\x0b"]  # the dropped write was never answered


def test_a_decided_question_goes_when_the_connection_ends() -> None:
    """proto.reset (the connection ended) calls keyring.ended(): a decided question -- with
    a pairing, its attempt and that attempt's session, which keep pairing's and seal's code
    alive -- does not outlive the connection; one still waiting for the wearer does."""
    keyring_mod = fwload.module("keyring")
    app = App()
    keyring = app.keyring
    proto = fwload.module("proto").Protocol(app, None, None)
    assert keyring.ask(keyring_mod.FORGET, b"hosthost")
    proto.reset()
    assert keyring.waiting()  # the wearer may still press
    keyring.answer(False)
    assert keyring.state(keyring_mod.FORGET, b"hosthost") == keyring_mod.NO
    proto.reset()
    assert keyring.consent is None
