"""How a routine is shown on the terminal (`unknot routines show`, `unknot preview`): times,
one line per step, the exercises (position, time, sides), the cue legend with each cue's
motor envelope (the firmware pattern table) as a sparkline, what a preview shows at each
cue (exercise, step, the exercise that comes next), and the real-time pacing of a preview.
Rich is imported only inside the functions that build tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from unknot import core
from unknot.core import routine as fmt
from unknot.routine import model as m
from unknot.routine import overview
from unknot.routine.decode import Decoded
from unknot.routine.library import find
from unknot.routine.model import Op, Routine
from unknot.routine.overview import ExerciseView, Overview
from unknot.routine.timeline import Event, step_starts

Envelope = Sequence[tuple[int, int]]  # (level 0..255, duration ms)


def fmt_time(ms: int) -> str:
    """m:ss, with tenths when there are any."""
    s, tenths = divmod(ms // 100, 10)
    minutes, s = divmod(s, 60)
    return f"{minutes}:{s:02d}" + (f".{tenths}" if tenths else "")


def resolve(id_or_path: str) -> tuple[Overview, Routine | Decoded]:
    """(overview, info) of a routine given by id or path; info is a Routine or a Decoded."""
    found = find(id_or_path)
    return overview.of(found), found


def describe_step(op: Op) -> str:
    d = [x / 10 for x in op.durations]
    each = " each side" if op.sides else ""
    tick = " (ticks)" if op.tick else ""
    if op.kind == fmt.BREATHE:
        return (f"{op.count} x in {d[0]:g}" + (f" hold {d[1]:g}" if d[1] else "")
                + f" out {d[2]:g}" + (f" pause {d[3]:g}" if d[3] else "") + " s")
    if op.kind == fmt.HOLD:
        return f"hold {d[0]:g} s{each}{tick}"
    if op.kind == fmt.REST:
        return f"rest {d[0]:g} s{tick}"
    if op.kind == fmt.REPEAT:
        return f"{op.count} x {d[0]:g} s, gap {d[1]:g} s{each}"
    if op.kind == fmt.SWITCH:
        return "switch side"
    if op.kind == fmt.NEXT:
        return f"get ready {d[0]:g} s"
    if op.kind == fmt.WAIT:
        return "get ready: press when in position"
    return ""


def cue_envelope(event: str, number: int = 1) -> Envelope:
    """The motor envelope the firmware plays for this player event (or cue name): its cue
    (patterns.felt) from the firmware pattern table, as many times as it is played."""
    pat = core.patterns
    cue, times = (event, 1) if event in pat.CUES else pat.felt(event, number)
    return pat.envelope(cue) * times


def sparkline(envelope: Envelope, slot_ms: int = 40) -> str:
    """Draw an envelope [(level 0..255, ms), ...] as a bar string, one char per slot_ms."""
    blocks = " ▁▂▃▄▅▆▇█"
    out = []
    for level, ms in envelope:
        ch = blocks[min(8, max(0, round(int(level) * 8 / 255)))]
        out.append(ch * max(1 if ms else 0, round(int(ms) / slot_ms)))
    return "".join(out) or " "


def play(events: Sequence[Event], speed: float, show: Callable[[int, int], None],
         on_wait: Callable[[], None] | None = None) -> None:
    """Pace a preview: show(i, t_ms) when event i is due (times divided by speed), and
    about every 0.1 s before that show(i - 1, now_ms) so a countdown can run. At a `wait`
    (the device waits for the wearer's press) `on_wait()` blocks, as the device would, and
    the clock stands meanwhile."""
    start = time.monotonic()
    for i, ev in enumerate(events):
        if i and events[i - 1].cue == "wait" and on_wait is not None:
            t0 = time.monotonic()
            on_wait()
            start += time.monotonic() - t0
        deadline = start + ev.t_ms / 1000 / speed
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            time.sleep(min(deadline - now, 0.1))
            show(max(i - 1, 0), min(ev.t_ms, int((time.monotonic() - start) * 1000 * speed)))
        show(i, ev.t_ms)


def header(ov: Overview, info: Routine | Decoded) -> list[str]:
    """The lines `routines show` prints above its tables (rich markup)."""
    from unknot.routine.compile import compile_routine, routine_id

    if not isinstance(info, Routine):
        return [f"[bold]{info.name or '(no labels)'}[/bold]  id {info.slug or '?'}"
                f" (0x{info.routine_id:04x}), format v{ov.version}, {info.size} bytes",
                totals(ov)]
    from rich.markup import escape

    lines = [f"[bold]{info.name}[/bold]  id {info.slug} (0x{routine_id(info.slug):04x})"]
    if info.summary:
        lines.append(escape(info.summary))
    lines += [escape(line) for line in credits(info)]
    lines.append(f"Safety: {escape(info.safety)}")
    lines.append(f"Compiled: format v{ov.version}, {len(compile_routine(info))} bytes with"
                 f" labels, {len(compile_routine(info, labels=False))} without")
    lines.append(totals(ov))
    return lines


def credits(info: Routine) -> list[str]:
    """Where a routine comes from (plain text; `routines show`, preview and the card): each
    source and what it gives, the numbers taken from the text and those the project chose,
    and the prepare step's props."""
    lines = []
    for src in info.sources:
        what = ("advice only (no exercises or timings)" if src.use == "advice"
                else "exercises and timings")
        lines.append(f"Source: {src.title} ({src.file}): {what}")
    if not info.sources and info.exercises:
        lines.append("Source: none (the project's own routine)")
    if info.exercises:
        lines.append("Numbers from the text: "
                     + ("; ".join(info.numbers_text) or "none (the text gives no numbers)"))
        lines.append("Numbers the project chose: " + ("; ".join(info.numbers_chosen) or "none"))
    if info.props():
        lines.append(f"Prepare: {', '.join(info.props())} (the device waits for your press)")
    return lines


def ready_words(e: ExerciseView) -> str:
    """The get-ready before an exercise in words (card, show): the quiet to move, or the
    wait for the wearer's press."""
    if e.waits:
        return "the device waits for your press to go on"
    if e.quiet_ms:
        return f"{e.quiet_ms / 1000:g} s of quiet to get ready first"
    return ""


def totals(ov: Overview) -> str:
    return f"{ov.count}, {fmt_time(ov.total_ms)}" + (
        f", countdown of the last {ov.countdown} s of long holds" if ov.countdown else "")


def exercise_table(ov: Overview) -> Any:
    """One row per exercise: position (props), get-ready before it, start, time, sides."""
    from rich.table import Table

    table = Table("#", "exercise", "position", "get ready (quiet)", "starts", "time", "sides",
                  "steps")
    for e in ov.exercises:
        where = e.position + (f" ({', '.join(e.props)})" if e.props else "")
        ready = "your press" if e.waits else f"{e.quiet_ms / 1000:g} s" if e.quiet_ms else "-"
        table.add_row(str(e.number), e.name, where or "?", ready,
                      fmt_time(e.start_ms), fmt_time(e.duration_ms),
                      "each side" if e.sides else "one", str(e.steps))
    return table


def legend_table(ov: Overview) -> Any:
    """The cues this routine plays, each with the rhythm it has on the motor, its pulses and
    what it means (the firmware's one vocabulary table, through unknot.haptics): the get-ready
    taps the number of the exercise that comes (`count`)."""
    from rich.markup import escape
    from rich.table import Table

    from unknot import haptics

    cues: list[str] = []
    for event in ov.cues:
        cue = haptics.felt_cue(event)
        if cue not in cues:
            cues.append(cue)
    table = Table("cue", "feels like", "pulses", "means", title="Cue legend",
                  title_justify="left")
    for cue in cues:
        c = haptics.cue(cue)
        table.add_row(cue, sparkline(cue_envelope(cue)),
                      " ".join(str(p.on_ms) for p in c.pulses) + " ms", escape(c.meaning))
    return table


def steps_table(ov: Overview, cues: bool) -> Any:
    """Every step with its start time (numbered as the one count numbers them), or with
    `cues` every cue with exercise, step and side."""
    from rich.table import Table

    if cues:
        table = Table("time", "cue", "exercise", "step", "side", "detail")
        for ev in overview.timeline(ov):
            table.add_row(fmt_time(ev["t_ms"]), ev["cue"], str(ev["exercise"] or "-"),
                          str(ev["step"] or "-"), str(ev["side"] or "-"), str(ev["detail"]))
        return table
    ops = list(ov.ops)
    positions = overview.steps_positions(ops)
    table = Table("start", "#", "kind", "what", "duration", "label")
    for i, (op, (start, dur)) in enumerate(zip(ops, step_starts(ops), strict=True)):
        name = ov.exercises[positions[i].exercises - 1].name if positions[i].exercises else ""
        label = op.label + (f" - {ov.says[i]}" if ov.says[i] else "")
        if op.kind in m.READY:
            label = f"then: {name}"
        elif op.kind in (fmt.BEGIN, fmt.END):
            label = op.label
        number = "" if op.kind in (fmt.BEGIN, fmt.END, *m.READY) else str(positions[i].steps)
        table.add_row(fmt_time(start), number, m.KIND_NAMES[op.kind], describe_step(op),
                      fmt_time(dur), label)
    return table


def coming(ov: Overview, number: int) -> str:
    """"next: N. name, position, with props" for exercise `number` (or "next: done")."""
    if number > len(ov.exercises):
        return "next: done"
    e = ov.exercises[number - 1]
    where = f", {e.position}" if e.position else ""
    props = f", with {' and '.join(e.props)}" if e.props else ""
    return f"next: {number}. {e.name}{where}{props}"


def at_cue(ov: Overview, ev: Event) -> tuple[str, str, str]:
    """What a preview shows at a cue: (where: exercise and step, what to do, what comes
    next)."""
    ops = list(ov.ops)
    op = ops[ev.step_index]
    from unknot.routine.count import position

    pos = position(ops, ev.step_index)
    count = ov.count
    if op.kind in m.READY:
        e = ov.exercises[pos.exercises - 1]
        where = f"get ready: exercise {pos.exercises}/{count.exercises}"
        if op.kind == fmt.WAIT:
            props = ov.props if pos.exercises == 1 and ov.props else ()
            where += (f" · fetch {', '.join(props)}" if props else "") + " · press when ready"
        return (where, e.name + (f": {e.say}" if e.say else ""), coming(ov, pos.exercises + 1))
    if op.kind in (fmt.BEGIN, fmt.END):
        return str(count), op.label or ov.name, coming(ov, 1) if op.kind == fmt.BEGIN else ""
    say = ov.says[ev.step_index]
    name = ov.exercises[pos.exercises - 1].name
    return (f"exercise {pos.exercises}/{count.exercises} · step {pos.steps}/{count.steps}",
            name + (f": {op.label}" if op.label else "") + (f" - {say}" if say else ""),
            coming(ov, pos.exercises + 1))


def cue_line(ov: Overview, ev: Event) -> str:
    """One line per cue, for a preview whose output is not a terminal (a pipe, a log)."""
    where, what, after = at_cue(ov, ev)
    detail = f" {ev.detail}" if ev.detail else ""
    return (f"{fmt_time(ev.t_ms):>6}  {ev.cue.upper()}{detail}  [{where}] {what}"
            + (f"  ({after})" if after else "") + "  motor "
            + sparkline(cue_envelope(ev.cue, ev.detail)))


def learn(speed: float) -> None:
    """`preview --learn`: every cue drawn in real time (one block per 40 ms of the motor's
    envelope), its name and meaning, then a short quiet."""
    from rich.console import Console

    from unknot import haptics

    console = Console(highlight=False)
    total = haptics.learn_ms() / 1000 / speed
    console.print(f"[bold]The cues[/bold]: {len(haptics.routine_cues())} in routines,"
                  f" {len(haptics.device_cues())} from the device ({total:.0f} s)."
                  " Feel them on a board: play the `learn` routine with `unknot follow`.")
    for k, lesson in enumerate(haptics.lessons(), 1):
        if lesson.cue == haptics.device_cues()[0]:
            console.print("[bold]Outside routines[/bold]")
        env = core.patterns.envelope(lesson.cue) * lesson.times
        times = f" x{lesson.times}" if lesson.times > 1 else ""
        console.print(f"{k:2}. [bold cyan]{lesson.cue}{times}[/bold cyan]  "
                      f"{haptics.notation(haptics.repeated(haptics.cue(lesson.cue), lesson.times))}"
                      f"  {lesson.says}")
        for level, ms in env:
            console.print(sparkline(((level, ms),)), end="", markup=False)
            console.file.flush()
            time.sleep(ms / 1000 / speed)
        console.print()
        time.sleep(haptics.LEARN_PAUSE_MS / 1000 / speed)
