"""Attacks over the bumble link (docs/security.md). The stranger is a plain bumble central
written from docs/protocol.md alone (UUIDs, op codes, frame layouts as printed there), not
the project's client; the wearer's laptop is the project's client after consent."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import Any

import pytest
from bleapp import App, FeelingWearer, consent, db_seqs, device_hex, record_writes, run
from bumble import pairing
from bumble.controller import Controller
from bumble.core import UUID
from bumble.device import Device, Peer
from bumble.hci import Address
from bumble.host import Host
from bumble.transport.common import AsyncPipeSink
from unknot.ble import open_device
from unknot.ble.pair import forget, pair
from unknot.ble.session import NotPaired
from unknot.ble.sync import sync
from unknot.device.keys import KeyStore
from unknot.errors import DeviceError
from unknot.history import HistoryStore
from unknot.sim.link import DEVICE_ADDRESS
from unknot.sim.radio import SimRadio

# From docs/protocol.md, restated on purpose: this is the stranger's own client.
SERVICE = "a1e70001-7a6b-4e2e-9c1d-756e6b6e6f74"
INFO = "a1e70002-7a6b-4e2e-9c1d-756e6b6e6f74"
CONTROL = "a1e70003-7a6b-4e2e-9c1d-756e6b6e6f74"
DATA = "a1e70004-7a6b-4e2e-9c1d-756e6b6e6f74"
AUTH_REQUIRED, AUTH_FAILED, NOT_PAIRABLE, PENDING, REFUSED = 11, 12, 13, 14, 15


class Stranger:
    """A bumble central in radio range: connects, pairs "just works", writes CONTROL."""

    def __init__(self, radio: Any, address: str = "F0:BA:D0:00:00:07") -> None:
        self.controller = Controller("stranger", link=radio.link, public_address=address)
        self.device = Device(name="stranger", address=Address(address),
                             host=Host(self.controller, AsyncPipeSink(self.controller)))
        self.frames: asyncio.Queue[bytes] = asyncio.Queue()

    async def connect(self) -> None:
        d = self.device
        d.pairing_config_factory = lambda _c: pairing.PairingConfig(
            sc=True, mitm=False, bonding=True,
            delegate=pairing.PairingDelegate(
                io_capability=pairing.PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT))
        await d.power_on()
        self.conn = await d.connect(DEVICE_ADDRESS)
        await self.conn.pair()  # just works: the board cannot refuse it
        self.peer = Peer(self.conn)
        await self.peer.request_mtu(247)  # as docs/protocol.md asks (answers up to 54 bytes)
        await self.peer.discover_services()
        await self.peer.discover_characteristics()
        (self.control,) = self.peer.get_characteristics_by_uuid(UUID(CONTROL))
        (self.info,) = self.peer.get_characteristics_by_uuid(UUID(INFO))
        (data,) = self.peer.get_characteristics_by_uuid(UUID(DATA))
        await self.peer.subscribe(data, lambda v: self.frames.put_nowait(bytes(v)))

    async def ask(self, request: bytes) -> list[bytes]:
        await self.peer.write_value(self.control, request, with_response=True)
        out = [await asyncio.wait_for(self.frames.get(), 5)]
        while not self.frames.empty():
            out.append(self.frames.get_nowait())
        return out

    async def disconnect(self) -> None:
        await self.conn.disconnect()


def _ops() -> list[bytes]:
    """One request of every op in docs/protocol.md, well formed."""
    return [
        struct.pack("<BIH", 0x01, 1, 0),  # READ
        struct.pack("<BI", 0x02, 4_102_444_800),  # SET_CLOCK to 2100
        struct.pack("<BII", 0x03, 10, 0),  # UPLOAD_BEGIN
        struct.pack("<BI", 0x04, 0) + b"junk",  # UPLOAD_CHUNK
        bytes([0x05]), bytes([0x06]),  # UPLOAD_COMMIT, UPLOAD_ABORT
        bytes([0x07, 9, 1]) + b"MICRO_MIN" + struct.pack("<i", 0),  # SET_SETTINGS
        bytes([0x13, 2]) + b"\xff" * 8, bytes([0x13, 0]), bytes([0x14]),  # HOSTS, STATE
    ]


def test_stranger_is_refused_for_every_op_and_changes_nothing(tmp_path: Path, home: Path) -> None:
    app = App(20)
    hk = consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        before = (bytes(app.journal.nvm[0 : len(app.journal.nvm)]), dict(app.storage.files),
                  app.clock.unix(), list(app.keyring.hosts))
        s = Stranger(radio)
        await s.connect()
        raw = await s.peer.read_value(s.info)
        assert raw[0] == 3 and len(raw) == 14  # INFO: public part only (no head, no clock)
        assert raw[1] == 0  # and no pairing flag to poll
        for req in _ops():
            frames = await s.ask(req)
            assert frames == [bytes([0x03, req[0], AUTH_REQUIRED])], (req, frames)
        # PAIR_BEGIN outside the wearer's window
        frames = await s.ask(bytes([0x12]) + bytes(32))
        assert frames == [bytes([0x03, 0x12, NOT_PAIRABLE])]
        # AUTH_BEGIN with a made-up blinded id, and with the wearer's host id in its place
        for blind in (b"attacker", hk.host_id):
            frames = await s.ask(bytes([0x10]) + bytes(16) + blind)
            assert frames == [bytes([3, 0x10, AUTH_FAILED])]
            frames = await s.ask(bytes([0x11]) + bytes(16))  # no challenge: refused
            assert frames == [bytes([0x03, 0x11, AUTH_FAILED])]
            frames = await s.ask(struct.pack("<BIH", 0x01, 1, 0) + bytes(8))
            assert frames == [bytes([0x03, 0x01, AUTH_REQUIRED])]
        await s.disconnect()
        after = (bytes(app.journal.nvm[0 : len(app.journal.nvm)]), dict(app.storage.files),
                 app.clock.unix(), list(app.keyring.hosts))
        assert after == before
        # the wearer's laptop still works
        with HistoryStore.open(tmp_path / "h.sqlite3") as store:
            async with open_device(radio=radio) as sess:
                assert (await sync(sess, store)).new == 20
        await radio.stop()

    run(go)


def test_replayed_frames_fail(tmp_path: Path, home: Path) -> None:
    """Frames recorded from the wearer's session, replayed in a new connection and in the
    same one, are refused."""
    app = App(10)
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        written, stop = record_writes(radio)  # what went over the air to the device
        async with open_device(radio=radio) as sess:
            with HistoryStore.open(tmp_path / "h.sqlite3") as store:
                await sync(sess, store)
            tagged = written[-1]  # the READ, tagged
            assert tagged[0] == 0x01
            # the same frame again in the same session: the counter has moved on
            await sess.client.write_gatt_char(CONTROL, tagged, response=True)
            await asyncio.sleep(0.05)
            proto = app_proto(radio)
            assert proto.last_response[:3] == bytes([3, 0x01, AUTH_FAILED])
            assert not proto.authenticated
        stop()
        written = list(written)  # the recording (the stranger's own writes are not in it)
        s = Stranger(radio)
        await s.connect()
        begin, prove = written[0], written[1]  # AUTH_BEGIN, AUTH of the wearer's laptop
        assert begin[0] == 0x10 and prove[0] == 0x11
        frames = await s.ask(begin)  # the device answers with a fresh nonce ...
        assert frames[0][:3] == bytes([3, 0x10, 0])
        assert await s.ask(prove) == [bytes([3, 0x11, AUTH_FAILED])]  # ... the old proof fails
        for frame in (w for w in written[2:] if w[0] not in (0x10, 0x11)):  # tagged ones
            assert (await s.ask(frame))[0][2] == AUTH_REQUIRED, frame.hex()
        await s.disconnect()
        await radio.stop()

    run(go)


def app_proto(radio: SimRadio) -> Any:
    return radio.peripheral.proto


def test_forgetting_hosts_needs_the_wearer_and_pairing_needs_the_window(
        tmp_path: Path, home: Path) -> None:
    app = App(3)
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        async with open_device(radio=radio) as sess:
            with pytest.raises(DeviceError, match="did not confirm"):
                task = asyncio.create_task(forget(sess, b"\xff" * 8))
                await asyncio.sleep(0.5)
                assert app.keyring.waiting()  # a forget over BLE waits for the press ...
                app.clock.t += 61_000  # ... and the wearer says nothing: refused
                app.keyring.poll(app.clock.now_ms())
                await task
            assert len(app.keyring.hosts) == 1
            task = asyncio.create_task(forget(sess, b"\xff" * 8))
            await asyncio.sleep(0.5)
            app.keyring.answer(True)  # the wearer's press
            await task
        assert app.keyring.hosts == [] and KeyStore().get(device_hex(app)) is None
        with pytest.raises(NotPaired):
            async with open_device(radio=radio):
                pass
        # the wearer opens the window: one pairing, with the wearer's comparison and press
        app.keyring.open()
        async with open_device(radio=radio, authenticate=False) as sess:
            await pair(sess, FeelingWearer(app))
        assert len(app.keyring.hosts) == 1 and not app.keyring.pairing()
        async with open_device(radio=radio, authenticate=False) as sess:
            with pytest.raises(DeviceError, match="pairing window is not open"):
                await pair(sess, FeelingWearer(app), KeyStore(tmp_path / "other"))
        await radio.stop()

    run(go)


def test_look_alike_device_cannot_move_the_cursor(tmp_path: Path, home: Path) -> None:
    """A device claiming the user's device id with a huge head: it cannot prove the key, the
    host refuses it before reading anything it says, and the cursor stays."""
    real = App(12)
    consent(real)
    fake = App(1)
    fake.device_id = real.device_id
    fake.journal.head = 1_000_000  # what it would claim

    async def go() -> None:
        with HistoryStore.open(tmp_path / "h.sqlite3") as store:
            radio = await SimRadio(real, keys_dir=tmp_path / "k").start()
            async with open_device(radio=radio) as sess:
                await sync(sess, store)
            await radio.stop()
            cursor = store.cursor(device_hex(real))
            # the look-alike knows the wearer's host id (not sent in v3) but not the key; and
            # one that knows nothing at all: both "not the device you paired with", never
            # "open the pairing window" (the phishing of issue 17)
            for hosts in ([KeyStore().get(device_hex(real)).host_id], []):
                fake.keyring.hosts = []
                for hid in hosts:
                    fake.keyring.keep(hid, bytes(16))
                radio = await SimRadio(fake, keys_dir=tmp_path / "k2").start()
                with pytest.raises(NotPaired) as no:
                    async with open_device(radio=radio) as sess:
                        await sync(sess, store)
                await radio.stop()
                assert "not the device this computer paired with" in str(no.value)
                assert "hold the button" not in str(no.value) and "window" not in str(no.value)
            assert store.cursor(device_hex(real)) == cursor and cursor.next_seq == 13
            real.journal.append(1_700_100_000, 1, 2, 2, 60, 1, 3)
            radio = await SimRadio(real, keys_dir=tmp_path / "k").start()
            async with open_device(radio=radio) as sess:
                assert (await sync(sess, store)).new == 1  # the real one's next session
            await radio.stop()

    run(go)


def test_journal_wipe_hides_no_session(tmp_path: Path, home: Path) -> None:
    """Same device id, a new journal (new epoch, seqs from 1 again): every new session is
    stored and the user is told in one line."""
    old = App(55)
    old.journal.epoch = 0x1111
    consent(old)

    async def go() -> None:
        with HistoryStore.open(tmp_path / "h.sqlite3") as store:
            radio = await SimRadio(old, keys_dir=tmp_path / "k").start()
            async with open_device(radio=radio) as sess:
                assert (await sync(sess, store)).new == 55
            await radio.stop()
            new = App(40)  # wiped: 40 sessions since, seq 1..40
            new.journal.epoch = 0x2222
            new.device_id = old.device_id
            new.keyring.hosts = list(old.keyring.hosts)
            radio = await SimRadio(new, keys_dir=tmp_path / "k").start()
            async with open_device(radio=radio) as sess:
                got = await sync(sess, store)
            assert got.new == 40 and got.notice is not None and "new journal" in got.notice
            assert len(db_seqs(store)) == 95
            # head backwards with the same epoch (a layout without epochs): detected too
            back = App(5)
            back.journal.epoch = 0x2222
            back.device_id = old.device_id
            back.keyring.hosts = list(old.keyring.hosts)
            await radio.stop()
            radio = await SimRadio(back, keys_dir=tmp_path / "k").start()
            async with open_device(radio=radio) as sess:
                got = await sync(sess, store)
            assert got.new == 5 and got.notice is not None and "backwards" in got.notice
            await radio.stop()

    run(go)
