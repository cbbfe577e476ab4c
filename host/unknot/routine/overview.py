"""What the wearer sees before starting: the exercises of a routine (position, time, sides)
and its whole timeline, from a parsed source or a decoded .unk.

`routines show`, `routines show --json` and `preview` print what this module computes; the
counts come from unknot.routine.count (the one count) and the times from
unknot.routine.timeline (the one expansion).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from unknot import core
from unknot.core import routine as fmt
from unknot.routine.count import Count, position, tally
from unknot.routine.decode import Decoded
from unknot.routine.model import READY, Op, Routine
from unknot.routine.timeline import expand, step_starts, total_ms


@dataclass(frozen=True)
class ExerciseView:
    number: int  # 1-based
    name: str
    say: str
    position: str  # "" when unknown (a decoded .unk carries no positions)
    props: tuple[str, ...]
    get_ready_ms: int  # the get-ready step's seconds of quiet before it, 0 if none or a wait
    waits: bool  # the get-ready before it waits for the wearer's press (onto/off the floor)
    quiet_ms: int  # measured on the timeline: no buzz from the end of the get-ready cue
    #                to the exercise's first cue (with a wait: after the press), 0 if none
    start_ms: int  # when its first step starts
    duration_ms: int  # its steps, without the get-ready
    sides: bool  # a step of it is done on each side
    steps: int


@dataclass(frozen=True)
class Overview:
    slug: str
    name: str
    version: int
    countdown: int
    count: Count
    total_ms: int
    exercises: tuple[ExerciseView, ...]
    ops: tuple[Op, ...]
    says: tuple[str, ...]  # per op ("" for BEGIN, END and get-ready steps)
    cues: tuple[str, ...]  # the vocabulary cues the routine plays, in order of first use
    props: tuple[str, ...] = ()  # every prop it needs (named by the prepare step)


def quiet_before(ops: list[Op], countdown: int = 0) -> dict[int, int]:
    """Exercise number -> ms without a buzz between the end of its get-ready cue (the
    exercise number in taps) and its first cue, from the player's own timeline."""
    events = expand(ops, countdown)
    out: dict[int, int] = {}
    for ev, nxt in pairwise(events):
        if ev.cue in ("next_exercise", "wait"):
            end = ev.t_ms + core.patterns.event_ms(ev.cue, ev.detail)
            out[ev.detail] = nxt.t_ms - end
    return out


def steps_positions(ops: list[Op]) -> list[Count]:
    """(exercise, step) of every op, as unknot.routine.count.position gives it."""
    return [position(ops, i) for i in range(len(ops))]


def of(found: Routine | Decoded) -> Overview:
    """The overview of a parsed routine or of a decoded binary."""
    if isinstance(found, Routine):
        ops = found.ops()
        slug, name, countdown = found.slug, found.name, found.countdown
        from unknot.routine.compile import format_version

        version = format_version(found)
        authored = iter(found.says)
        op_says = tuple("" if op.kind in (fmt.BEGIN, fmt.END, *READY) else next(authored, "")
                        for op in ops)
        known = found.exercises or None
    else:
        ops = found.ops
        slug, name, countdown = found.slug or "", found.name or "", found.countdown
        version = found.version
        op_says = ("",) * len(ops)
        known = None
    pos = steps_positions(ops)
    starts = step_starts(ops)
    count = tally(ops)
    quiet = quiet_before(ops, countdown)
    views: list[ExerciseView] = []
    for number in range(1, count.exercises + 1):
        idx = [i for i, op in enumerate(ops) if pos[i].exercises == number
               and op.kind not in (fmt.BEGIN, fmt.END, *READY)]
        ready = [i for i, op in enumerate(ops) if op.kind in READY and pos[i].exercises == number]
        first, last = idx[0], idx[-1]
        if known is not None:
            ex = known[number - 1]
            ex_name, say, where, props = ex.name, ex.say, ex.position, ex.props
        else:
            names = found.exercises if isinstance(found, Decoded) else ()
            ex_name = names[number - 1] if number <= len(names) else ops[first].label
            say, where, props = "", "", ()
        views.append(ExerciseView(
            number=number, name=ex_name or f"exercise {number}", say=say, position=where,
            props=props,
            get_ready_ms=sum(ops[i].durations[0] for i in ready if ops[i].kind == fmt.NEXT)
            * core.routine.DS_MS, waits=any(ops[i].kind == fmt.WAIT for i in ready),
            quiet_ms=quiet.get(number, 0),
            start_ms=starts[first][0],
            duration_ms=starts[last][0] + starts[last][1] - starts[first][0],
            sides=any(ops[i].sides for i in idx), steps=len(idx)))
    cues: list[str] = []  # the vocabulary cues the wearer feels, in order of first use
    for ev in expand(ops, countdown):
        cue = core.patterns.felt(ev.cue, ev.detail)[0]
        if cue not in cues:
            cues.append(cue)
    return Overview(slug=slug, name=name, version=version, countdown=countdown, count=count,
                    total_ms=total_ms(ops), exercises=tuple(views), ops=tuple(ops),
                    says=op_says, cues=tuple(cues),
                    props=found.props() if isinstance(found, Routine) else ())


def timeline(ov: Overview) -> list[dict[str, Any]]:
    """Every cue: time (ms), cue, exercise (number and name), step (number and label), side
    (1 or 2 in a step done on each side, else None) and the event detail."""
    ops = list(ov.ops)
    pos = steps_positions(ops)
    out: list[dict[str, Any]] = []
    side: dict[int, int] = {}
    for ev in expand(ops, ov.countdown):
        op = ops[ev.step_index]
        p = pos[ev.step_index]
        work = op.kind not in (fmt.BEGIN, fmt.END, *READY)
        if op.sides and ev.cue == "switch":
            side[ev.step_index] = 2
        exercise = p.exercises if work or op.kind in READY else None
        felt = core.patterns.felt(ev.cue, ev.detail)
        out.append({
            "t_ms": ev.t_ms,
            "cue": ev.cue,
            "felt": felt[0],
            "times": felt[1],
            "exercise": exercise,
            "exercise_name": ov.exercises[exercise - 1].name if exercise else None,
            "step": p.steps if work else None,
            "step_label": op.label or None,
            "side": side.get(ev.step_index, 1) if op.sides else None,
            "detail": ev.detail,
        })
    return out


def to_json(ov: Overview) -> dict[str, Any]:
    """The whole routine for scripts (`unknot routines show ID --json`)."""
    return {
        "id": ov.slug,
        "name": ov.name,
        "format_version": ov.version,
        "countdown_s": ov.countdown,
        "exercises_count": ov.count.exercises,
        "steps_count": ov.count.steps,
        "total_ms": ov.total_ms,
        "props": list(ov.props),
        "exercises": [{
            "number": e.number, "name": e.name, "say": e.say, "position": e.position or None,
            "props": list(e.props), "get_ready_ms": e.get_ready_ms,
            "get_ready": "press" if e.waits else ("timer" if e.get_ready_ms else None),
            "quiet_ms": e.quiet_ms, "start_ms": e.start_ms,
            "duration_ms": e.duration_ms, "sides": "each" if e.sides else "one",
            "steps": e.steps,
        } for e in ov.exercises],
        "timeline": timeline(ov),
    }
