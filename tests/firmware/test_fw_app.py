"""The App state machine on virtual time: gestures, sessions and journal records, break
reminders (nudge, repeat, give up, snooze limit, active hours), settings, errors, sleeping."""

from __future__ import annotations

import pytest
from unknot.sim.simnvm import new_nvm

MIN = 60_000


@pytest.fixture
def make(fw, sa, unkbuild):
    def make(settings=None, files=None, nvm=None):
        if files is None:
            files = {
                "a.unk": unkbuild.build(unkbuild.SAMPLES["breathe"], slug="micro"),
                "b.unk": unkbuild.build(unkbuild.SAMPLES["holds"], slug="rest"),
            }
        base = {"UNKNOT_MOTOR_LATENCY_MS": 0}
        base.update(settings or {})
        return sa.make_app(fw.app.App, files, nvm=nvm if nvm is not None else sa.new_nvm(),
                           settings=base)

    return make


def advance(app, until):
    """Step the app, sleeping (virtually) until each deadline, up to `until`."""
    clock = app.clock
    while True:
        d = app.safe_step()
        if d > until:
            clock.t = max(clock.t, until)
            return
        clock.t = max(clock.t, d)


def press(app, kind="press"):
    t = app.clock.t
    b = app.button
    if kind == "press":
        b.push(True, t), b.push(False, t + 80)
    elif kind == "double":
        b.push(True, t), b.push(False, t + 80), b.push(True, t + 200), b.push(False, t + 260)
    elif kind == "long":
        b.push(True, t), b.push(False, t + 1500)
    app.clock.t += 2000 if kind == "long" else 300
    advance(app, app.clock.t + 500)


def cues(app):
    return app.motor.cues()


def test_press_plays_and_records_completed(fw, make):
    app = make()
    press(app)
    advance(app, app.clock.t + 200_000)
    assert cues(app)[0] == "go" and cues(app)[-1] == "done"
    rec = fw.journal.unpack_record(app.journal.read(1))
    seq, start, rid, done, total, active, flags, boot = rec
    assert (seq, rid, done, total, boot) == (1, app.routines[0].id, 2, 2, 1)
    assert flags == fw.journal.COMPLETED | fw.journal.CLOCK_UNSET
    assert active == 74  # trace length of the "breathe" sample
    assert start == 0  # seconds since boot


def test_pause_resume_and_long_press_abort(fw, make):
    app = make()
    app.clock.set_unix(1_767_225_600)
    press(app)
    advance(app, app.clock.t + 10_000)
    press(app)  # pause
    assert app.player.paused_at is not None and cues(app)[-1] == "ack"  # paused
    advance(app, app.clock.t + 60_000)
    n = len(app.motor.played)
    press(app)  # resume
    assert cues(app)[n] == "go"  # resumed
    advance(app, app.clock.t + 5_000)
    press(app, "long")
    assert app.player is None and cues(app)[-1] == "ack"  # aborted
    rec = fw.journal.unpack_record(app.journal.read(1))
    assert rec[6] == fw.journal.ABORTED and rec[1] >= 1_767_225_600
    assert 14 <= rec[5] <= 18  # ~16 s active, the 60 s pause excluded
    assert rec[3] < rec[4]


def test_double_press_selects_and_buzzes_number(make):
    app = make()
    press(app, "double")
    assert app.selected == 1 and app.motor.played[-1][1:] == ("count", 2)  # routine 2
    press(app)
    assert app.player.routine.slug == "rest"


def test_nudge_repeats_then_gives_up(make):
    app = make({"UNKNOT_MICRO_MIN": 30, "UNKNOT_REST_MIN": 0})
    advance(app, 30 * MIN - 1)
    assert "nudge" not in cues(app)
    advance(app, 30 * MIN + 10 * MIN + 5000)
    nudges = [t for t, c, _n in app.motor.played if c == "nudge"]
    assert nudges[0] == 30 * MIN and nudges[1] - nudges[0] == 60_000
    assert len(nudges) == 10  # every 60 s, given up after 10 min
    assert app.reminders.pending is None
    advance(app, 71 * MIN)
    assert [t for t, c, _n in app.motor.played if c == "nudge"][10] == 70 * MIN


