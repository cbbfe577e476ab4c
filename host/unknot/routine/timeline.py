"""Expand compiled steps into cue events, exactly as docs/format.md "Playback" says.

This is the one place that holds the expansion rules; preview, `routines show`, the total
duration and the validator all use it, and the firmware player's trace is checked against it.

Event detail: inhale / hold_in / exhale / pause: breath number (1-based); rep / rep_end:
repetition number (1-based); hold_start / hold_end / tick: side (1, or 2 after the
switch; a tick in a REST has 0); next_exercise: the number of the exercise that comes
next; countdown: seconds left; begin, switch, rest, done: 0.
"""

from __future__ import annotations

from typing import NamedTuple

from unknot.routine import model as m
from unknot.routine.model import Op

LEAD_IN_MS = 2000  # after BEGIN
SWITCH_MS = 3000  # to change side, after a `switch` cue
TICK_EVERY_MS = 5000
TICK_MIN_MS = 10000  # ticks only in a HOLD / REST of at least this long
DS_MS = 100


class Event(NamedTuple):
    t_ms: int
    cue: str
    step_index: int
    detail: int


def _ticks(t: int, dur: int, index: int, side: int, until: int | None = None) -> list[Event]:
    if dur < TICK_MIN_MS:
        return []
    end = dur if until is None else until
    return [Event(t + k, "tick", index, side) for k in range(TICK_EVERY_MS, end, TICK_EVERY_MS)]


def expand_step(op: Op, index: int, t: int, countdown: int = 0,
                exercise: int = 0) -> tuple[list[Event], int]:
    """The events of one step starting at t (ms) and the time the next step starts.

    countdown: the routine's countdown seconds; exercise: for a get-ready step, the number
    of the exercise it leads to.
    """
    ev: list[Event] = []
    d = [x * DS_MS for x in op.durations]
    if op.kind == m.NEXT:
        return [Event(t, "next_exercise", index, exercise)], t + d[0]
    if op.kind == m.BEGIN:
        return [Event(t, "begin", index, 0)], t + LEAD_IN_MS
    if op.kind == m.END:
        return [Event(t, "done", index, 0)], t
    if op.kind == m.SWITCH:
        return [Event(t, "switch", index, 0)], t + SWITCH_MS
    if op.kind == m.BREATHE:
        inhale, hold, exhale, pause = d
        for n in range(1, op.count + 1):
            ev.append(Event(t, "inhale", index, n))
            t += inhale
            if hold:
                ev.append(Event(t, "hold_in", index, n))
                t += hold
            ev.append(Event(t, "exhale", index, n))
            t += exhale
            if pause:
                ev.append(Event(t, "pause", index, n))
                t += pause
        return ev, t
    if op.kind == m.REST:
        ev.append(Event(t, "rest", index, 0))
        if op.tick:
            ev += _ticks(t, d[0], index, 0)
        return ev, t + d[0]
    sides = (1, 2) if op.sides else (1,)
    for side in sides:
        if side == 2:
            ev.append(Event(t, "switch", index, 0))
            t += SWITCH_MS
        if op.kind == m.HOLD:
            count = countdown if d[0] >= TICK_MIN_MS else 0
            ev.append(Event(t, "hold_start", index, side))
            if op.tick:
                ev += _ticks(t, d[0], index, side, d[0] - count * 1000)
            ev += [Event(t + d[0] - k * 1000, "countdown", index, k) for k in range(count, 0, -1)]
            t += d[0]
            ev.append(Event(t, "hold_end", index, side))
        elif op.kind == m.REPEAT:
            work, gap = d
            for n in range(1, op.count + 1):
                ev.append(Event(t, "rep", index, n))
                t += work
                ev.append(Event(t, "rep_end", index, n))
                t += gap
    return ev, t


def expand(ops: list[Op], countdown: int = 0) -> list[Event]:
    """All cue events of a routine, in time order (events at one instant in step order)."""
    from unknot.routine.count import position

    events: list[Event] = []
    t = 0
    for i, op in enumerate(ops):
        number = position(ops, i).exercises if op.kind == m.NEXT else 0
        step_events, t = expand_step(op, i, t, countdown, number)
        events += step_events
    return events


def step_starts(ops: list[Op]) -> list[tuple[int, int]]:
    """(start ms, duration ms) of every step."""
    out = []
    t = 0
    for i, op in enumerate(ops):
        _, end = expand_step(op, i, t)
        out.append((t, end - t))
        t = end
    return out


def total_ms(ops: list[Op]) -> int:
    """When the routine ends: the time of the `done` cue."""
    t = 0
    for i, op in enumerate(ops):
        _, t = expand_step(op, i, t)
    return t
