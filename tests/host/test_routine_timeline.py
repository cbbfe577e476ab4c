"""Timeline expansion (docs/format.md "Playback"); the library's content is in test_library.py."""

from __future__ import annotations

from itertools import pairwise

from unknot import core
from unknot.core import routine as fmt
from unknot.routine import expand, total_ms
from unknot.routine import model as m
from unknot.routine.library import load_all
from unknot.routine.timeline import Event

B, E = m.Op(fmt.BEGIN), m.Op(fmt.END)


def cues(*steps: m.Op) -> list[tuple[int, str, int, int]]:
    return [tuple(e) for e in expand([B, *steps, E])]  # type: ignore[misc]


# how long the motor is busy with each cue (the pattern table): a cue never starts before the
# previous one has ended, and the waits after begin, switch and get-ready count from its end
GO, REL, SW = (core.patterns.event_ms(e) for e in ("begin", "hold_end", "switch"))


def test_cue_lengths_are_what_the_arithmetic_below_assumes() -> None:
    assert (GO, REL, SW) == (500, 750, 1100)
    assert core.patterns.event_ms("next_exercise", 3) == 900


def test_begin_end() -> None:
    assert cues() == [(0, "begin", 0, 0), (GO + 2000, "done", 1, 0)]


def test_breathe() -> None:
    # breath holds and pauses are silent: one cue per breath in, one per breath out
    assert cues(m.Op(fmt.BREATHE, (40, 10, 60, 5), count=2))[1:] == [
        (2500, "inhale", 1, 1), (7500, "exhale", 1, 1), (14000, "inhale", 1, 2),
        (19000, "exhale", 1, 2), (25500, "done", 2, 0)]
    assert [c for _, c, _, _ in cues(m.Op(fmt.BREATHE, (40, 0, 60, 0), count=1))] == [
        "begin", "inhale", "exhale", "done"]


def test_hold_ticks_and_sides() -> None:
    assert cues(m.Op(fmt.HOLD, (100,), tick=True))[1:] == [
        (2500, "hold_start", 1, 1), (7500, "tick", 1, 1), (12500, "hold_end", 1, 1),
        (12500 + REL, "done", 2, 0)]  # the release is felt whole before `done`
    assert cues(m.Op(fmt.HOLD, (99,), tick=True))[1:] == [
        (2500, "hold_start", 1, 1), (12400, "hold_end", 1, 1), (12400 + REL, "done", 2, 0)]
    # the switch waits for the release, then 3 s of quiet after the switch cue
    assert cues(m.Op(fmt.HOLD, (120,), sides=True))[1:] == [
        (2500, "hold_start", 1, 1), (14500, "hold_end", 1, 1), (14500 + REL, "switch", 1, 0),
        (14500 + REL + SW + 3000, "hold_start", 1, 2), (31350, "hold_end", 1, 2),
        (31350 + REL, "done", 2, 0)]
    no_tick = cues(m.Op(fmt.HOLD, (250,)))
    assert "tick" not in [c for _, c, _, _ in no_tick]


def test_repeat_rest_switch() -> None:
    assert cues(m.Op(fmt.REPEAT, (25, 20), count=2, sides=True))[1:] == [
        (2500, "rep", 1, 1), (5000, "rep_end", 1, 1), (7000, "rep", 1, 2),
        (9500, "rep_end", 1, 2), (11500, "switch", 1, 0), (11500 + SW + 3000, "rep", 1, 1),
        (18100, "rep_end", 1, 1), (20100, "rep", 1, 2), (22600, "rep_end", 1, 2),
        (24600, "done", 2, 0)]
    assert cues(m.Op(fmt.REST, (150,), tick=True), m.Op(fmt.SWITCH))[1:] == [
        (2500, "rest", 1, 0), (7500, "tick", 1, 0), (12500, "tick", 1, 0),
        (17500, "switch", 2, 0), (17500 + SW + 3000, "done", 3, 0)]


def test_no_cue_starts_before_the_previous_has_ended() -> None:
    """A repetition with no gap: the release and the next `go` would meet; the next one
    waits, and everything after it moves with it (no step is shortened)."""
    got = cues(m.Op(fmt.REPEAT, (10, 0), count=3))
    for (t0, c0, _s0, d0), (t1, _c1, _s1, _d1) in pairwise(got):
        assert t1 >= t0 + core.patterns.event_ms(c0, d0), got
    reps = [t for t, c, _s, _d in got if c == "rep"]
    ends = [t for t, c, _s, _d in got if c == "rep_end"]
    assert [e - r for r, e in zip(reps, ends, strict=True)] == [1000, 1000, 1000]


def test_events_are_time_ordered() -> None:
    for r in load_all():
        events = expand(r.ops())
        assert [e.t_ms for e in events] == sorted(e.t_ms for e in events)
        assert events[0] == Event(0, "begin", 0, 0)
        assert events[-1].cue == "done" and events[-1].t_ms == total_ms(r.ops())


def test_get_ready_step_and_exercise_numbers() -> None:
    hold = m.Op(fmt.HOLD, (100,))
    ready = m.Op(fmt.NEXT, (50,))
    got = cues(hold, ready, hold, ready, m.Op(fmt.SWITCH))
    assert got[1:] == [
        (2500, "hold_start", 1, 1), (12500, "hold_end", 1, 1),
        (12500 + REL, "next_exercise", 2, 2), (18850, "hold_start", 3, 1),
        (28850, "hold_end", 3, 1), (28850 + REL, "next_exercise", 4, 3),
        (35500, "switch", 5, 0), (39600, "done", 6, 0)]
    # the get-ready's 5 s are quiet: counted from the end of the taps (3 taps: exercise 3)
    assert 35500 - (28850 + REL) - core.patterns.event_ms("next_exercise", 3) == 5000
    # a get-ready right after BEGIN leads to exercise 1
    assert cues(ready, hold)[1] == (2500, "next_exercise", 1, 1)


def test_countdown_replaces_late_ticks() -> None:
    ops = [B, m.Op(fmt.HOLD, (200,), sides=True, tick=True), E]
    got = [(t, c, d) for t, c, _, d in expand(ops, countdown=3)]
    side1 = [(2500, "hold_start", 1), (7500, "tick", 1), (12500, "tick", 1),
             (17500, "tick", 1), (19500, "countdown", 3), (20500, "countdown", 2),
             (21500, "countdown", 1), (22500, "hold_end", 1)]
    assert got[1:9] == side1
    assert got[9] == (22500 + REL, "switch", 0)
    assert [c for _, c, _ in got].count("countdown") == 6
    # a tick that would fall in the countdown is dropped (17 s hold: the 15 s tick)
    late = [(t, c) for t, c, _, _ in expand([B, m.Op(fmt.HOLD, (170,), tick=True), E], 3)]
    assert late[1:7] == [(2500, "hold_start"), (7500, "tick"), (12500, "tick"),
                         (16500, "countdown"), (17500, "countdown"), (18500, "countdown")]
    # holds under 10 s, rests and breaths are not counted down
    short = expand([B, m.Op(fmt.HOLD, (99,)), m.Op(fmt.REST, (200,)), E], countdown=3)
    assert "countdown" not in [e.cue for e in short]
    # countdown 0 (and v1 files) leave the trace unchanged
    assert expand(ops, countdown=0) == expand(ops)
