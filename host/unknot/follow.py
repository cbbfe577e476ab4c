"""`unknot follow`: what the wrist is doing, live on the laptop.

The device sends a STATUS frame (docs/protocol.md "Status"; format and events in the
firmware's status.py, read through unknot.core) on each change: routine started, step, side,
paused/resumed, done/stopped, nudge, idle with the time to the next break. Each frame carries
the routine clock (ms since the routine started, pauses excluded) at the moment it is sent,
so the host puts the routine's time origin on its own clock (`base_s`) and predicts every cue
of the routine with the firmware's own expansion (unknot.routine.overview / timeline): the
countdown runs on the laptop between frames and is re-anchored by every frame, so nothing
accumulates. The routine's names, instructions and positions come from the host's routine
library, found by the routine id the device sends.

`Follower` is the state machine (frames in, JSON-able events and a `View` out), `run()` the
connect / follow / reconnect-with-backoff loop over any `open_device` session.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from unknot import core
from unknot.core import wire
from unknot.errors import DeviceError, RoutineError, SyncError
from unknot.routine.model import READY

if TYPE_CHECKING:
    from unknot.ble.session import Session
    from unknot.routine.overview import ExerciseView, Overview

_S = core.status
EVENT_NAMES: dict[int, str] = dict(enumerate(_S.EVENTS))  # code -> name
BACKOFF_S = (1.0, 30.0)  # reconnect: first wait, longest wait (doubling in between)

Connect = Callable[[], AbstractAsyncContextManager["Session"]]


@dataclass(frozen=True)
class Status:
    """One decoded STATUS frame."""

    event: str
    routine_id: int | None  # None: no routine (idle, nudge)
    step: int | None  # index into the routine's compiled steps
    side2: bool  # the step is on its second side (after its switch cue)
    paused: bool
    nudge: bool  # a break is due (the device nudges)
    pos_ms: int  # routine clock when sent (frozen while paused)
    next_break_s: int | None


def decode(frame: bytes) -> Status:
    if len(frame) != _S.STATUS_SIZE or frame[0] != _S.F_STATUS:
        raise DeviceError(f"not a STATUS frame: {frame.hex()}")
    _t, ev, step, flags, rid, pos, nxt = wire.unpack(_S.STATUS, frame)
    playing = step != _S.NO_STEP
    return Status(EVENT_NAMES.get(ev, f"event{ev}"), rid if playing or rid else None,
                  step if playing else None, bool(flags & _S.FL_SIDE2),
                  bool(flags & _S.FL_PAUSED), bool(flags & _S.FL_NUDGE), pos,
                  None if nxt == _S.NO_BREAK else nxt)


class Library:
    """Routine id -> Overview, for the routines this host knows (library + user folder)."""

    def __init__(self, overviews: list[Overview] | None = None) -> None:
        self._by_id: dict[int, Overview] | None = None
        if overviews is not None:
            self._by_id = {_rid(o.slug): o for o in overviews}

    def get(self, routine_id: int) -> Overview | None:
        if self._by_id is None:
            from unknot.routine import overview
            from unknot.routine.library import load_all

            try:
                found = load_all()
            except RoutineError:
                found = []
            self._by_id = {_rid(r.slug): overview.of(r) for r in found}
        return self._by_id.get(routine_id)


def _rid(slug: str) -> int:
    from unknot.routine.compile import routine_id

    return routine_id(slug)


@dataclass
class View:
    """What the laptop shows at one instant."""

    state: str  # idle, nudge, playing, paused, done, stopped
    routine: str = ""
    exercise: ExerciseView | None = None
    exercises: int = 0
    getting_ready: bool = False  # in the get-ready pause before `exercise`
    step_label: str = ""
    side: int | None = None  # 1 or 2 in a step done on each side
    step_left_ms: int | None = None
    next_cue: str = ""
    next_cue_ms: int | None = None
    next_exercise: ExerciseView | None = None
    next_break_ms: int | None = None


@dataclass
class Follower:
    """Turns STATUS frames into events and views; times are host `time.monotonic()` s.
    `rate`: device ms per host ms (1 for a board; the simulated device's clock speed)."""

    library: Library = field(default_factory=Library)
    rate: float = 1.0
    last: Status | None = None
    overview: Overview | None = None
    base_s: float = 0.0  # host time of the routine's t = 0 (re-anchored by every frame)
    paused_pos: int | None = None
    at_s: float = 0.0  # host time of the last frame
    plan: dict[int, float] = field(default_factory=dict)  # cue index -> predicted host s
    _cues: list[tuple[int, str, int]] = field(default_factory=list)  # (t_ms, cue, step)
    _starts: list[int] = field(default_factory=list)  # each step's start (ms)

    def feed(self, st: Status, at_s: float) -> dict[str, Any]:
        """Take one frame received at host time `at_s`; return its event (a JSON object)."""
        self.last, self.at_s = st, at_s
        if st.step is None:
            self.overview = None
            self.paused_pos = None
        else:
            rid = st.routine_id or 0
            if self.overview is None or _rid(self.overview.slug) != rid or st.event == "start":
                self._load(self.library.get(rid))
                self.plan = {}
            self.base_s = at_s - st.pos_ms / 1000.0 / self.rate
            self.paused_pos = st.pos_ms if st.paused else None
            if self.paused_pos is None:
                for i, (t, _cue, _s) in enumerate(self._cues):
                    when = self.base_s + t / 1000.0 / self.rate
                    if t > st.pos_ms:  # still to come: the latest prediction before it
                        self.plan[i] = when
        return self.event(at_s)

    def _load(self, ov: Overview | None) -> None:
        self.overview = ov
        self._cues, self._starts = [], []
        if ov is None:
            return
        from unknot.routine.timeline import expand, step_starts

        self._cues = [(e.t_ms, e.cue, e.step_index) for e in expand(list(ov.ops), ov.countdown)]
        self._starts = [t for t, _d in step_starts(list(ov.ops))]

    def routine_ms(self, now_s: float) -> int:
        if self.paused_pos is not None:
            return self.paused_pos
        return int((now_s - self.base_s) * 1000.0 * self.rate)

    def view(self, now_s: float) -> View:
        st = self.last
        if st is None:
            return View(state="connecting")
        if st.step is None:
            nxt = None
            if st.next_break_s is not None:
                nxt = int(st.next_break_s * 1000 - (now_s - self.at_s) * 1000 * self.rate)
            state = "nudge" if st.nudge else "idle"
            return View(state=state, next_break_ms=nxt)
        ov = self.overview
        state = "paused" if self.paused_pos is not None else "playing"
        if ov is None:
            return View(state=state, routine=f"routine #{st.routine_id:04x} (not in this "
                        "host's library)", side=2 if st.side2 else None)
        from unknot.routine.count import position

        t = self.routine_ms(now_s)
        step = st.step
        # the device says which step; between frames the host's clock moves on
        for i, start in enumerate(self._starts):
            if start <= t and i >= step:
                step = i
        ops = list(ov.ops)
        step = min(step, len(ops) - 1)
        op = ops[step]
        number = position(ops, step).exercises  # a get-ready step: the exercise to come
        ready = op.kind in READY
        ex = ov.exercises[number - 1] if 1 <= number <= len(ov.exercises) else None
        after = ov.exercises[number] if ex is not None and number < len(ov.exercises) else None
        v = View(state=state, routine=ov.name or ov.slug, exercise=ex,
                 exercises=len(ov.exercises), getting_ready=ready, step_label=op.label,
                 next_exercise=after)
        if op.sides:
            v.side = 2 if any(c == "switch" and s == step and tc <= t
                              for tc, c, s in self._cues) else 1
        if step + 1 < len(self._starts):
            v.step_left_ms = max(0, self._starts[step + 1] - t)
        for tc, cue, _s in self._cues:
            if tc > t:
                v.next_cue, v.next_cue_ms = cue, tc - t
                break
        return v

    def event(self, now_s: float) -> dict[str, Any]:
        """The JSON object of the last frame (one line of `unknot follow --json`)."""
        st = self.last
        assert st is not None
        v = self.view(now_s)
        out: dict[str, Any] = {"event": st.event, "state": v.state}
        if st.step is not None:
            out.update(routine=self.overview.slug if self.overview else None,
                       routine_id=st.routine_id, routine_ms=st.pos_ms, step_index=st.step,
                       side=v.side, step_label=v.step_label or None,
                       step_left_ms=v.step_left_ms, next_cue=v.next_cue or None,
                       next_cue_ms=v.next_cue_ms, getting_ready=v.getting_ready,
                       exercise=_ex(v.exercise), next_exercise=_ex(v.next_exercise))
        else:
            out["next_break_s"] = st.next_break_s
        return out


def _ex(e: ExerciseView | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"number": e.number, "name": e.name, "say": e.say,
            "position": e.position or None, "props": list(e.props)}


async def run(connect: Connect, follower: Follower, on_event: Callable[[dict[str, Any]], None],
              on_link: Callable[[str], None], stop: asyncio.Event,
              backoff: tuple[float, float] = BACKOFF_S) -> None:
    """Follow until `stop` is set: connect, ask for STATUS frames, feed them; when the link
    drops or the device cannot be reached, wait (doubling from backoff[0] up to backoff[1],
    reset by a good connection) and connect again."""
    delay = backoff[0]
    while not stop.is_set():
        try:
            async with connect() as session:
                await session.follow(True)
                on_link(f"following {session.name or session.address}")
                delay = backoff[0]
                while not stop.is_set():
                    frame = await _until_stopped(session.status_frame(), stop)
                    if frame is None:
                        break
                    on_event(follower.feed(decode(frame), time.monotonic()))
        except (DeviceError, SyncError) as exc:
            on_link(f"{exc}; reconnecting in {delay:g} s")
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, backoff[1])


