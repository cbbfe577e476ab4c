"""Cue events of compiled steps: the firmware player's own expansion, run on the host.

The playback rules and timings (lead-in, switch, ticks, get-ready, countdown) are defined
once, in the firmware (firmware/lib/unknot/player.py `expand`, docs/format.md "Playback");
this module feeds it the steps and adds, for display, which breath, repetition or side each
event belongs to. Preview, `routines show`, the total duration and the validator use it.

Event detail: inhale / hold_in / exhale / pause: breath number (1-based); rep / rep_end:
repetition number (1-based); hold_start / hold_end / tick: side (1, or 2 after the
switch; a tick in a REST has 0); next_exercise: the number of the exercise that comes
next; countdown: seconds left; begin, switch, rest, done: 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from unknot.core import player
from unknot.core import routine as fmt
from unknot.routine.model import Op

_COUNTED = {"inhale", "hold_in", "exhale", "pause", "rep", "rep_end"}  # detail: number
_SIDED = {"hold_start", "hold_end"}  # detail: side (a tick too, unless in a REST)
_ARG = {"next_exercise", "wait", "countdown"}  # detail: the player's arg (exercise, s left)


class Event(NamedTuple):
    t_ms: int
    cue: str
    step_index: int
    detail: int


class _Steps:
    """The firmware's view of a routine: step tuples (kind, flags, a, b, c, d, e) and the
    countdown seconds (header flags in a v2 file)."""

    def __init__(self, ops: list[Op], countdown: int = 0) -> None:
        self.steps = [_step(op) for op in ops]
        self.countdown = countdown

    def iter_steps(self) -> Iterator[tuple[int, ...]]:
        return iter(self.steps)


def _step(op: Op) -> tuple[int, ...]:
    flags = ((fmt.SIDES if op.sides else 0) | (fmt.TICK if op.tick else 0)
             | (fmt.BODY if op.body else 0))
    if op.kind == fmt.BREATHE:
        inhale, hold, exhale, pause = op.durations
        return (op.kind, flags, op.count, inhale, hold, exhale, pause)
    if op.kind == fmt.REPEAT:
        work, gap = op.durations
        return (op.kind, flags, op.count, work, gap, 0, 0)
    if op.kind in (fmt.HOLD, fmt.REST, fmt.NEXT):
        return (op.kind, flags, op.durations[0], 0, 0, 0, 0)
    return (op.kind, flags, 0, 0, 0, 0, 0)


def expand(ops: list[Op], countdown: int = 0) -> list[Event]:
    """All cue events of a routine, in time order (events at one instant in step order);
    `countdown`: the routine's countdown seconds (v2)."""
    events: list[Event] = []
    index, number, side = -1, 0, 1
    for t, cue, arg, i in player.expand(_Steps(ops, countdown)):
        if i != index:
            index, number, side = i, 0, 1
        if cue in ("inhale", "rep"):
            number = arg
        elif cue == "switch" and ops[i].kind != fmt.SWITCH:
            side = 2
        if cue in _COUNTED:
            detail = number
        elif cue in _SIDED or (cue == "tick" and ops[i].kind == fmt.HOLD):
            detail = side
        elif cue in _ARG:
            detail = arg
        else:
            detail = 0
        events.append(Event(t, cue, i, detail))
    return events


def step_starts(ops: list[Op]) -> list[tuple[int, int]]:
    """(start ms, duration ms) of every step: each step's first cue is at its start."""
    starts: dict[int, int] = {}
    for t, _cue, _arg, i in player.expand(_Steps(ops), False):
        starts.setdefault(i, t)
    times = [starts[i] for i in range(len(ops))]
    ends = [*times[1:], times[-1]] if times else []
    return [(t, end - t) for t, end in zip(times, ends, strict=True)]


def total_ms(ops: list[Op]) -> int:
    """When the routine ends: the time of the `done` cue."""
    end = 0
    for t, _cue, _arg, _i in player.expand(_Steps(ops), False):
        end = t
    return end
