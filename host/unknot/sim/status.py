"""What a simulated device shows: `Status`, a snapshot of the firmware App (state, routine,
step and countdowns, next break, journal) computed by `status_of()`, for the live panel of
`unknot sim` and `unknot demo` (`unknot.sim.panel`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unknot import core
from unknot.core import routine as fmt
from unknot.history.records import device_id_hex
from unknot.routine.model import KIND_NAMES


@dataclass
class Status:
    now_ms: int
    level: int  # the motor's level now, 0..255
    cue: str | None  # the last cue played
    journal: int
    head: int
    device_id: str
    clock_set: bool
    state: str = "idle"
    routine: str = ""
    step: tuple[int, int] | None = None  # (step number, steps) as routine.tally counts
    exercise: tuple[int, int] | None = None  # (exercise number, exercises)
    step_label: str = ""
    step_left_ms: int | None = None
    next_cue_ms: int | None = None
    reminder_ms: int | None = None


def _routine_labels(app: Any, routine: Any) -> list[str]:
    """Step labels of the routine file on the device (the firmware keeps only the name)."""
    from unknot.routine.decode import decode

    try:
        data = app.storage.read(routine.file) if routine.file else b""
        return [op.label for op in decode(bytes(data)).ops] if data else []
    except Exception:
        return []


class StepTables:
    """The playing routine's step start times and labels, and the selected routine's name,
    each worked out once: the App decodes a routine from its file for each play and keeps
    only an index (app.Entry), so the tables hold the one routine they describe (a new
    routine object, or a new index list, is a new entry)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._player = core.player
        self._routine: Any = None
        self._starts: list[int] = []
        self._labels: list[str] = []
        self._selected: tuple[Any, int, str | None] = (None, -1, None)

    def _use(self, routine: Any) -> None:
        if routine is self._routine:
            return
        starts: list[int] = []
        ticks = bool(self.app.settings["UNKNOT_TICKS"])
        for t, _cue, _arg, index in self._player.expand(routine, ticks):
            while len(starts) <= index:
                starts.append(t)
        self._routine, self._starts = routine, starts
        self._labels = _routine_labels(self.app, routine)

    def starts(self, routine: Any) -> list[int]:
        self._use(routine)
        return self._starts

    def labels(self, routine: Any) -> list[str]:
        self._use(routine)
        return self._labels

    def selected_name(self) -> str | None:
        """The selected routine's name (its slug if its file cannot be read): read once per
        selection and index, not at every refresh of the panel."""
        app = self.app
        if not app.routines:
            return None
        index, i, name = self._selected
        if index is not app.routines or i != app.selected:
            entry = app.routines[app.selected]
            try:
                r = app.routine(app.selected)
                name = r.name or r.slug
            except Exception:
                name = entry.slug
            self._selected = (app.routines, app.selected, name)
        return name


def status_of(app: Any, tables: StepTables, now: int, cue: str | None, level: int) -> Status:
    """The App's state at `now` (device ms); `cue`/`level`: the motor's last cue and level."""
    st = Status(
        now_ms=now,
        level=level,
        cue=cue,
        journal=len(app.journal),
        head=int(app.journal.head),
        device_id=device_id_hex(bytes(app.device_id)),
        clock_set=app.clock.unix() is not None,
    )
    player = app.player
    if player is not None:
        r = player.routine
        st.state = "paused" if player.paused_at is not None else "playing"
        st.routine = r.name or r.slug or f"#{r.id:04x}"
        idx = int(player.step_index)
        # the one count (routine.tally): exercise and step number, BEGIN/END/get-ready are
        # not steps; during a get-ready step the exercise shown is the one that comes next
        ex_total, steps_total = r.tally()
        ex_no, step_no = r.tally(idx + 1)
        steps = r.steps  # decoded from the file bytes on each access: once here
        if idx < len(steps) and steps[idx][0] == fmt.NEXT:
            ex_no += 1
        st.step = (step_no, steps_total)
        st.exercise = (ex_no, ex_total)
        labels = tables.labels(r)
        kind = KIND_NAMES.get(steps[idx][0], "?") if idx < len(steps) else ""
        label = labels[idx] if idx < len(labels) else ""
        st.step_label = f"{kind}: {label}" if label else kind
        starts = tables.starts(r)
        if idx + 1 < len(starts) and player.paused_at is None:
            st.step_left_ms = player.base + starts[idx + 1] - now
        nd = player.next_deadline()
        if nd is not None:
            st.next_cue_ms = nd - now
    else:
        rem = app.reminders
        if rem.pending is not None:
            st.state = f"nudge: {rem.pending} break (press = start, double = snooze)"
        else:
            st.state = "idle"
            due = [d for d in (rem.micro_due, rem.rest_due) if d is not None]
            if due:
                st.reminder_ms = min(due) - now
        name = tables.selected_name()
        if name is not None:
            st.routine = f"selected: {name}"
    return st
