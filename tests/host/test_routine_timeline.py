"""Timeline expansion (docs/format.md "Playback"); the library's content is in test_library.py."""

from __future__ import annotations

from unknot.routine import expand, total_ms
from unknot.routine import model as m
from unknot.routine.library import load_all
from unknot.routine.timeline import Event

B, E = m.Op(m.BEGIN), m.Op(m.END)


def cues(*steps: m.Op) -> list[tuple[int, str, int, int]]:
    return [tuple(e) for e in expand([B, *steps, E])]  # type: ignore[misc]


def test_begin_end() -> None:
    assert cues() == [(0, "begin", 0, 0), (2000, "done", 1, 0)]


def test_breathe() -> None:
    assert cues(m.Op(m.BREATHE, (40, 10, 60, 5), count=2))[1:] == [
        (2000, "inhale", 1, 1), (6000, "hold_in", 1, 1), (7000, "exhale", 1, 1),
        (13000, "pause", 1, 1), (13500, "inhale", 1, 2), (17500, "hold_in", 1, 2),
        (18500, "exhale", 1, 2), (24500, "pause", 1, 2), (25000, "done", 2, 0)]
    # no hold_in / pause when zero
    assert [c for _, c, _, _ in cues(m.Op(m.BREATHE, (40, 0, 60, 0), count=1))] == [
        "begin", "inhale", "exhale", "done"]


def test_hold_ticks_and_sides() -> None:
    assert cues(m.Op(m.HOLD, (100,), tick=True))[1:] == [
        (2000, "hold_start", 1, 1), (7000, "tick", 1, 1), (12000, "hold_end", 1, 1),
        (12000, "done", 2, 0)]
    assert cues(m.Op(m.HOLD, (99,), tick=True))[1:] == [
        (2000, "hold_start", 1, 1), (11900, "hold_end", 1, 1), (11900, "done", 2, 0)]
    assert cues(m.Op(m.HOLD, (120,), sides=True))[1:] == [
        (2000, "hold_start", 1, 1), (14000, "hold_end", 1, 1), (14000, "switch", 1, 0),
        (17000, "hold_start", 1, 2), (29000, "hold_end", 1, 2), (29000, "done", 2, 0)]
    no_tick = cues(m.Op(m.HOLD, (250,)))
    assert "tick" not in [c for _, c, _, _ in no_tick]


def test_repeat_rest_switch() -> None:
    assert cues(m.Op(m.REPEAT, (25, 20), count=2, sides=True))[1:] == [
        (2000, "rep", 1, 1), (4500, "rep_end", 1, 1), (6500, "rep", 1, 2),
        (9000, "rep_end", 1, 2), (11000, "switch", 1, 0), (14000, "rep", 1, 1),
        (16500, "rep_end", 1, 1), (18500, "rep", 1, 2), (21000, "rep_end", 1, 2),
        (23000, "done", 2, 0)]
    assert cues(m.Op(m.REST, (150,), tick=True), m.Op(m.SWITCH))[1:] == [
        (2000, "rest", 1, 0), (7000, "tick", 1, 0), (12000, "tick", 1, 0),
        (17000, "switch", 2, 0), (20000, "done", 3, 0)]


def test_events_are_time_ordered() -> None:
    for r in load_all():
        events = expand(r.ops())
        assert [e.t_ms for e in events] == sorted(e.t_ms for e in events)
        assert events[0] == Event(0, "begin", 0, 0)
        assert events[-1].cue == "done" and events[-1].t_ms == total_ms(r.ops())


def test_get_ready_step_and_exercise_numbers() -> None:
    hold = m.Op(m.HOLD, (100,))
    ready = m.Op(m.NEXT, (50,))
    got = cues(hold, ready, hold, ready, m.Op(m.SWITCH))
    assert got[1:] == [
        (2000, "hold_start", 1, 1), (12000, "hold_end", 1, 1),
        (12000, "next_exercise", 2, 2), (17000, "hold_start", 3, 1), (27000, "hold_end", 3, 1),
        (27000, "next_exercise", 4, 3), (32000, "switch", 5, 0), (35000, "done", 6, 0)]
    # a get-ready right after BEGIN leads to exercise 1
    assert cues(ready, hold)[1] == (2000, "next_exercise", 1, 1)


def test_countdown_replaces_late_ticks() -> None:
    ops = [B, m.Op(m.HOLD, (200,), sides=True, tick=True), E]
    got = [(t, c, d) for t, c, _, d in expand(ops, countdown=3)]
    side1 = [(2000, "hold_start", 1), (7000, "tick", 1), (12000, "tick", 1),
             (17000, "tick", 1), (19000, "countdown", 3), (20000, "countdown", 2),
             (21000, "countdown", 1), (22000, "hold_end", 1)]
    assert got[1:9] == side1
    assert got[9] == (22000, "switch", 0)
    assert [c for _, c, _ in got].count("countdown") == 6
    # a tick that would fall in the countdown is dropped (17 s hold: the 15 s tick)
    late = [(t, c) for t, c, _, _ in expand([B, m.Op(m.HOLD, (170,), tick=True), E], 3)]
    assert late[1:7] == [(2000, "hold_start"), (7000, "tick"), (12000, "tick"),
                         (16000, "countdown"), (17000, "countdown"), (18000, "countdown")]
    # holds under 10 s, rests and breaths are not counted down
    short = expand([B, m.Op(m.HOLD, (99,)), m.Op(m.REST, (200,)), E], countdown=3)
    assert "countdown" not in [e.cue for e in short]
    # countdown 0 (and v1 files) leave the trace unchanged
    assert expand(ops, countdown=0) == expand(ops)
