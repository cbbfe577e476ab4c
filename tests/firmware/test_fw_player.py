"""Player: expansion rules (docs/format.md "Playback"), absolute deadlines, pause, latency,
and equality with the host timeline for every library routine."""

from __future__ import annotations

import random
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _routine(fw, unkbuild, steps):
    return fw.routine.decode(unkbuild.build(steps))


def test_expansion_rules(fw, unkbuild):
    r = _routine(fw, unkbuild, [(1, 0), (3, 0, 2, 30, 10, 40, 0), (4, 0x30, 120),
                                (5, 0, 2, 20, 10), (6, 0x20, 100), (7, 0), (2, 0)])
    assert fw.player.trace(r) == [
        (0, "begin"),
        (2000, "inhale"), (5000, "hold_in"), (6000, "exhale"),
        (10000, "inhale"), (13000, "hold_in"), (14000, "exhale"),
        (18000, "hold_start"), (23000, "tick"), (28000, "tick"), (30000, "hold_end"),
        (30000, "switch"),
        (33000, "hold_start"), (38000, "tick"), (43000, "tick"), (45000, "hold_end"),
        (45000, "rep"), (47000, "rep_end"), (48000, "rep"), (50000, "rep_end"),
        (51000, "rest"), (56000, "tick"),
        (61000, "switch"),
        (64000, "done"),
    ]


def test_repeat_sides_and_short_tick_step(fw, unkbuild):
    r = _routine(fw, unkbuild, [(1, 0), (5, 0x10, 1, 10, 5), (4, 0x20, 99), (2, 0)])
    assert fw.player.trace(r) == [
        (0, "begin"), (2000, "rep"), (3000, "rep_end"), (3500, "switch"), (6500, "rep"),
        (7500, "rep_end"), (8000, "hold_start"), (17900, "hold_end"), (17900, "done")]
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
    assert got[-1][2] == "done" and got[-1][1] - 1_000_000 == 2000 + 180 * 10000
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
    p.poll(2000, lambda *a: None)  # first hold started
    assert p.steps_done() == 0
    p.poll(2000 + 43000 + 1, lambda *a: None)  # 2nd step (hold 10 s) started
    assert p.steps_done() == 1


def test_firmware_trace_equals_host_timeline(fw, sa, library):
    import unknot.routine as host
    import unknot.routine.timeline as timeline
    app = sa.make_app(fw.app.App, dict(library), nvm=sa.new_nvm(),  # the routine's own cues:
                      settings={"UNKNOT_MOTOR_LATENCY_MS": 0,  # no exercise number taps
                                "UNKNOT_EXERCISE_NUMBER": 0})
    assert len(app.routines) == len(library)
    for i, r in enumerate(app.routines):
        played = sa.play_all(app, i)
        decoded = host.decode(library[r.file])
        expected = [(e.t_ms, e.cue) for e in timeline.expand(decoded.ops, decoded.countdown)]
        assert played == expected, r.file
        assert fw.player.trace(r) == expected
    assert app.errors == 0


def test_v2_exercises_count_and_cues(fw):
    # the v2 vector: 3 exercises, 6 steps, get-ready steps of 8 s and 30 s, countdown 3
    data = (VECTORS / "routines" / "exercises.unk").read_bytes()
    r = fw.routine.decode(data)
    assert r.countdown == 3 and r.tally() == (3, 6) and r.work_steps() == 6
    events = list(fw.player.expand(r))
    nexts = [(t, arg) for t, cue, arg, _i in events if cue == "next_exercise"]
    assert nexts == [(39500, 2), (109500, 3)]
    downs = [(t, arg) for t, cue, arg, _i in events if cue == "countdown"]
    assert downs[:3] == [(64500, 3), (65500, 2), (66500, 1)]
    # a countdown second is never also a tick
    ticks = {t for t, cue, _a, _i in events if cue == "tick"}
    assert not ticks & {t for t, _a in downs}
    # steps done: get-ready steps are not steps (finished: all 6)
    p = fw.player.Player(r)
    p.start(0)
    p.poll(39500, lambda *a: None)  # up to the first get-ready
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
        assert rec[3] == rec[4] == steps == r.work_steps(), r.file