def test_press_on_nudge_starts_break_and_resets(fw, make):
    app = make({"UNKNOT_MICRO_ROUTINE": "micro", "UNKNOT_REST_MIN": 0})
    advance(app, 30 * MIN + 1000)
    press(app)
    assert app.player.routine.slug == "micro"
    advance(app, app.clock.t + 100_000)
    rec = fw.journal.unpack_record(app.journal.read(1))
    assert rec[6] & fw.journal.FROM_NUDGE and rec[6] & fw.journal.COMPLETED
    assert app.reminders.next_deadline() > app.clock.t + 29 * MIN


def test_snooze_limit_then_firm(make):
    app = make({"UNKNOT_REST_MIN": 0, "UNKNOT_MAX_SNOOZES": 2, "UNKNOT_SNOOZE_MIN": 5})
    advance(app, 30 * MIN + 1000)
    press(app, "double")
    assert cues(app)[-1] == "ack" and app.reminders.snoozes == 1
    t = app.clock.t
    advance(app, t + 5 * MIN + 1000)
    assert cues(app)[-1] == "nudge"
    press(app, "double")
    assert app.reminders.snoozes == 2
    advance(app, app.clock.t + 5 * MIN + 1000)
    assert app.motor.played[-1][1:] == ("nudge", 2)  # firm: twice
    press(app, "double")
    assert cues(app)[-1] == "error" and app.reminders.pending is not None  # refused
    advance(app, app.clock.t + 61_000)
    assert app.motor.played[-1][1:] == ("nudge", 2)
    press(app, "long")  # skip this break
    assert app.reminders.pending is None and app.reminders.snoozes == 0


def test_rest_break_uses_rest_routine(make):
    app = make({"UNKNOT_MICRO_MIN": 30, "UNKNOT_REST_MIN": 60})
    advance(app, 30 * MIN + 1000)
    press(app, "long")  # skip micro
    advance(app, 60 * MIN + 1000)
    assert app.reminders.pending == "rest"
    press(app)
    assert app.player.routine.slug == "rest"  # default: last routine


def test_active_hours(make):
    app = make({"UNKNOT_ACTIVE_START": 9, "UNKNOT_ACTIVE_END": 17, "UNKNOT_REST_MIN": 0})
    app.clock.set_unix(1_767_225_600 + 20 * 3600)  # 20:00 UTC
    advance(app, 5 * 3600 * 1000)
    assert "nudge" not in cues(app)
    app2 = make({"UNKNOT_ACTIVE_START": 9, "UNKNOT_ACTIVE_END": 17, "UNKNOT_REST_MIN": 0})
    app2.clock.set_unix(1_767_225_600 + 10 * 3600)  # 10:00 UTC
    advance(app2, 31 * MIN)
    assert "nudge" in cues(app2)


def test_idle_wakeups_are_few(make):
    app = make({"UNKNOT_MICRO_MIN": 0, "UNKNOT_REST_MIN": 0})
    advance(app, 3600 * 1000)
    assert app.wakeups <= 62  # max sleep 60 s


def test_boot_counter_and_settings_persist(make, sa):
    nvm = sa.new_nvm()
    a = make(nvm=nvm)
    assert a.boot == 1
    assert a.apply_settings({"UNKNOT_SNOOZE_MIN": "7"}) == {"UNKNOT_SNOOZE_MIN": 7}
    press(a)
    advance(a, a.clock.t + 200_000)
    b = make(nvm=nvm)
    assert b.boot == 2 and b.settings["UNKNOT_SNOOZE_MIN"] == 7
    assert b.journal.head == 2 and b.reminders.snooze_ms == 7 * MIN


def test_exception_is_counted_and_loop_goes_on(make):
    app = make()

    class Boom:
        def __init__(self):
            self.n = 0

        def poll(self, now):
            self.n += 1
            if self.n == 1:
                raise RuntimeError("boom")
            return None

    app.protocol = Boom()
    assert app.safe_step() == app.clock.t + 1000
    assert app.errors == 1 and "boom" in app.last_error
    app.safe_step()
    assert app.errors == 1 and app.protocol.n == 2


