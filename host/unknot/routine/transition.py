"""The get-ready rule: the time the wearer gets to move between two exercises.

One definition, used by the compiler (which inserts the get-ready steps) and by the
validator (which flags an author's get-ready shorter than the rule). docs/routines.md
"Exercises and get-ready steps" describes it.

- between two exercises: at least BASE_S;
- when the body position changes: at least POSITION_S, or LYING_S into or out of lying;
- plus PROP_S when the next exercise needs a prop the previous one did not use;
- before the first exercise the wearer is sitting at the desk with no props: a get-ready
  step comes first only when that position or those props change (or the author asks).
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


BASE_S = 5
POSITION_S = 8  # sitting <-> standing
LYING_S = 10  # into or out of lying
PROP_S = 5  # fetch a prop the previous exercise did not use
DESK = ("sitting", ())  # where the wearer is when the routine starts


def rule(prev: Placed | None, nxt: Placed) -> tuple[int, str]:
    """(minimum get-ready seconds before `nxt`, the reason in a few words)."""
    position, props = (prev.position, prev.props) if prev is not None else DESK
    seconds, why = BASE_S, "next exercise"
    if nxt.position != position:
        lying = "lying" in (position, nxt.position)
        seconds = LYING_S if lying else POSITION_S
        why = f"{position} to {nxt.position}"
    new = [p for p in nxt.props if p not in props]
    if new:
        seconds += PROP_S
        why += ", fetch " + " and ".join(new)
    return seconds, why


def get_ready_s(prev: Placed | None, nxt: Placed) -> int:
    """Seconds of the get-ready step before `nxt` (0: none, only before the first)."""
    seconds, _ = rule(prev, nxt)
    if prev is None and seconds == BASE_S:
        seconds = 0  # already at the desk, sitting: the routine's lead-in is enough
    if nxt.get_ready is not None:
        seconds = max(seconds, nxt.get_ready)
    return seconds
