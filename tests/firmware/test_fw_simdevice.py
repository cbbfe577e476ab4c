"""SimDevice: the firmware App on the host with a virtual clock, a motor recorder, a button,
a drive directory and a file-backed nvm that persists across instances."""

from __future__ import annotations

import asyncio

from unknot.sim.device import SimDevice


def test_press_plays_routine_and_persists(tmp_path, unkbuild):
    dev = SimDevice(tmp_path / "dev")
    dev.install_routine("breathe", unkbuild.build(unkbuild.SAMPLES["breathe"], slug="breathe"))
    dev.advance(10)
    assert [r.slug for r in dev.app.routines] == ["breathe"]
    dev.button.press()
    dev.advance(100_000)
    assert dev.motor.cues()[0] == "go" and dev.motor.cues()[-1] == "done"
    assert len(dev.records()) == 1
    dev2 = SimDevice(tmp_path / "dev")
    assert dev2.app.boot == 2 and dev2.device_id == dev.device_id
    assert dev2.records() == dev.records()


def test_gestures_and_settings_toml(tmp_path, unkbuild):
    d = tmp_path / "dev"
    (d / "routines").mkdir(parents=True)
    for n in ("a", "b"):
        (d / "routines" / f"{n}.unk").write_bytes(unkbuild.build(unkbuild.SAMPLES["reps"], slug=n))
    (d / "settings.toml").write_text('UNKNOT_MICRO_MIN = 1\nUNKNOT_REST_MIN = 0\n')
    dev = SimDevice(d)
    dev.button.double_press()
    dev.advance(1000)
    assert dev.app.selected == 1 and dev.motor.played[-1][1:] == ("count", 2)
    dev.advance(60_000)
    assert dev.motor.cues()[-1] == "nudge"
    dev.button.long_press()
    dev.advance(2000)
    assert dev.app.reminders.pending is None


def test_builtin_when_drive_empty(tmp_path):
    dev = SimDevice(tmp_path / "dev")
    assert [r.slug for r in dev.app.routines] == ["builtin"]


def test_engine_runs_it_in_scaled_real_time(tmp_path):
    from unknot.sim.engine import Engine
    from unknot.sim.scaledclock import ScaledClock

    dev = SimDevice(tmp_path / "dev", clock=ScaledClock(200.0))

    async def main() -> None:
        engine = Engine(dev)
        engine.start()
        await asyncio.sleep(0.05)
        engine.gesture("press")
        await asyncio.sleep(0.6)  # ~120 s of device time: the built-in routine is done
        await engine.stop()
        assert [f.cue for f in engine.felt] == dev.motor.cues()
        assert engine.records == [1]

    asyncio.run(main())
    assert dev.motor.cues()[0] == "go" and "done" in dev.motor.cues()
    assert dev.clock.now_ms() >= 100_000
    assert dev.app.motor is dev.motor and dev.app.button is dev.button  # never swapped


def test_quit_keeps_a_setting_held_back_by_the_hourly_limit(tmp_path):
    """Issue 20: `q` in `unknot sim` lost a setting changed within the hourly write limit;
    stopping the engine flushes it (App.flush, as before a shutdown)."""
    from unknot.sim.engine import Engine
    from unknot.sim.scaledclock import ScaledClock

    dev = SimDevice(tmp_path / "dev", clock=ScaledClock(1.0))

    async def main() -> None:
        engine = Engine(dev)
        engine.start()
        dev.app.apply_settings({"UNKNOT_MICRO_MIN": 25})  # written at once
        dev.app.apply_settings({"UNKNOT_MICRO_MIN": 40})  # held back: within the hour
        await asyncio.sleep(0.05)
        await engine.stop()

    asyncio.run(main())
    again = SimDevice(tmp_path / "dev")
    assert again.app.settings["UNKNOT_MICRO_MIN"] == 40


def test_pairing_window_lasts_wall_clock_time_at_any_speed(tmp_path):
    """Issue 20: at --speed 200 the window was 60 s of device time = 0.3 s of real time, too
    short for a person; the sim times the window (and the press) on wall-clock time."""
    import time

    from unknot.core import keyring as keyring_mod
    from unknot.sim.scaledclock import ScaledClock

    dev = SimDevice(tmp_path / "dev", clock=ScaledClock(200.0))
    keyring = dev.app.keyring
    assert keyring.open()
    start = dev.clock.now_ms()
    time.sleep(0.5)  # 100 s of device time: past a device-clock window
    assert dev.clock.now_ms() - start > keyring_mod.PAIR_WINDOW_MS
    assert keyring.pairing()
    # The App's loop gets the deadline in its own (device) time base: later than now.
    now = dev.clock.now_ms()
    due = keyring.poll(now)
    assert due is not None and due > now
    keyring.pair_until = keyring.clock.now_ms() - 1  # the 60 wall-clock seconds are over
    assert not keyring.pairing()


def test_panel_reads_the_selected_routine_once_per_selection(tmp_path, unkbuild):
    """The idle panel refreshes 15 times a second: the selected routine's name is read from
    its file once per selection (the App keeps only an index), and the step tables follow
    the routine that plays, whichever it is."""
    from unknot.sim.status import StepTables, status_of

    d = tmp_path / "dev"
    (d / "routines").mkdir(parents=True)
    for n, sample in (("a", "reps"), ("b", "breathe")):
        (d / "routines" / f"{n}.unk").write_bytes(unkbuild.build(unkbuild.SAMPLES[sample],
                                                                 slug=n))
    dev = SimDevice(d)
    app = dev.app
    reads: list[int] = []
    routine = app.routine

    def counted(index: int):  # type: ignore[no-untyped-def]
        reads.append(index)
        return routine(index)

    app.routine = counted
    tables = StepTables(app)
    names = [status_of(app, tables, 0, None, 0).routine for _ in range(30)]
    assert reads == [app.selected] and len(set(names)) == 1
    dev.button.double_press()  # select the next routine
    dev.advance(1000)
    del reads[:]  # (the firmware's own reads at the key-down: not the panel's)
    for _ in range(30):
        status_of(app, tables, 0, None, 0)
    assert reads == [1]  # a new selection: read once more, once
    first, second = routine(0), routine(1)
    assert tables.labels(first) == tables.labels(routine(0))
    assert tables.starts(second) != tables.starts(first)  # a new routine: its own tables
