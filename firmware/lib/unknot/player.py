"""Player: turns routine steps into cues on absolute deadlines (docs/format.md "Playback").

`expand(routine)` yields (t_ms, cue, arg, step_index) relative to the routine start. It is
the one definition of the playback rules and timings: the host timeline
(host/unknot/routine/timeline.py) runs this same generator. `Player` schedules those cues on
an absolute monotonic millisecond clock: deadline = base + t_ms - latency, where base only
moves on pause/resume, so no error accumulates over a long routine.
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from .patterns import event_ms
from .routine import (
    BEGIN,
    BODY,
    BREATHE,
    DS_MS,
    END,
    HOLD,
    NEXT,
    REPEAT,
    REST,
    SIDES,
    SWITCH,
    TICK,
    WAIT,
)

_LEAD_IN_MS = const(2000)  # after the begin cue has ended
_SWITCH_MS = const(3000)  # to change side, after the switch cue has ended
_SWITCH_BODY_MS = const(5000)  # ... when the whole body changes side (v3 BODY flag)
_REMIND_MS = const(20000)  # while a WAIT waits for the press: the number again, this often
_TICK_MS = const(5000)  # light ticks every 5 s
_TICK_MIN_DS = const(100)  # ticks (and the countdown) only in a HOLD/REST of 10 s or more
_S_MS = const(1000)  # countdown cues are one second apart
_ZEROS = (0, 0, 0, 0, 0, 0, 0)  # a step tuple's fields, all 0


def _ticks(start, duration_ms):
    t = _TICK_MS
    while t < duration_ms:
        yield start + t
        t += _TICK_MS


def _hold(t, a, flags, count, ticks):
    """The cues of a HOLD step of `a` ds (both sides with SIDES, ticks with TICK and
    `ticks`, the last `count` seconds counted down) from t (ms), then the time after it."""
    dur = a * DS_MS
    for side in range(2 if flags & SIDES else 1):
        if side:
            yield t, "switch", 0
            t += event_ms("switch") + (_SWITCH_BODY_MS if flags & BODY else _SWITCH_MS)
        yield t, "hold_start", 0
        if ticks and flags & TICK and a >= _TICK_MIN_DS:
            for tt in _ticks(t, dur - count * _S_MS):
                yield tt, "tick", 0
        for k in range(count, 0, -1):
            yield t + dur - k * _S_MS, "countdown", k
        t += dur
        yield t, "hold_end", 0
    return t


def _step_cues(routine, step, t, number, ticks):
    """Yield (t_ms, event, arg) of one step starting at `t`, then (end ms, None, 0).
    `number`: the exercise a NEXT gets ready for."""
    # decoded from the file bytes as played, as short as the kind needs: pad the fields
    kind, flags, a, b, c, d, e = step + _ZEROS[len(step):]
    if kind == NEXT:
        yield t, "next_exercise", number
        t += event_ms("next_exercise", number) + a * DS_MS
    elif kind == WAIT:
        # the Player stops the clock at the end of the cue until the wearer presses; then
        # the lead-in, as at the start
        yield t, "wait", number
        t += event_ms("wait", number) + _LEAD_IN_MS
    elif kind == BEGIN:
        yield t, "begin", 0
        t += event_ms("begin") + _LEAD_IN_MS
    elif kind == BREATHE:
        for n in range(a):
            yield t, "inhale", n + 1
            t += (b + c) * DS_MS  # a breath hold is silent
            yield t, "exhale", 0
            t += (d + e) * DS_MS  # and so is the pause after the breath
    elif kind == HOLD:
        # countdown: the last seconds of a hold of 10 s or more, ticks stop before them
        count = routine.countdown if a >= _TICK_MIN_DS else 0
        t = yield from _hold(t, a, flags, count, ticks)
    elif kind == REPEAT:
        for side in range(2 if flags & SIDES else 1):
            if side:
                yield t, "switch", 0
                t += event_ms("switch") + (_SWITCH_BODY_MS if flags & BODY else _SWITCH_MS)
            for n in range(a):
                yield t, "rep", n + 1
                t += b * DS_MS
                yield t, "rep_end", 0
                t += c * DS_MS
    elif kind == REST:
        dur = a * DS_MS
        yield t, "rest", 0
        if ticks and flags & TICK and a >= _TICK_MIN_DS:
            for tt in _ticks(t, dur):
                yield tt, "tick", 0
        t += dur
    elif kind == SWITCH:
        yield t, "switch", 0
        t += event_ms("switch") + _SWITCH_MS
    elif kind == END:
        yield t, "done", 0
    yield t, None, 0


def expand(routine, ticks=True, counts=None):
    """Yield (t_ms, event, arg, step_index) for every cue of `routine` in time order.

    `event` is what happens (patterns.felt maps it to the cue the wearer feels). `arg` is
    the repetition number (1-based) for `rep`, the breath number for `inhale`, the number of
    the exercise that comes next for `next_exercise` (tapped that many times), the seconds
    left for `countdown`, else 0. Breath holds and pauses are silent.

    Every cue is felt whole: a cue never starts before the one before it has ended
    (patterns.event_ms); when one is due earlier, it and everything after it move later by
    the difference, so no step is shortened. The waits after `begin`, `next_exercise` and
    `switch` are counted from the end of their cue: a get-ready of N s is N s of quiet.

    `counts` (a one-item list, optional): while a step's cues are yielded, counts[0] is the
    work steps before it (routine.tally's count); after the last cue, all of them.
    """
    t = 0  # the routine's own time (steps one after the other)
    free = 0  # when the motor is free again (played time)
    shift = 0  # how far the cues have moved later so that none is cut
    exercise = 0  # exercises started so far (routine.tally's count)
    fresh = True
    i = 0
    work = 0  # work steps before this one
    for step in routine.iter_steps():
        kind = step[0]
        if counts is not None:
            counts[0] = work
        if kind == NEXT or kind == WAIT:
            fresh = True
        elif kind != BEGIN and kind != END:
            work += 1
            if fresh:
                exercise += 1
                fresh = False
        for tc, event, arg in _step_cues(routine, step, t, exercise + 1, ticks):
            if event is None:
                t = tc
                break
            at = tc + shift
            if at < free:
                shift += free - at
                at = free
            free = at + event_ms(event, arg)
            yield at, event, arg, i
        i += 1
    if counts is not None:
        counts[0] = work


def trace(routine, ticks=True):
    """The (t_ms, cue) list of a routine (for tests and the host comparison)."""
    return [(t, cue) for t, cue, _arg, _i in expand(routine, ticks)]


class Player:
    """Plays one routine. Drive it with `next_deadline()` and `poll(now, emit)`."""

    def __init__(self, routine, latency_ms=0, ticks=True):
        self.routine = routine
        self.latency = latency_ms
        self._counts = [0]  # expand's work-step count (steps_done without a walk)
        self._gen = expand(routine, ticks, self._counts)
        self._next = None
        self._done = 0  # work steps before the step of the last cue played
        self.base = 0
        self.started = 0
        self.paused_at = None
        self.paused_ms = 0
        self.finished = False
        self.step_index = 0
        self.ended_at = None
        self.waiting = None  # at a WAIT: [exercise number, next reminder ms], until proceed()

    def start(self, now):
        self.base = now
        self.started = now
        self._advance()

    def _advance(self):
        try:
            self._next = next(self._gen)
        except StopIteration:
            self._next = None

    @property
    def playing(self):
        return self.paused_at is None and not self.finished

    def next_deadline(self):
        """Absolute ms at which the next cue must be sent, or None (paused/finished); at a
        WAIT, when the reminder is due."""
        if self.waiting is not None:
            return self.waiting[1] - self.latency
        if self._next is None or self.paused_at is not None:
            return None
        return self.base + self._next[0] - self.latency

    def poll(self, now, emit):
        """Call emit(cue, arg, scheduled_ms) for each cue due at `now`; returns count played.

        `scheduled_ms` is when the cue should be felt (the deadline without the latency).
        """
        count = 0
        wait = self.waiting
        if wait is not None and now >= wait[1] - self.latency:  # the gentle reminder
            emit("wait", wait[0], wait[1])
            wait[1] += _REMIND_MS
            return 1
        while self._next is not None and self.paused_at is None:
            t, cue, arg, index = self._next
            if self.base + t - self.latency > now:
                break
            self.step_index = index
            self._done = self._counts[0]  # (counted up to `_next`'s step: this cue's)
            if cue == "wait":  # the clock stops when the cue has ended, until proceed()
                stop = self.base + t + event_ms(cue, arg)
                self.paused_at = stop
                self.waiting = [arg, stop + _REMIND_MS]
            emit(cue, arg, self.base + t)
            count += 1
            self._advance()
            if cue == "done":
                self.finished = True
                self.ended_at = now
                self._next = None
        return count

    def pause(self, now):
        if self.paused_at is None and not self.finished:
            self.paused_at = now

    def proceed(self, now):
        """The wearer's press at a WAIT: the routine goes on (its lead-in first)."""
        if self.waiting is not None:
            self.waiting = None
            self.resume(max(now, self.paused_at))

    def resume(self, now):
        if self.paused_at is not None:
            self.base += now - self.paused_at
            self.paused_ms += now - self.paused_at
            self.paused_at = None

    def steps_done(self):
        """Work steps (BEGIN/END excluded) played to the end (counted as they are played:
        no walk of the routine)."""
        if self.finished:
            return self.steps_total()
        return self._done

    def steps_total(self):
        """The routine's work steps (routine.work_steps; counted without a walk once the
        last cue was played: expand's count after its last cue)."""
        return self._counts[0] if self.finished else self.routine.work_steps()

    def active_ms(self, now):
        end = now if self.paused_at is None else self.paused_at
        return end - self.started - self.paused_ms