async def _until_stopped(wait: Coroutine[Any, Any, bytes], stop: asyncio.Event) -> bytes | None:
    """The result of `wait`, or None once `stop` is set; neither task outlives the call."""
    frame_task = asyncio.ensure_future(wait)
    stop_task = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({frame_task, stop_task},
                                     return_when=asyncio.FIRST_COMPLETED)
        return frame_task.result() if frame_task in done else None
    finally:
        for task in (frame_task, stop_task):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


@asynccontextmanager
async def sim_target() -> AsyncIterator[tuple[Connect, float]]:
    """`follow --sim`: the running `unknot sim` (its clock speed from its link file), else
    the simulated device served and run in this process at real speed."""
    from unknot.ble import open_device
    from unknot.radio import pick
    from unknot.sim import interproc

    running = interproc.running_link(interproc.sim_dir())
    if running is not None:
        yield (lambda: open_device(radio=pick(True))), running.speed
        return
    from unknot.sim.device import SimDevice
    from unknot.sim.engine import Engine
    from unknot.sim.radio import SimRadio
    from unknot.sim.scaledclock import ScaledClock

    directory = interproc.sim_dir()
    device = SimDevice(directory, clock=ScaledClock(1.0))
    engine = Engine(device)
    engine.start()
    radio = await SimRadio(device.app, keys_dir=directory).start()
    try:
        yield (lambda: open_device(radio=radio)), 1.0
    finally:
        await radio.stop()
        await engine.stop()


def notifier() -> Callable[[str, str], None]:
    """A desktop notification function (the optional `desktop-notifier` library)."""
    try:
        from desktop_notifier import DesktopNotifier
    except ImportError:
        raise DeviceError("desktop notifications need the optional desktop-notifier library: "
                          "pip install 'unknot[notify]' (from a checkout: pip install "
                          "-e '.[notify]')") from None
    dn = DesktopNotifier(app_name=core.gatt.NAME_PREFIX)
    pending: set[asyncio.Future[Any]] = set()

    def send(title: str, message: str) -> None:
        task = asyncio.ensure_future(dn.send(title=title, message=message))
        pending.add(task)
        task.add_done_callback(pending.discard)

    return send
