"""Timeline expansion (docs/format.md "Playback") and the routine library's content."""

from __future__ import annotations

import re
from pathlib import Path

from unknot.routine import expand, total_ms
from unknot.routine import model as m
from unknot.routine.library import load_all
from unknot.routine.timeline import Event

B, E = m.Op(m.BEGIN), m.Op(m.END)
SEEDS = Path("/work/shared/seeds")


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


def test_library_content() -> None:
    routines = {r.slug: r for r in load_all()}
    seeds = {}
    for line in (SEEDS / "README.md").read_text().splitlines():
        match = re.match(r"\| (\d{3}_[0-9a-f]+\.txt) \| ([^|]+) \|", line)
        if match:
            seeds[match.group(1)] = match.group(2).strip()
    assert len(seeds) == 5
    used = {r.source_file for r in routines.values()}
    assert used == set(seeds), "one routine per source text at least"
    for r in routines.values():
        assert seeds[r.source_file] == r.source_title, r.slug
        assert "hurt" in r.safety and "health professional" in r.safety.replace(
            "doctor or another health professional", "health professional"), r.slug
    assert abs(total_ms(routines["micro-break"].ops()) - 60_000) <= 2000
    assert abs(total_ms(routines["rest-break"].ops()) - 300_000) <= 5000
    micro = routines["micro-break"].steps
    assert [s.kind for s in micro] == [m.BREATHE, m.HOLD]
    # the stretches text: holds of 20-30 s, shrugs x10 held 2-3 s, each side
    neck = routines["neck-stretches"].steps
    for s in neck:
        if s.kind == m.HOLD:
            assert 200 <= s.durations[0] <= 300
    shrugs = next(s for s in neck if s.kind == m.REPEAT)
    assert shrugs.count == 10 and 20 <= shrugs.durations[0] <= 30
    assert sum(s.sides for s in neck) == 2
    massage = routines["self-massage"].steps
    assert massage[0].durations == (600,) and massage[0].sides
