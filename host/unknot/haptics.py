"""The haptic vocabulary as the host sees it: the firmware's one pattern table
(firmware/lib/unknot/patterns.py), its legend, the event -> cue map, and the distance
between cues.

Rhythm distance between two cues: both are on/off rhythms (pulse, gap, pulse, ...,
trailing gap dropped). Aligned segment by segment from the start (a segment one cue lacks
counts as 0 ms), the distance is the largest difference of any segment, in ms. Level and
shape are left out on purpose: two cues closer than MARGIN_MS by this distance count as
identical (`identical_pairs`), whatever their level or shape. Every rendering a wearer can
feel alone is compared: each cue, and each cue a number is said with, 2..NUMBER_MAX times.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from unknot.core import patterns as pat

NUMBER_EVENTS = ("next_exercise", "wait", "select")  # the events said with a number
NUMBER_CUE = pat.felt("next_exercise")[0]  # the cue tapped n times for a number


@dataclass(frozen=True)
class Pulse:
    shape: int  # patterns.FLAT / RISE / FALL
    level: int  # 0..255
    on_ms: int
    gap_ms: int  # after this pulse


@dataclass(frozen=True)
class Cue:
    name: str
    meaning: str
    pulses: tuple[Pulse, ...]

    def segments(self) -> tuple[int, ...]:
        """on, gap, on, ..., on (ms): the rhythm the wearer feels, trailing gap dropped."""
        out: list[int] = []
        for p in self.pulses:
            out += [p.on_ms, p.gap_ms]
        return tuple(out[:-1])

    def lengths(self) -> tuple[int, ...]:
        return tuple(p.on_ms for p in self.pulses)


def cue(name: str) -> Cue:
    pulses = tuple(Pulse(s, lvl, on, off) for s, lvl, on, off in pat.pulses(name))
    return Cue(name, pat.meaning(name), pulses)


def vocabulary() -> list[Cue]:
    return [cue(name) for name in pat.CUES]


def routine_cues() -> list[str]:
    return [n for n in pat.CUES if pat.kind(n) == pat.ROUTINE]


def device_cues() -> list[str]:
    return [n for n in pat.CUES if pat.kind(n) == pat.DEVICE]


def repeated(c: Cue, n: int) -> Cue:
    """`c` played n times in a row (a number)."""
    return Cue(f"{c.name}x{n}", c.meaning, c.pulses * n)


def renderings() -> list[Cue]:
    """Every rhythm the wearer can feel alone: each cue, each cue played several times by
    an event (e.g. pairing), and the number cue 2..NUMBER_MAX times."""
    cues = vocabulary()
    by_name = {c.name: c for c in cues}
    times: set[tuple[str, int]] = set()
    for event in pat.EVENTS:
        name, n = pat.felt(event, pat.NUMBER_MAX)
        if event in NUMBER_EVENTS:
            times |= {(name, k) for k in range(2, n + 1)}
        elif n > 1:
            times.add((name, n))
    return cues + [repeated(by_name[name], n) for name, n in sorted(times)]


def distance_ms(a: Cue, b: Cue) -> int:
    sa, sb = a.segments(), b.segments()
    n = max(len(sa), len(sb))
    sa, sb = sa + (0,) * (n - len(sa)), sb + (0,) * (n - len(sb))
    return max(abs(x - y) for x, y in zip(sa, sb, strict=True))


def drv_rendering(name: str) -> tuple[tuple[int, int, int, int], ...]:
    """What a DRV2605 plays: (effect id, pulse ms, gap ms, stopped by the adapter)."""
    return pat.drv_sequence(name)


def identical_pairs() -> list[tuple[str, str, int]]:
    """(a, b, distance) for every two renderings closer than MARGIN_MS in rhythm."""
    return [(a.name, b.name, d) for a, b in combinations(renderings(), 2)
            if (d := distance_ms(a, b)) < pat.MARGIN_MS]


def problems() -> list[str]:
    """Every breach of the vocabulary rule (docs/firmware.md, "Haptic vocabulary")."""
    out = [f"{a} and {b} differ by {d} ms < {pat.MARGIN_MS} ms in rhythm"
           for a, b, d in identical_pairs()]
    for c in renderings():
        if not c.pulses:
            out.append(f"{c.name}: no pulses")
        for p in c.pulses:
            if not pat.PULSE_MIN_MS <= p.on_ms <= pat.PULSE_MAX_MS:
                out.append(f"{c.name}: pulse of {p.on_ms} ms outside "
                           f"{pat.PULSE_MIN_MS}..{pat.PULSE_MAX_MS} ms")
        for gap in c.segments()[1::2]:
            if gap < pat.GAP_MIN_MS:
                out.append(f"{c.name}: gap of {gap} ms < {pat.GAP_MIN_MS} ms")
        if c.pulses and c.pulses[-1].gap_ms < pat.GAP_MIN_MS:
            out.append(f"{c.name}: last gap of {c.pulses[-1].gap_ms} ms < {pat.GAP_MIN_MS} ms")
    for name in pat.CUES:
        if len(pat.drv_sequence(name)) != len(pat.pulses(name)):
            out.append(f"{name}: DRV2605 and PWM play different pulse counts")
    for event in pat.EVENTS:
        if not pat.felt(event)[1]:
            out.append(f"event {event}: no cue")
    if len(routine_cues()) > ROUTINE_CUES_MAX:
        out.append(f"{len(routine_cues())} routine cues > {ROUTINE_CUES_MAX}")
    if len(pat.CUES) > CUES_MAX:
        out.append(f"{len(pat.CUES)} cues > {CUES_MAX}")
    return out


ROUTINE_CUES_MAX = 7  # what a wearer can learn in minutes (docs/firmware.md, the research)
CUES_MAX = 10  # with at most 3 device cues


def closest_pair() -> tuple[str, str, int]:
    cues = renderings()
    return min(((a.name, b.name, distance_ms(a, b)) for a, b in combinations(cues, 2)),
               key=lambda t: t[2])


def summary() -> dict[str, int]:
    """The benchmark's haptic figures, computed from the table."""
    _a, _b, dist = closest_pair()
    return {
        "haptic_min_distance_ms": dist,
        "haptic_identical_pairs": len(identical_pairs()),
        "haptic_margin_ms": pat.MARGIN_MS,
        "haptic_cues": len(pat.CUES),
        "haptic_cues_routine": len(routine_cues()),
    }


