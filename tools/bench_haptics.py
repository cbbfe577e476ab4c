"""Haptic vocabulary figures (run by tools/bench.py), computed from the firmware's pattern
table through unknot.haptics, and a replay of the whole library through the real motor code:

- haptic_cues / haptic_cues_routine: cues in the table / those a routine plays (<= 10 / 7);
- haptic_min_distance_ms: the smallest rhythm distance between any two renderings (each cue,
  the number cue 2..9 times, pairing cues with their number): segments aligned, largest
  segment difference;
- haptic_identical_pairs: renderings closer than the margin by that distance (0);
- haptic_margin_ms: the margin the vocabulary keeps (patterns.MARGIN_MS, docs/firmware.md);
- haptic_cut_cues: over every library routine, cues the player asks the motor for while
  another cue still plays (the board's adapters queue them; without the queue they would be
  cut): the real PWM adapter (firmware hw/motor.py) on a simulated clock (0);
- haptic_queue_waits_ms_max: the longest such wait (0 when nothing waits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


class _Pwm:
    """pwmio.PWMOut stand-in: records nothing, the adapter only sets duty_cycle."""

    duty_cycle = 0


def _pwm_motor(clock: list[int]) -> Any:
    """The firmware's PwmMotor with its clock set to `clock[0]` (no pwmio off the board)."""
    from unknot import fwload

    mod = fwload.module("hw.motor")
    mod._now = lambda: clock[0]
    m = mod.PwmMotor.__new__(mod.PwmMotor)
    mod._Steps.__init__(m)
    m.pwm, m.scale, m.pin, m.frequency = _Pwm(), 257, "sim", 20000
    return m


def replay(data: bytes) -> tuple[int, int]:
    """Play a compiled routine's cues (player.expand, ticks on) into the real PWM adapter:
    (cues asked for while another played, longest wait ms)."""
    from unknot.core import patterns, player, routine

    clock = [0]
    m = _pwm_motor(clock)
    cut = wait = 0
    busy_until = 0
    for t, event, arg, _i in player.expand(routine.decode(data)):
        while (d := m.poll(clock[0])) is not None and d <= t:
            clock[0] = d
        clock[0] = t
        m.poll(t)
        cue, times = patterns.felt(event, arg)
        if m._steps:  # still playing: the adapter queues this one
            cut += 1
            wait = max(wait, busy_until - t)
        m.play(cue, times)
        busy_until = max(busy_until, t) + patterns.duration_ms(cue, times)
    return cut, wait


def library_replay() -> tuple[int, int]:
    from unknot.routine import compile_routine, load_file

    cut = wait = 0
    for f in sorted((REPO / "routines").glob("*.toml")):
        c, w = replay(compile_routine(load_file(f)))
        cut, wait = cut + c, max(wait, w)
    return cut, wait


def run() -> dict[str, float | int]:
    from unknot import haptics

    cut, wait = library_replay()
    return {**haptics.summary(), "haptic_cut_cues": cut, "haptic_queue_waits_ms_max": wait}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
