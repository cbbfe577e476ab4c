"""The haptic vocabulary as the host sees it: the firmware's one pattern table
(firmware/lib/unknot/patterns.py), its legend, and the distance between cues.

Distance between two cues: both are on/off rhythms (pulse, gap, pulse, ..., trailing gap
dropped). Aligned segment by segment from the start (a segment one cue lacks counts as 0 ms),
the distance is the largest difference of any segment, in ms. With every gap at least
GAP_MIN_MS, cues with different pulse counts are at least GAP_MIN_MS apart; cues with the
same count must differ in a pulse length by MARGIN_MS (`problems()` checks both).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from unknot.core import patterns as pat

NUMBER_CUE = "select"  # played n times for a routine or exercise number
NUMBER_MAX = 6  # number renderings checked against every other cue (n = 2..NUMBER_MAX)


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


def repeated(c: Cue, n: int) -> Cue:
    """`c` played n times in a row (the exercise / routine number)."""
    return Cue(f"{c.name}x{n}", c.meaning, c.pulses * n)


def renderings() -> list[Cue]:
    """Every rhythm the wearer can feel alone: each cue, and the number cue 2..NUMBER_MAX
    times."""
    cues = vocabulary()
    number = next(c for c in cues if c.name == NUMBER_CUE)
    return cues + [repeated(number, n) for n in range(2, NUMBER_MAX + 1)]


def distance_ms(a: Cue, b: Cue) -> int:
    sa, sb = a.segments(), b.segments()
    n = max(len(sa), len(sb))
    sa, sb = sa + (0,) * (n - len(sa)), sb + (0,) * (n - len(sb))
    return max(abs(x - y) for x, y in zip(sa, sb, strict=True))


def pulse_difference_ms(a: Cue, b: Cue) -> int | None:
    """Largest pulse-length difference of two same-count cues (None: counts differ)."""
    la, lb = a.lengths(), b.lengths()
    if len(la) != len(lb):
        return None
    return max(abs(x - y) for x, y in zip(la, lb, strict=True))


def drv_rendering(name: str) -> tuple[tuple[int, int, int, int], ...]:
    """What a DRV2605 plays: (effect id, pulse ms, gap ms, stopped by the adapter)."""
    return pat.drv_sequence(name)


def identical_pairs() -> list[tuple[str, str, str]]:
    """(a, b, driver) for every pair of cues that one motor driver plays identically."""
    out = []
    for a, b in combinations(pat.CUES, 2):
        if tuple(pat.envelope(a)) == tuple(pat.envelope(b)):
            out.append((a, b, "pwm"))
        if drv_rendering(a) == drv_rendering(b):
            out.append((a, b, "drv2605"))
    return out


def problems() -> list[str]:
    """Every breach of the vocabulary rule (docs/firmware.md, "Haptic vocabulary")."""
    out = [f"{a} and {b} are identical on {drv}" for a, b, drv in identical_pairs()]
    all_cues = renderings()
    for c in all_cues:
        if not c.pulses:
            out.append(f"{c.name}: no pulses")
        for p in c.pulses:
            if not pat.PULSE_MIN_MS <= p.on_ms <= pat.PULSE_MAX_MS:
                out.append(f"{c.name}: pulse of {p.on_ms} ms outside "
                           f"{pat.PULSE_MIN_MS}..{pat.PULSE_MAX_MS} ms")
        for gap in c.segments()[1::2]:
            if gap < pat.GAP_MIN_MS:
                out.append(f"{c.name}: gap of {gap} ms < {pat.GAP_MIN_MS} ms")
        drv = len(pat.drv_sequence(c.name)) if c.name in pat.CUES else len(c.pulses)
        if drv != len(c.pulses):
            out.append(f"{c.name}: DRV2605 plays {drv} pulses, PWM {len(c.pulses)}")
    for a, b in combinations(all_cues, 2):
        diff = pulse_difference_ms(a, b)
        if diff is not None and diff < pat.MARGIN_MS:
            out.append(f"{a.name} and {b.name}: same pulse count, pulse lengths differ by "
                       f"{diff} ms < {pat.MARGIN_MS} ms")
    return out


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
    """(cue, rhythm drawn, pulse lengths, meaning) for `names` (default: every cue)."""
    cues = vocabulary()
    if names is not None:
        wanted = set(names)
        cues = [c for c in cues if c.name in wanted]
    return [(c.name, notation(c), " ".join(str(p.on_ms) for p in c.pulses) + " ms", c.meaning)
            for c in cues]


def markdown_table() -> str:
    """The vocabulary as the Markdown table in docs/firmware.md (a test keeps them equal)."""
    shapes = {pat.FLAT: "", pat.RISE: " swell", pat.FALL: " fade"}
    rows = ["| cue | feels like | pulses (ms; gaps) | PWM envelope (level/ms) | DRV2605 effects "
            "| means |", "|---|---|---|---|---|---|"]
    for c in vocabulary():
        segs = []
        for p in c.pulses:
            segs.append(f"{p.on_ms}{shapes[p.shape]}")
            if p.gap_ms:
                segs.append(f"({p.gap_ms})")
        env = " ".join(f"{lvl}/{ms}" for lvl, ms in pat.envelope(c.name))
        drv = " ".join(str(e) for e, *_rest in pat.drv_sequence(c.name))
        rows.append(f"| `{c.name}` | `{notation(c)}` | {' '.join(segs)} | {env} | {drv} "
                    f"| {c.meaning} |")
    return "\n".join(rows)
