"""A device that cannot be talked into harm, over the bumble link against the simulated device
(the real firmware App, SetStore storage, proto + upload handlers): settings out of range
refused on the device, junk uploads refused, prune over BLE, a squatting central dropped."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from bleapp import consent, run
from unknot import core
from unknot.ble import open_device
from unknot.core import wire
from unknot.errors import DeviceError
from unknot.routine.selection import compile_selection
from unknot.sim.device import SimDevice
from unknot.sim.radio import SimRadio


def _lib() -> dict[str, bytes]:
    return dict(compile_selection(()))


def test_settings_out_of_range_are_refused_on_the_device(tmp_path: Path, home: Path) -> None:
    dev = SimDevice(tmp_path / "dev")
    app = dev.app
    consent(app)
    before = dict(app.settings)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        async with open_device(radio=radio) as s:
            for bad in ({"UNKNOT_MICRO_MIN": 0, "UNKNOT_MAX_SLEEP_S": 100_000},
                        {"UNKNOT_MAX_SLEEP_S": -5}, {"UNKNOT_DOUBLE_MS": -1},
                        {"UNKNOT_ACTIVE_START": 24}, {"UNKNOT_BOGUS": 1},
                        {"UNKNOT_REST_ROUTINE": "not-installed"},
                        {"UNKNOT_MICRO_ROUTINE": "x\nMAX_SLEEP_S=100000"}):
                key = next(k for k in bad if k != "UNKNOT_MICRO_MIN")
                with pytest.raises(DeviceError, match=f"refused setting {key}"):
                    await s.set_settings(bad)
            assert app.settings == before and app.overrides == {}
            await s.set_settings({"UNKNOT_MICRO_MIN": 45})
            assert app.settings["UNKNOT_MICRO_MIN"] == 45
        await radio.stop()

    run(go)


def _archive(files: dict[str, bytes]) -> bytes:
    return b"".join(wire.pack(core.upload.ARCHIVE_ENTRY, len(n), len(d)) + n.encode() + d
                    for n, d in files.items())


def test_junk_uploads_are_refused_and_prune_works_over_ble(tmp_path: Path, home: Path) -> None:
    lib = _lib()
    names = sorted(lib)
    dev = SimDevice(tmp_path / "dev")
    app = dev.app
    consent(app)

    def installed() -> dict[str, bytes]:
        return {n: dev.storage.read(n) for n in dev.storage.list()}

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=tmp_path / "k").start()
        async with open_device(radio=radio) as s:
            first = {n: lib[n] for n in names[:3]}
            await s.upload_routines(first)
            assert installed() == first and len(app.routines) == 3
            # junk over a library routine: COMMIT refuses, nothing changes
            for junk, why in (({**first, names[0]: b"UNK1" + bytes(60)}, names[0]),
                              ({**first, "notes.txt": b"hello"}, "notes.txt")):
                with pytest.raises(DeviceError, match=f"refused routine file '{why}'"):
                    await s.upload_routines(junk)
                assert installed() == first
            with pytest.raises(DeviceError, match="more than 16 files"):
                await s.upload_routines({f"r{i}.unk": lib[names[0]] for i in range(17)})
            # a set replaces the set: the routines not sent are gone (prune)
            await s.upload_routines({names[4]: lib[names[4]]})
            assert installed() == {names[4]: lib[names[4]]} and len(app.routines) == 1
        await radio.stop()
        # one set folder left on the simulated drive
        assert len([p for p in (tmp_path / "dev" / "routines").iterdir()]) == 1

    run(go)


def test_squatting_central_is_dropped(tmp_path: Path) -> None:
    """A central that connects and never authenticates is disconnected after 10 s (the
    board's BleLink then reports no connection, so the App light-sleeps again)."""
    dev = SimDevice(tmp_path / "dev")
    app = dev.app

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=None).start()
        per = radio.peripheral
        async with open_device(radio=radio, pair=False, authenticate=False) as s:
            t0 = time.monotonic()
            info = await s.read_public()  # INFO needs no key: reading it proves nothing
            assert info.device_id
            while per.connection is not None and time.monotonic() - t0 < 15:
                await asyncio.sleep(0.2)
            waited = time.monotonic() - t0
        assert per.connection is None and per.dropped == 1
        assert 9.5 <= waited < 12, waited
        await radio.stop()

    run(go)
