"""Player: expansion rules (docs/format.md "Playback"), absolute deadlines, pause, latency,
and equality with the host timeline for every library routine."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _routine(fw, unkbuild, steps):
    return fw.routine.decode(unkbuild.build(steps))


def test_expansion_rules(fw, unkbuild):
    r = _routine(fw, unkbuild, [(1, 0), (3, 0, 2, 30, 10, 40, 0), (4, 0x30, 120),
                                (5, 0, 2, 20, 10), (6, 0x20, 100), (7, 0), (2, 0)])
    # breath holds are silent; a cue never starts before the one before it has ended (the
    # switch waits for the release: 750 ms), and the 3 s to change side follow the switch
    # cue (1100 ms); the lead-in follows `begin` (500 ms)
    assert fw.player.trace(r) == [
        (0, "begin"),
        (2500, "inhale"), (6500, "exhale"),
        (10500, "inhale"), (14500, "exhale"),
        (18500, "hold_start"), (23500, "tick"), (28500, "tick"), (30500, "hold_end"),
        (31250, "switch"),
        (35350, "hold_start"), (40350, "tick"), (45350, "tick"), (47350, "hold_end"),
        (48100, "rep"), (50100, "rep_end"), (51100, "rep"), (53100, "rep_end"),
        (54100, "rest"), (59100, "tick"),
        (64100, "switch"),
        (68200, "done"),
    ]


def test_repeat_sides_and_short_tick_step(fw, unkbuild):
    r = _routine(fw, unkbuild, [(1, 0), (5, 0x10, 1, 10, 5), (4, 0x20, 99), (2, 0)])
    assert fw.player.trace(r) == [
        (0, "begin"), (2500, "rep"), (3500, "rep_end"), (4250, "switch"), (8350, "rep"),
        (9350, "rep_end"), (10100, "hold_start"), (20000, "hold_end"), (20750, "done")]
    assert [c for _, c in fw.player.trace(r, ticks=False)].count("tick") == 0


def _run(fw, routine, latency=0, jitter=0, seed=1, pause=None):
    """Play on a virtual clock where every wake-up comes up to `jitter` ms late."""
    rng = random.Random(seed)
    p = fw.player.Player(routine, latency)
    now = 1_000_000
    p.start(now)
    got = []
    while not p.finished:
        if pause and now >= pause[0]:
            p.pause(now)
            assert p.next_deadline() is None
            now += pause[1]
            p.resume(now)
            pause = None
        d = p.next_deadline()
        now = max(now, d + rng.randint(0, jitter))
        p.poll(now, lambda cue, arg, t, sent=now: got.append((sent, t, cue)))
    return p, got


def test_no_drift_over_30_minutes(fw, unkbuild):
    # 30 min of breathing (180 breaths of 10 s) with late wake-ups of up to 15 ms each
    r = _routine(fw, unkbuild, [(1, 0)] + [(3, 0, 90, 40, 0, 60, 0)] * 2 + [(2, 0)])
    _p, got = _run(fw, r, jitter=15)
    assert got[-1][2] == "done" and got[-1][1] - 1_000_000 == 2500 + 180 * 10000
    errors = [sent - sched for sent, sched, _ in got]
    assert max(errors) <= 15 and min(errors) >= 0


def test_latency_sends_early(fw, unkbuild):
    r = _routine(fw, unkbuild, unkbuild.SAMPLES["breathe"])
    _p, got = _run(fw, r, latency=80)
    assert all(sent == sched - 80 for sent, sched, _ in got[1:])


def test_pause_shifts_and_counts_active_time(fw, unkbuild):
    r = _routine(fw, unkbuild, unkbuild.SAMPLES["breathe"])
    p, got = _run(fw, r, pause=(1_010_000, 7_000))
    plain = fw.player.trace(r)
    assert [c for _, _, c in got] == [c for _, c in plain]
    total = plain[-1][0]
    assert got[-1][1] - 1_000_000 == total + 7000
    assert p.active_ms(got[-1][0]) == total
    assert p.steps_done() == r.work_steps()


def test_steps_done_counts_finished_steps(fw, unkbuild):
    r = _routine(fw, unkbuild, unkbuild.SAMPLES["holds"])
    p = fw.player.Player(r)
    p.start(0)
    p.poll(2500, lambda *a: None)  # first hold started
    assert p.steps_done() == 0
    # 20 s, the release (750 ms), the switch (1100 ms) and 3 s, 20 s, the release: 2nd step
    p.poll(2500 + 43000 + 2 * 750 + 1100 + 1, lambda *a: None)
    assert p.steps_done() == 1


def test_firmware_trace_equals_host_timeline(fw, sa, library):
    import unknot.routine as host
    import unknot.routine.timeline as timeline
    pat = fw.patterns
    app = sa.make_app(fw.app.App, dict(library), nvm=sa.new_nvm(),
                      settings={"UNKNOT_MOTOR_LATENCY_MS": 0})
    assert len(app.routines) == len(library)
    for i, r in enumerate(app.routines):
        played = sa.play_all(app, i)
        decoded = host.decode(library[r.file])
        events = timeline.expand(decoded.ops, decoded.countdown)
        # what the motor plays is each event's cue, as many times as felt(), at its time
        assert [(t, c) for t, c in played] == [(e.t_ms, pat.felt(e.cue, e.detail)[0])
                                              for e in events], r.file
        assert [(p[1], p[2]) for p in app.motor.played[-len(events):]] == [
            pat.felt(e.cue, e.detail) for e in events]
        assert fw.player.trace(app.routine(i)) == [(e.t_ms, e.cue) for e in events]
        assert app.motor.late == []  # no cue asked for while another played: none cut
    assert app.errors == 0


def test_v2_exercises_count_and_cues(fw):
    # the v2 vector: 3 exercises, 6 steps, get-ready steps of 8 s and 30 s, countdown 3
    data = (VECTORS / "routines" / "exercises.unk").read_bytes()
    r = fw.routine.decode(data)
    assert r.countdown == 3 and r.tally() == (3, 6) and r.work_steps() == 6
    events = list(fw.player.expand(r))
    nexts = [(t, arg) for t, cue, arg, _i in events if cue == "next_exercise"]
    assert nexts == [(40000, 2), (114300, 3)]
    downs = [(t, arg) for t, cue, arg, _i in events if cue == "countdown"]
    assert downs[:3] == [(65600, 3), (66600, 2), (67600, 1)]
    # a countdown second is never also a tick
    ticks = {t for t, cue, _a, _i in events if cue == "tick"}
    assert not ticks & {t for t, _a in downs}
    # steps done: get-ready steps are not steps (finished: all 6)
    p = fw.player.Player(r)
    p.start(0)
    p.poll(40000, lambda *a: None)  # up to the first get-ready
    assert p.steps_done() == 2
    p.poll(10**9, lambda *a: None)
    assert p.finished and p.steps_done() == 6


def test_v1_plays_unchanged(fw):
    # a v1 file has no countdown and no get-ready; its trace is the v1 rule set
    r = fw.routine.decode((VECTORS / "routines" / "all-kinds.unk").read_bytes())
    assert r.countdown == 0 and r.tally()[0] == 1
    cues = {cue for _t, cue in fw.player.trace(r)}
    assert "countdown" not in cues and "next_exercise" not in cues


def test_one_count_from_the_record_to_the_host(fw, sa, library):
    # the session record's steps done / total is the host's count of the same routine
    # (routine.tally; history and stats show the record, list/show/preview the host count)
    from unknot.routine import decode
    from unknot.routine.count import tally

    app = sa.make_app(fw.app.App, dict(library), nvm=bytearray(8192),
                      settings={"UNKNOT_MOTOR_LATENCY_MS": 0})
    for i, r in enumerate(app.routines):
        sa.play_all(app, i)
        rec = fw.journal.unpack_record(app.journal.read(app.last_record))
        steps = tally(decode(library[r.file]).ops).steps
        assert rec[3] == rec[4] == steps == app.routine(i).work_steps(), r.file


def test_steps_done_as_played_equal_the_walk(fw, library):
    """The player counts work steps as it plays them (no walk at a routine's end): at every
    cue of every library routine, steps_done() is routine.tally's count for the steps before
    the playing one, and steps_total() the routine's work steps once the last cue was taken
    (before that it walks: an aborted routine)."""
    for name, data in sorted(library.items()):
        r = fw.routine.decode(data)
        p = fw.player.Player(r)
        p.start(0)
        assert p.steps_total() == r.work_steps()  # not known yet: the walk
        seen = []

        def emit(cue: str, arg: int, at: int, p: Any = p, r: Any = r,
                 seen: list[tuple[int, int, int]] = seen) -> None:
            seen.append((p.step_index, p.steps_done(), r.tally(p.step_index)[1]))

        t = 0
        while not p.finished:
            if p.waiting is not None:  # a WAIT: the wearer presses
                p.proceed(t)
            t = max(t, p.next_deadline())
            p.poll(t, emit)
        assert seen and all(done == walk for _i, done, walk in seen), name
        assert p.steps_done() == p.steps_total() == r.work_steps(), name
        assert p._counts[0] == r.work_steps(), name  # counted, not walked