def notation(c: Cue) -> str:
    """A rhythm drawn in text: • tap, ━ buzz (one per ~130 ms), ╱ swell, ╲ fade."""
    parts = []
    for p in c.pulses:
        n = max(1, round(p.on_ms / 130))
        if p.shape == pat.RISE:
            parts.append("╱" * n)
        elif p.shape == pat.FALL:
            parts.append("╲" * n)
        elif p.on_ms <= pat.TAP_MS:
            parts.append("•")
        else:
            parts.append("━" * n)
    return " ".join(parts)


def legend(names: list[str] | None = None) -> list[tuple[str, str, str, str]]:
    """(cue, rhythm drawn, pulse lengths, meaning) for `names` (default: every cue); a
    name may be an event (what the player does): its cue is shown."""
    cues = vocabulary()
    if names is not None:
        wanted = {felt_cue(n) for n in names}
        cues = [c for c in cues if c.name in wanted]
    return [(c.name, notation(c), " ".join(str(p.on_ms) for p in c.pulses) + " ms", c.meaning)
            for c in cues]


def felt_cue(name: str) -> str:
    """The cue a player/App event is felt as (a cue name stays itself)."""
    return name if name in pat.CUES else pat.felt(name)[0]


def markdown_table() -> str:
    """The vocabulary as the Markdown table in docs/firmware.md (a test keeps them equal)."""
    shapes = {pat.FLAT: "", pat.RISE: " swell", pat.FALL: " fade"}
    rows = ["| cue | kind | feels like | pulses (ms; gaps) | PWM envelope (level/ms) "
            "| DRV2605 effects | means |", "|---|---|---|---|---|---|---|"]
    for c in vocabulary():
        segs = []
        for p in c.pulses:
            segs.append(f"{p.on_ms}{shapes[p.shape]}")
            if p.gap_ms:
                segs.append(f"({p.gap_ms})")
        env = " ".join(f"{lvl}/{ms}" for lvl, ms in pat.envelope(c.name))
        drv = " ".join(str(e) for e, *_rest in pat.drv_sequence(c.name))
        kind = "routine" if pat.kind(c.name) == pat.ROUTINE else "device"
        rows.append(f"| `{c.name}` | {kind} | `{notation(c)}` | {' '.join(segs)} | {env} "
                    f"| {drv} | {c.meaning} |")
    return "\n".join(rows)


def events_table() -> str:
    """The event -> cue map as the Markdown table in docs/firmware.md."""
    rows = ["| event | felt as |", "|---|---|"]
    for event in pat.EVENTS:
        name, times = pat.felt(event, 0)
        n = "the number" if event in NUMBER_EVENTS else (f"{times} times" if times > 1 else "")
        rows.append(f"| `{event}` | `{name}`{' ' + n if n else ''} |")
    return "\n".join(rows)


LEARN_PAUSE_MS = 1500  # quiet after each cue in learn mode, before the next one


@dataclass(frozen=True)
class Lesson:
    cue: str
    times: int
    says: str  # what the wearer should take from it, in learn mode's words


def lessons() -> list[Lesson]:
    """Learn mode's plan: the seven routine cues in the order a routine meets them, a
    number in taps, then the three device cues (`unknot preview --learn`)."""
    out = [Lesson(c, 1, pat.meaning(c)) for c in routine_cues()]
    number = pat.felt("next_exercise", 3)
    out.insert(routine_cues().index(number[0]) + 1,
               Lesson(number[0], number[1], "three taps after a release: exercise 3 comes next"))
    out += [Lesson(c, 1, pat.meaning(c)) for c in device_cues()]
    return out


def learn_ms() -> int:
    """How long learn mode takes at speed 1 (each cue, then LEARN_PAUSE_MS of quiet)."""
    return sum(pat.duration_ms(x.cue, x.times) + LEARN_PAUSE_MS for x in lessons())
