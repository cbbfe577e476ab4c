"""How a routine is shown on the terminal (`unknot routines show`, `unknot preview`): times,
one line per step, a cue's motor envelope (the firmware pattern table) as a sparkline, and
the real-time pacing of a preview."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from unknot import core
from unknot.routine import model as m
from unknot.routine.decode import Decoded
from unknot.routine.library import find
from unknot.routine.model import Op, Routine
from unknot.routine.timeline import Event

Envelope = Sequence[tuple[int, int]]  # (level 0..255, duration ms)


def fmt_time(ms: int) -> str:
    """m:ss, with tenths when there are any."""
    s, tenths = divmod(ms // 100, 10)
    minutes, s = divmod(s, 60)
    return f"{minutes}:{s:02d}" + (f".{tenths}" if tenths else "")


def resolve(id_or_path: str) -> tuple[list[Op], Routine | Decoded]:
    """(ops, info) of a routine given by id or path; info is a Routine or a Decoded."""
    found = find(id_or_path)
    return (found.ops() if isinstance(found, Routine) else found.ops), found


def describe_step(op: Op) -> str:
    d = [x / 10 for x in op.durations]
    each = " each side" if op.sides else ""
    tick = " (ticks)" if op.tick else ""
    if op.kind == m.BREATHE:
        return (f"{op.count} x in {d[0]:g}" + (f" hold {d[1]:g}" if d[1] else "")
                + f" out {d[2]:g}" + (f" pause {d[3]:g}" if d[3] else "") + " s")
    if op.kind == m.HOLD:
        return f"hold {d[0]:g} s{each}{tick}"
    if op.kind == m.REST:
        return f"rest {d[0]:g} s{tick}"
    if op.kind == m.REPEAT:
        return f"{op.count} x {d[0]:g} s, gap {d[1]:g} s{each}"
    if op.kind == m.SWITCH:
        return "switch side"
    return ""


def cue_envelope(cue: str) -> Envelope:
    """The motor envelope the firmware plays for this cue (firmware patterns table)."""
    return core.patterns.envelope(cue)


def sparkline(envelope: Envelope, slot_ms: int = 40) -> str:
    """Draw an envelope [(level 0..255, ms), ...] as a bar string, one char per slot_ms."""
    blocks = " ▁▂▃▄▅▆▇█"
    out = []
    for level, ms in envelope:
        ch = blocks[min(8, max(0, round(int(level) * 8 / 255)))]
        out.append(ch * max(1 if ms else 0, round(int(ms) / slot_ms)))
    return "".join(out) or " "


def play(events: Sequence[Event], speed: float, show: Callable[[int, int], None]) -> None:
    """Pace a preview: show(i, t_ms) when event i is due (times divided by speed), and
    about every 0.1 s before that show(i - 1, now_ms) so a countdown can run."""
    start = time.monotonic()
    for i, ev in enumerate(events):
        deadline = start + ev.t_ms / 1000 / speed
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            time.sleep(min(deadline - now, 0.1))
            show(max(i - 1, 0), min(ev.t_ms, int((time.monotonic() - start) * 1000 * speed)))
        show(i, ev.t_ms)
