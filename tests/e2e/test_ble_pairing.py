"""The attacks of issue 17 against protocol v3 pairing, over the bumble link (docs/security.md
"Attacks tried"). The attacker is a plain bumble central (test_ble_attack.Stranger) speaking
docs/protocol.md; where it needs the pairing arithmetic it uses the documented recipe
(commitment, X25519, the digest) through the firmware's own functions. The wearer's laptop is
the project's client; the wearer is bleapp.FeelingWearer (feels the device's numbers).

Each test failed on protocol v2 (key transport in PAIR, INFO's pairing flag, STATE in the
AUTH_BEGIN answer, CRC-only records, CONTROL keeping the last answer, a USB key file imported
at every boot, sessions surviving a forget)."""

from __future__ import annotations

import asyncio
import random
import struct
from pathlib import Path
from typing import Any

import pytest
from bleapp import App, FeelingWearer, consent, db_seqs, device_hex, record_writes, run
from test_ble_attack import Stranger
from unknot import core
from unknot.ble import open_device
from unknot.ble.auth import AuthError, HostAuth
from unknot.ble.pair import PAIR_WAIT_S, pair, pair_async
from unknot.ble.session import NotPaired
from unknot.ble.sync import sync
from unknot.device.keys import HostKey, KeyStore, write_key_file
from unknot.errors import DeviceError, SyncError
from unknot.history import HistoryStore
from unknot.sim.device import SimDevice
from unknot.sim.radio import SimRadio

OK, BUSY, AUTH_REQUIRED, AUTH_FAILED, NOT_PAIRABLE, PENDING = 0, 4, 11, 12, 13, 14


class Attacker(Stranger):
    """A stranger that also runs the pairing recipe of docs/protocol.md with its own keys."""

    async def pair_begin(self) -> bytes:
        p = core.pairing
        self.secret, self.public = p.keypair()
        self.nonce = bytes(range(16))
        frames = await self.ask(bytes([0x12]) + p.commitment(self.public, self.nonce))
        return frames[0]

    async def reveal(self, answer: bytes) -> tuple[int, ...]:
        """PAIR_REVEAL after a PAIR_BEGIN OK; the attacker's own SAS with the device."""
        p = core.pairing
        dev_pub, dev_nonce = answer[3:35], answer[35:51]
        frames = await self.ask(bytes([0x15]) + self.public + self.nonce)
        assert frames == [bytes([3, 0x15, OK])]
        shared = p.x25519(self.secret, dev_pub)
        self.key, _hid, sas = p.pair_digest(shared, self.public, dev_pub, self.nonce, dev_nonce)
        self.session = core.seal.Session(self.key, self.nonce, dev_nonce)
        return sas

    async def check(self) -> int:
        a = core.auth
        frame = (await self.ask(self.session.seal(a.REQUEST_LABEL, 0, 0, bytes([0x16, 0]), 1)))[0]
        body = self.session.open(a.ANSWER_LABEL, 0, 0, frame, 3)
        return frame[2] if body is None else body[2]


def _expire(app: Any, ms: int = 61_000) -> None:
    """Device time passes (the JournalApp has no loop: its keyring is polled here)."""
    app.clock.t += ms
    app.keyring.poll(app.clock.now_ms())


