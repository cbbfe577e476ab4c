"""BLE sync end to end: bleak client -> bumble central -> LocalLink -> bumble peripheral ->
the firmware's proto handler -> the firmware Journal; records land in the SQLite store."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from bleapp import App, consent, db_seqs, run
from unknot import fwload
from unknot.ble import open_device
from unknot.ble.sync import sync
from unknot.core import wire
from unknot.errors import SyncError
from unknot.history import HistoryStore
from unknot.sim.bumble_backend import AttError
from unknot.sim.radio import SimRadio


def test_full_sync_then_repeat_adds_nothing(tmp_path: Path, home: Path) -> None:
    app = App(150)
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "keys").start()
        with HistoryStore.open(tmp_path / "h.sqlite3") as store:
            async with open_device(radio=radio) as s:
                first = await sync(s, store)
            assert (first.new, first.known, first.lost) == (150, 0, 0)
            assert app.clock.unix() is not None  # the sync set the device clock
            async with open_device(radio=radio) as s:  # second time: bonded, encrypts
                again = await sync(s, store)
            assert (again.new, again.known, again.lost) == (0, 0, 0)
            assert db_seqs(store) == list(range(1, 151))
        await radio.stop()

    run(go)


def test_link_drop_at_every_notification_then_resync(tmp_path: Path, home: Path) -> None:
    app = App(60)  # 60 records * 12 bytes at MTU 247: 3 data frames + END per batch
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "keys").start()
        per = radio.peripheral
        real_notify = per.device.notify_subscriber
        index = 0
        while True:
            sent = 0
            dropped = False

            async def notify(conn: Any, char: Any, value: bytes, _i: int = index) -> None:
                nonlocal sent, dropped
                if char is per.data_char and value[0] in (1, 2):
                    if sent == _i:
                        dropped = True
                        per.drop_link()
                        return
                    sent += 1
                await real_notify(conn, char, value)

            per.device.notify_subscriber = notify  # type: ignore[method-assign]
            db = tmp_path / f"h{index}.sqlite3"
            with HistoryStore.open(db) as store:
                raised = False
                try:
                    async with open_device(radio=radio) as s:
                        await sync(s, store, batch=25)
                except SyncError:
                    raised = True
                assert raised == dropped
                # consistently partial: whole verified batches only, no gap
                partial = db_seqs(store)
                assert partial == list(range(1, len(partial) + 1))
                per.device.notify_subscriber = real_notify  # type: ignore[method-assign]
                async with open_device(radio=radio) as s:
                    await sync(s, store, batch=25)
                assert db_seqs(store) == list(range(1, 61))
            if not dropped:
                break
            index += 1
        assert index >= 6  # really cut the stream at several places
        await radio.stop()

    run(go)


def test_unpaired_central_is_refused(tmp_path: Path, home: Path) -> None:
    app = App(5)
    uuids = fwload.module("gatt")
    proto = fwload.module("proto")

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=None).start()
        async with open_device(radio=radio, pair=False, authenticate=False) as s:
            info = await s.read_public()  # INFO is readable without pairing: public part only
            assert info.protocol == proto.PROTOCOL_VERSION and info.raw[1] == 0  # no flags
            req = wire.pack(proto.REQ_READ, proto.OP_READ, 1, 0)
            with pytest.raises(AttError) as w:
                await s.client.write_gatt_char(uuids.CONTROL, req, response=True)
            assert w.value.code == 0x05  # Insufficient Authentication
            with pytest.raises(AttError) as r:
                await s.client.read_gatt_char(uuids.CONTROL)
            assert r.value.code == 0x05
            with pytest.raises(AttError) as ro:
                await s.client.write_gatt_char(uuids.INFO, b"\x00", response=True)
            assert ro.value.code == 0x03  # Write Not Permitted
        assert radio.peripheral.handled == 0
        await radio.stop()

    run(go)


def test_random_control_writes_over_the_link(tmp_path: Path, home: Path) -> None:
    app = App(30)
    consent(app)
    uuids = fwload.module("gatt")
    rng = random.Random(4)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        async with open_device(radio=radio) as s:
            for _ in range(300):
                n = rng.randrange(0, 40)
                data = bytes([rng.randrange(0, 9)]) + rng.randbytes(n)
                assert s.auth is not None
                _, tagged = s.auth.wrap(data)  # from the authenticated host: tagged
                await s.client.write_gatt_char(uuids.CONTROL, tagged, response=True)
            await asyncio.sleep(0)
            with HistoryStore.open(tmp_path / "h.sqlite3") as store:
                # still serving: a real sync works after the noise
                s._frames = asyncio.Queue()
                res = await sync(s, store)
                assert res.new == 30
        await radio.stop()

    run(go)


def test_routine_upload_with_link_drop(tmp_path: Path, home: Path) -> None:
    app = App(1)
    consent(app)
    from unknot.routine.selection import compile_selection

    lib = dict(compile_selection(()))
    files = {n: lib[n] for n in sorted(lib)[:3]}

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        per = radio.peripheral
        calls = 0

        def progress(done: int, total: int) -> None:
            nonlocal calls
            calls += 1
            if calls == 3:
                per.drop_link()

        with pytest.raises(SyncError):
            async with open_device(radio=radio) as s:
                await s.upload_routines(files, progress)
        assert app.storage.files == {"old.unk": b"old"} and app.reloads == 0
        async with open_device(radio=radio) as s:
            await s.upload_routines(files)
            await s.set_settings({"UNKNOT_LONG_MS": 900, "X_ON": True})
        assert app.storage.files == files  # the uploaded set replaced the old one
        assert app.reloads == 1
        assert app.settings == {"UNKNOT_LONG_MS": 900, "X_ON": True}  # the stand-in App
        await radio.stop()

    run(go)


def test_no_radio_is_one_clear_error(home, monkeypatch):
    """Without a Bluetooth stack (no BlueZ D-Bus socket here) `unknot sync` says so in one
    line instead of a traceback."""
    from click.testing import CliRunner
    from unknot.cli import cli

    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/unknot-test-bus")
    result = CliRunner().invoke(cli, ["sync"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Bluetooth" in result.output or "BLE" in result.output
