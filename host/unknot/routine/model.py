"""The routine model shared by parser, compiler, decoder and timeline.

A routine is a list of `Op`s: exactly the steps of the binary format (docs/format.md),
BEGIN and END included. Durations are integer deciseconds (ds), as in the format.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from unknot.core import routine as fmt
from unknot.errors import RoutineError
from unknot.routine import transition

# The one table of kind names (the device has no use for them): sources, `routines show`
# and `unknot sim` all read it.
# (kind codes and op-byte flags are the firmware's: unknot.core.routine)
KIND_NAMES = {
    fmt.BEGIN: "begin",
    fmt.END: "end",
    fmt.BREATHE: "breathe",
    fmt.HOLD: "hold",
    fmt.REPEAT: "repeat",
    fmt.REST: "rest",
    fmt.SWITCH: "switch",
    fmt.NEXT: "get ready",
    fmt.WAIT: "wait for press",
}
# The get-ready steps (inserted by the compiler): not steps of their own, they lead to an
# exercise; NEXT has seconds of quiet, WAIT waits for the wearer's press (v3).
READY = (fmt.NEXT, fmt.WAIT)

# Body positions of an exercise (docs/routines.md "Exercises").
POSITIONS = ("sitting", "standing", "lying")
# Source use: a text the routine's exercises and timings come from, or advice only.
SOURCE_USES = ("exercises", "advice")
MAX_COUNTDOWN_S = fmt.COUNTDOWN_MASK >> fmt.COUNTDOWN_SHIFT  # what the v2 header holds

# Validator limits (docs/routines.md "Limits").
MAX_STEPS = 200  # compiled steps, BEGIN and END included
MAX_TOTAL_S = 60 * 60
MAX_LONG_DS = 6000  # single HOLD / REST: 600 s
MAX_SHORT_DS = 255  # BREATHE phases, REPEAT work / gap: 25.5 s
MAX_COUNT = 255
MAX_TEXT_BYTES = 255
MAX_FILE_BYTES = 0xFFFF


@dataclass(frozen=True)
class Op:
    """One binary step.

    durations (ds): BREATHE (inhale, hold, exhale, pause); HOLD and REST (duration,);
    REPEAT (work, gap); BEGIN, END, SWITCH ().  count: breaths or repetitions, else 0.
    """

    kind: int
    durations: tuple[int, ...] = ()
    count: int = 0
    sides: bool = False
    tick: bool = False
    label: str = ""
    body: bool = False  # v3, with sides: the whole body changes side (transition.whole_body)


@dataclass(frozen=True)
class Source:
    """A text a routine credits: `use` is "exercises" (steps and timings come from it) or
    "advice" (it gives advice the routine follows, but no exercise or timing)."""

    file: str
    title: str
    use: str = "exercises"


@dataclass(frozen=True)
class Exercise:
    """A named group of steps done in one body position; `get_ready` is the author's
    request for the get-ready time before it (seconds, None: the rule's default)."""

    name: str
    say: str
    position: str
    props: tuple[str, ...]
    steps: tuple[Op, ...]
    says: tuple[str, ...]
    get_ready: int | None = None


@dataclass
class Routine:
    """A parsed and validated routine source.

    A v1 source lists `steps` directly; a v2 source groups them in `exercises` (then
    `steps` is the flat list of all their steps, in order).
    """

    slug: str
    name: str
    summary: str
    safety: str
    source_file: str  # the first source (the one the exercises come from, if any)
    source_title: str
    steps: list[Op]  # authored steps, without BEGIN / END / get-ready
    says: list[str] = field(default_factory=list)  # short instruction per authored step
    path: str = ""
    exercises: list[Exercise] = field(default_factory=list)
    countdown: int = 0  # seconds counted down at the end of holds of 10 s or more
    sources: list[Source] = field(default_factory=list)
    numbers_text: list[str] = field(default_factory=list)  # numbers taken from the text
    numbers_chosen: list[str] = field(default_factory=list)  # numbers the project chose

    def ops(self) -> list[Op]:
        """The compiled step list: BEGIN, the steps, END; with exercises, a get-ready step
        before each one as the rule (unknot.routine.transition) says: NEXT (seconds of
        quiet) or WAIT (until the wearer presses: onto or off the floor, and the prepare
        step at the start when the routine needs props)."""
        if not self.exercises:
            return [Op(fmt.BEGIN), *self.steps, Op(fmt.END)]
        ops = [Op(fmt.BEGIN)]
        prev: Exercise | None = None
        props = self.props()
        for ex in self.exercises:
            kind, seconds, _why = transition.before(prev, ex, props)
            # no label: the exercise names are in the label table already (device RAM)
            if kind == transition.WAIT:
                ops.append(Op(fmt.WAIT))
            elif kind == transition.NEXT:
                ops.append(Op(fmt.NEXT, durations=(seconds * 1000 // fmt.DS_MS,)))
            body = transition.whole_body(ex)
            ops += [replace(op, body=True) if op.sides and body else op for op in ex.steps]
            prev = ex
        return [*ops, Op(fmt.END)]

    def props(self) -> tuple[str, ...]:
        """Every prop the routine needs, in order of first use (the prepare step names
        them)."""
        out: list[str] = []
        for ex in self.exercises:
            out += [p for p in ex.props if p not in out]
        return tuple(out)


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, printed as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # about the whole input (a missing file, an unknown id)
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ProblemsError(RoutineError):
    """One or more problems in routine inputs; all are collected before raising."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