def test_relay_gets_one_guess_and_no_key(tmp_path: Path, home: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Relay: a look-alike pairs with the laptop while pairing with the board itself. The
    board taps ITS numbers (from the attacker's exchange); the laptop shows different ones
    (from its exchange with the look-alike): the wearer's comparison fails, the laptop keeps
    nothing, the board never gets the press, and neither side's key reaches the attacker."""
    real, fake = App(12), App(1)
    fake.device_id = real.device_id  # the look-alike claims the wearer's device

    async def go() -> None:
        real_radio = await SimRadio(real, keys_dir=tmp_path / "r").start()
        fake_radio = await SimRadio(fake, keys_dir=tmp_path / "f").start()
        attacker = Attacker(real_radio)
        await attacker.connect()
        real.keyring.open()  # the wearer's 1 s hold on the real board
        fake.keyring.open()  # (the look-alike accepts anyone)
        answer = await attacker.pair_begin()
        assert answer[:3] == bytes([3, 0x12, OK])
        attacker_sas = await attacker.reveal(answer)  # the board now taps these
        wearer = FeelingWearer(real)  # the wearer feels the REAL board
        async with open_device(radio=fake_radio, authenticate=False) as sess:
            with pytest.raises(AuthError, match="numbers you felt"):
                await pair(sess, wearer)
        assert wearer.felt == attacker_sas  # what the board tapped
        assert KeyStore().get(device_hex(real)) is None  # the laptop kept nothing
        assert await attacker.check() == PENDING  # no press: the board keeps waiting ...
        _expire(real)
        assert await attacker.check() == 15  # ... then REFUSED: no key, and a lockout
        assert real.keyring.hosts == [] and not real.keyring.open()
        for op in (struct.pack("<BIH", 1, 1, 0), bytes([0x14])):
            assert (await attacker.ask(op + bytes(8)))[0][2] == AUTH_REQUIRED
        await attacker.disconnect()
        await real_radio.stop()
        await fake_radio.stop()

    run(go)


def test_a_relay_wins_at_most_one_in_125() -> None:
    """Commit before reveal: a relay fixes everything it sends (its keys and nonces, even
    the shared secrets, at its best) before the honest side's fresh nonce is known, so the
    two exchanges' SAS values match only by chance: 1/125. The honest nonces alone vary
    here; a digest that ignored them would give a 0 or 100 % match rate."""
    rng = random.Random(17)
    p = core.pairing
    shared_d, shared_h = rng.randbytes(32), rng.randbytes(32)  # known to the relay: worst case
    relay_pub_d, relay_pub_h = rng.randbytes(32), rng.randbytes(32)
    relay_nonce_d, relay_nonce_h = rng.randbytes(16), rng.randbytes(16)
    device_pub, host_pub = rng.randbytes(32), rng.randbytes(32)
    trials, hits = 20_000, 0
    for _ in range(trials):
        on_device = p.pair_digest(shared_d, relay_pub_d, device_pub, relay_nonce_d,
                                  rng.randbytes(16))[2]  # the device's fresh nonce
        on_laptop = p.pair_digest(shared_h, host_pub, relay_pub_h, rng.randbytes(16),
                                  relay_nonce_h)[2]  # the laptop's fresh nonce
        hits += on_device == on_laptop
    assert core.auth.SAS_BASE ** core.auth.SAS_DIGITS == 125
    assert 0.004 < hits / trials < 0.012  # 1/125 = 0.008
    # and the commitment binds: another public key or nonce does not open it
    pub, nonce = rng.randbytes(32), rng.randbytes(16)
    c = p.commitment(pub, nonce)
    assert p.commitment(pub, bytes(16)) != c and p.commitment(bytes(32), nonce) != c


def test_squatter_gets_the_attempt_but_never_a_key(tmp_path: Path, home: Path) -> None:
    """Squatter: polls INFO and hammers PAIR_BEGIN; when the wearer opens the window it wins
    the race for the attempt, but INFO never said the window was open, the laptop is told
    someone else is pairing, and without the wearer's press there is no key: no history, no
    settings, no forget, and after the consent time the device refuses it."""
    app = App(8)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        squatter = Attacker(radio)
        await squatter.connect()
        info_closed = await squatter.peer.read_value(squatter.info)
        assert (await squatter.pair_begin())[:3] == bytes([3, 0x12, NOT_PAIRABLE])
        app.keyring.open()  # the wearer's hold
        assert await squatter.peer.read_value(squatter.info) == info_closed  # nothing to poll
        answer = await squatter.pair_begin()
        assert answer[:3] == bytes([3, 0x12, OK])
        await squatter.reveal(answer)
        # (the wearer's laptop would now be told someone else pairs: the next test)
        assert app.keyring.attempt is not None and app.keyring.waiting()
        for op in (struct.pack("<BIH", 1, 1, 0), bytes([0x13, 2]) + b"\xff" * 8,
                   bytes([0x07, 9, 1]) + b"MICRO_MIN" + struct.pack("<i", 0)):
            assert (await squatter.ask(op + bytes(8)))[0][2] == AUTH_REQUIRED
        _expire(app)  # the wearer never pressed
        assert await squatter.check() == 15  # REFUSED
        assert app.keyring.hosts == [] and app.keyring.locked_until is not None
        await squatter.disconnect()
        await radio.stop()

    run(go)


def test_laptop_is_told_when_another_central_holds_the_attempt(tmp_path: Path,
                                                               home: Path) -> None:
    app = App(2)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        app.keyring.open()
        app.keyring.attempt = core.pairing.Attempt(bytes(32), app.clock.now_ms() + 60_000)
        async with open_device(radio=radio, authenticate=False) as sess:
            with pytest.raises(DeviceError, match="someone nearby is trying to pair"):
                await pair(sess, FeelingWearer(app))
        await radio.stop()

    run(go)


def test_sniffer_sees_no_key_no_host_id_and_no_record(tmp_path: Path, home: Path) -> None:
    """Sniffer: everything that crosses the air in a pairing and a sync, as a passive
    listener who broke the LE legacy link key would read it: public keys and nonces, MACs,
    ciphertext. The new key, the host id, the device secret, STATE and the records' bytes
    never appear."""
    app = App(20)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        air: list[bytes] = []

        def tap(proto: Any) -> None:  # each connection's protocol
            control, next_frame = proto.control, proto.next_frame

            def heard_in(data: Any) -> None:
                air.append(bytes(data))
                control(data)

            def heard_out() -> Any:
                frame = next_frame()
                if frame is not None:
                    air.append(bytes(frame))
                return frame

            proto.control, proto.next_frame = heard_in, heard_out

        radio.peripheral.taps.append(tap)
        app.keyring.open()
        async with open_device(radio=radio, authenticate=False) as sess:
            await pair(sess, FeelingWearer(app))
        async with open_device(radio=radio) as sess:
            with HistoryStore.open(tmp_path / "h.sqlite3") as store:
                assert (await sync(sess, store)).new == 20
        host_id, key = app.keyring.hosts[0][0], app.keyring.hosts[0][1]
        secrets = [key, host_id, app.keyring.secret, struct.pack("<I", app.journal.epoch)]
        secrets += [bytes(app.journal.read(s))[4:16] for s in range(1, 21)]  # wire records
        heard = b"".join(air)
        assert len(air) > 10
        for secret in secrets:
            assert secret not in heard, secret.hex()
        await radio.stop()

    run(go)


def test_forged_records_are_refused_before_storing(tmp_path: Path, home: Path) -> None:
    """Forged history: an active relay alters record frames on the way (a bit of a record,
    with the CRC kept right): the laptop checks each frame's MAC and stores nothing; a later
    direct sync stores the true records."""
    app = App(12)
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()

        def relay(proto: Any) -> None:  # the connection's protocol, behind the relay
            next_frame = proto.next_frame

            def altered() -> Any:
                frame = next_frame()
                if frame is not None and frame[0] == core.proto.F_DATA:
                    forged = bytearray(frame)
                    forged[5] ^= 0x04  # e.g. active seconds 120 -> 1800 in the clear of v2
                    return bytes(forged)
                return frame

            proto.next_frame = altered

        radio.peripheral.taps.append(relay)
        with HistoryStore.open(tmp_path / "h.sqlite3") as store:
            async with open_device(radio=radio) as sess:
                with pytest.raises(SyncError, match="MAC"):
                    await sync(sess, store)
            assert db_seqs(store) == []
            radio.peripheral.taps.remove(relay)
            async with open_device(radio=radio) as sess:
                assert (await sync(sess, store)).new == 12
            assert db_seqs(store) == list(range(1, 13))
        await radio.stop()

    run(go)


def test_nothing_private_before_the_proof(tmp_path: Path, home: Path) -> None:
    """Leaks: CONTROL is empty for the next central (never the previous host's answer); a
    replayed AUTH_BEGIN gets a nonce and a MAC but no STATE; the host's id never crosses the
    air; the device's proof covers INFO (another device id or firmware fails it)."""
    app = App(6)
    hk = consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        written, _ = record_writes(radio)
        async with open_device(radio=radio) as sess:
            await sess.state()
            proto = radio.peripheral.proto
            assert proto is not None and proto.last_response  # the host's last (sealed) answer
        stranger = Stranger(radio)
        await stranger.connect()
        assert await stranger.peer.read_value(stranger.peer.get_characteristics_by_uuid(
            stranger.control.uuid)[0]) == b""
        frames = await stranger.ask(written[0])  # the laptop's AUTH_BEGIN, replayed
        assert frames[0][:3] == bytes([3, 0x10, OK]) and len(frames[0]) == 3 + 16 + 16
        await stranger.disconnect()
        assert not any(hk.host_id in w for w in written)
        await radio.stop()
        proto = core.proto.Protocol(app)  # as a new connection's
        info = bytes(proto.info())
        assert info == radio.peripheral.info  # what INFO's read gives
        begin = HostAuth(hk.host_id, hk.key)
        proto.control(begin.begin())
        answer = bytes(proto.next_frame())
        for other in (info[:2] + b"\x99" + info[3:], info[:10] + b"\x09" + info[11:]):
            with pytest.raises(AuthError, match="not the device"):
                begin.check_begin(answer[3:], other)
        begin.check_begin(answer[3:], info)

    run(go)


def test_usb_key_file_is_imported_once(tmp_path: Path, home: Path) -> None:
    """USB key file: the board's drive is read-only to code, so the file stays; the device
    imports it once (its import id), a forget survives every reboot, `pair --drive` replaces
    the file (one record), and repeated boots never evict a laptop paired over BLE."""
    directory = home / "sim" / "default"
    directory.mkdir(parents=True)
    write_key_file(directory, HostKey.new(), KeyStore())
    dev = SimDevice(directory)
    assert len(dev.app.keyring.hosts) == 1
    dev.app.keyring.keep(b"ble-host", bytes(16))  # a laptop paired over BLE
    dev.app.keyring._persist()
    for _ in range(5):  # five boots with the same file on the drive
        dev = SimDevice(directory)
    assert [h[0] for h in dev.app.keyring.hosts][-1] == b"ble-host"
    assert len(dev.app.keyring.hosts) == 2
    dev.app.keyring.forget()  # the 10 s hold
    for _ in range(2):
        dev = SimDevice(directory)
        assert dev.app.keyring.hosts == []  # a reboot never undoes a forget
    for _ in range(2):  # `pair --drive` twice: the file holds one key, the newest
        write_key_file(directory, HostKey.new(), KeyStore())
    assert len((directory / core.auth.KEY_FILE).read_bytes()) == core.auth.KEY_FILE_RECORD_SIZE
    dev = SimDevice(directory)
    assert len(dev.app.keyring.hosts) == 1


def test_forget_ends_live_sessions_at_once(tmp_path: Path, home: Path) -> None:
    """Forget: the 10 s hold (or a forget of that host) ends an authenticated session at
    once, and its STATUS frames stop."""
    app = App(4)
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        async with open_device(radio=radio) as sess:
            await sess.state()
            app.keyring.forget()  # the wearer's 10 s hold, mid-session
            with pytest.raises(NotPaired):
                await sess.state()
        await radio.stop()

    run(go)


def test_pair_keeps_trying_across_the_drop(tmp_path: Path, home: Path) -> None:
    """Waiting: `unknot pair` runs first; the device drops an unauthenticated central after
    10 s; the wearer opens the window at 12 s: pairing still succeeds. With no window at all,
    the command says why."""
    app = App(3)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        wearer = FeelingWearer(app)

        async def hold_later() -> None:
            await asyncio.sleep(12)
            app.keyring.open()

        opener = asyncio.create_task(hold_later())
        info = await pair_async(wearer, radio=radio, say=lambda _m: None, wait_s=PAIR_WAIT_S)
        await opener
        assert info.device_id == device_hex(app) and len(app.keyring.hosts) == 1
        assert radio.peripheral.dropped >= 1  # the 10 s drop did happen on the way
        _expire(app)  # the lockout of nothing: the window is closed again
        with pytest.raises(DeviceError, match="pairing window is not open: hold the button 1 s"):
            await pair_async(wearer, radio=radio, say=lambda _m: None, wait_s=2)
        await radio.stop()

    run(go)


def test_the_forget_hold_never_opens_the_window_on_its_way(tmp_path: Path) -> None:
    """Forget: the 10 s hold goes through the 1 s mark without opening the window (the window
    opens when a 1-10 s press is released); a 2 s press opens it when let go."""
    dev = SimDevice(tmp_path / "dev")
    dev.app.keyring.keep(b"somehost", bytes(16))
    dev.advance(11_000)  # past the boot self-test gesture window
    dev.button.push(True, dev.clock.now_ms())
    for _ in range(105):  # held 10.5 s, the loop running
        dev.advance(100)
        assert not dev.app.keyring.pairing()
    dev.button.push(False, dev.clock.now_ms())
    dev.advance(2000)
    assert not dev.app.keyring.pairing() and dev.app.keyring.hosts == []
    opened = core.patterns.felt("pair_open")  # what the wearer feels: (cue, times)
    assert (opened[0], opened[1]) not in [(c, n) for _t, c, n in dev.motor.played]
    dev.button.push(True, dev.clock.now_ms())
    dev.advance(2000)
    assert not dev.app.keyring.pairing()  # held: not yet
    dev.button.push(False, dev.clock.now_ms())
    dev.advance(100)
    assert dev.app.keyring.pairing() and dev.motor.played[-1][1:] == opened