def test_watchdog_fed_every_step(make):
    app = make()
    advance(app, 10 * MIN)
    assert app.watchdog.feeds == app.wakeups > 0


def test_battery_low_disables_ticks(make, unkbuild):
    app = make(files={"h.unk": unkbuild.build(unkbuild.SAMPLES["holds"], slug="h")})

    class Bat:
        def millivolts(self):
            return 3300

    app.battery_source = Bat()
    app.safe_step()
    assert app.low_battery and app.battery == 0 and app.battery_mv == 3300
    press(app)
    advance(app, app.clock.t + 200_000)
    assert "tick" not in cues(app)


def test_boot_costs_no_erase_and_counts_only_boots_that_wrote(make):
    nvm = new_nvm()
    a = make(nvm=nvm)
    assert a.boot == 1 and nvm.erases == [0, 0]  # nothing written yet
    assert make(nvm=nvm).boot == 1  # a boot that wrote nothing leaves no trace
    c = make(nvm=nvm)
    press(c)
    advance(c, c.clock.t + 200_000)  # one session: one erase, boot 1 saved with it
    assert sum(nvm.erases) == 1 and c.journal.head == 2
    d = make(nvm=nvm)
    assert d.boot == 2 and d.journal.epoch == c.journal.epoch


def test_host_writes_are_budgeted(fw, make):
    nvm = new_nvm()
    a = make(nvm=nvm)
    day = fw.app._DAY_MS
    per_day = fw.app.HOST_WRITES_DAY
    for i in range(per_day):  # the first ones of the day are written at once
        a.apply_settings({"UNKNOT_SNOOZE_MIN": 7 + i})
    assert sum(nvm.erases) == per_day
    for i in range(50):  # a host hammering settings: applied, not written
        a.apply_settings({"UNKNOT_SNOOZE_MIN": 10 + i % 3})
        a.clock.t += 1000
        a.safe_step()
    assert sum(nvm.erases) == per_day and a.settings["UNKNOT_SNOOZE_MIN"] == 11
    assert make(nvm=nvm).settings["UNKNOT_SNOOZE_MIN"] == 7 + per_day - 1  # a cut: the saved one
    advance(a, day - 1)
    assert sum(nvm.erases) == per_day
    advance(a, day + 1)  # the pending value is written when the next budget day starts
    assert sum(nvm.erases) == per_day + 1
    assert make(nvm=nvm).settings["UNKNOT_SNOOZE_MIN"] == 11
    advance(a, 10 * day)
    assert sum(nvm.erases) == per_day + 1  # nothing pending: no more writes


def test_pending_settings_ride_with_a_record_and_flush(fw, make):
    nvm = new_nvm()
    a = make(nvm=nvm)
    for v in (8, 7, 6):
        a.apply_settings({"UNKNOT_SNOOZE_MIN": v})
    assert sum(nvm.erases) == 2 and a.journal.pending
    press(a)
    advance(a, a.clock.t + 200_000)  # the session's record carries the pending settings
    assert sum(nvm.erases) == 3 and not a.journal.pending
    assert make(nvm=nvm).settings["UNKNOT_SNOOZE_MIN"] == 6
    a.apply_settings({"UNKNOT_SNOOZE_MIN": 5})
    a.flush()  # before a shutdown
    assert make(nvm=nvm).settings["UNKNOT_SNOOZE_MIN"] == 5


def test_pending_settings_written_when_the_battery_is_low(make):
    nvm = new_nvm()
    a = make(nvm=nvm)
    for v in (8, 7, 4):
        a.apply_settings({"UNKNOT_SNOOZE_MIN": v})
    assert a.journal.pending and sum(nvm.erases) == 2

    class Bat:
        def millivolts(self):
            return 3300

    a.battery_source = Bat()
    a.safe_step()
    assert a.low_battery and not a.journal.pending and sum(nvm.erases) == 3
    assert make(nvm=nvm).settings["UNKNOT_SNOOZE_MIN"] == 4
