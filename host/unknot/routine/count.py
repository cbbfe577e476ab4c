"""The one count of a routine: (exercises, steps) as the wearer follows them.

The definition lives in the firmware core (`routine.tally`), because the device writes
steps done / total into every session record; the host counts through it so that
`routines list/build/show`, `preview`, the demo, the simulator panel, history and stats
all show the same numbers. BEGIN, END and the get-ready steps are not steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from unknot.core import routine as fmt
from unknot.routine.model import READY, Op
from unknot.text import plural


class Count(NamedTuple):
    exercises: int
    steps: int

    def __str__(self) -> str:
        return f"{plural(self.exercises, 'exercise')}, {plural(self.steps, 'step')}"


def tally(ops: Sequence[Op], end: int = -1) -> Count:
    """(exercises, steps) among the first `end` ops (all if end < 0)."""
    exercises, steps = fmt.tally([op.kind for op in ops], end)
    return Count(exercises, steps)


def position(ops: Sequence[Op], index: int) -> Count:
    """Where step `index` is, 1-based: (exercise number, step number). For a get-ready step,
    the exercise that comes next and the steps done so far; for BEGIN (0, 0)."""
    here = tally(ops, index + 1)
    if ops[index].kind in READY:
        return Count(here.exercises + 1, here.steps)
    return here
