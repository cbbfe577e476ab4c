"""The get-ready rule: the time the wearer gets to move between two exercises.

One definition, used by the compiler (which inserts the get-ready steps) and by the
validator (which flags an author's get-ready shorter than the rule). docs/routines.md
"Exercises and get-ready steps" describes it.

- between two exercises: BASE_S of quiet after the exercise-number taps;
- between sitting and standing: POSITION_S;
- onto or off the floor (into or out of lying): no timer, the player waits for the
  wearer's press (WAIT, with a gentle reminder);
- before the first exercise the wearer is sitting at the desk with no props: when the
  routine needs props, a prepare step (WAIT) names them first; otherwise a get-ready comes
  first only when the position changes (or the author asks);
- a side switch in a standing or lying exercise moves the whole body: SWITCH_BODY_S.
"""

from __future__ import annotations

from typing import Protocol


class Placed(Protocol):
    """Where an exercise is done (unknot.routine.model.Exercise is one)."""

    @property
    def position(self) -> str: ...
    @property
    def props(self) -> tuple[str, ...]: ...
    @property
    def get_ready(self) -> int | None: ...


BASE_S = 5  # quiet after the get-ready taps, between two exercises
POSITION_S = 8  # ... between sitting and standing
SWITCH_S = 3  # to change side within an exercise (the player's, after the switch cue)
SWITCH_BODY_S = 5  # ... when the whole body changes side (standing or lying: v3 BODY)
DESK = ("sitting", ())  # where the wearer is when the routine starts
NEXT = "next"  # a get-ready of `seconds` of quiet after the exercise-number taps
WAIT = "wait"  # a get-ready that waits for the wearer's press (with a reminder)


def rule(prev: Placed | None, nxt: Placed, props: tuple[str, ...] = ()) -> tuple[str, int, str]:
    """(kind, least seconds, why) of the get-ready before `nxt` by the rule alone: WAIT onto
    or off the floor (lying) and, at the start, when the routine needs `props` (the prepare
    step names them); NEXT with BASE_S of quiet, POSITION_S between sitting and standing;
    ("", 0, ...) before a first exercise done sitting at the desk."""
    position = prev.position if prev is not None else DESK[0]
    if prev is None and props:
        return WAIT, 0, "prepare: " + ", ".join(props)
    if nxt.position != position and "lying" in (position, nxt.position):
        return WAIT, 0, f"{position} to {nxt.position}: press when you are in position"
    if nxt.position != position:
        return NEXT, POSITION_S, f"{position} to {nxt.position}"
    if prev is None:
        return "", 0, "at the desk: the routine's lead-in is enough"
    return NEXT, BASE_S, "next exercise"


def before(prev: Placed | None, nxt: Placed, props: tuple[str, ...] = ()) -> tuple[str, int, str]:
    """The get-ready step the compiler puts before `nxt`: the rule, or the author's longer
    `get_ready` (seconds of quiet) where the rule has a timer or none."""
    kind, seconds, why = rule(prev, nxt, props)
    if kind != WAIT and nxt.get_ready is not None and nxt.get_ready > seconds:
        return NEXT, nxt.get_ready, "the author's get-ready"
    return kind, seconds, why


def whole_body(ex: Placed) -> bool:
    """A side switch moves the whole body (standing or lying): SWITCH_BODY_S, not SWITCH_S."""
    return ex.position != DESK[0]
