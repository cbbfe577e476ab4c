"""The board's motor adapters (firmware/lib/unknot/hw/motor.py) play every cue of the one
pattern table with the same pulses and gaps on both drivers. The I2C chip and the PWM pin are
recorders here (no board): what is checked is the adapters' timing and what they send."""

from __future__ import annotations

from typing import Any

import pytest
from unknot import core, fwload


class Clock:
    t = 1000


class FakeDrv:
    """Records what a DRV2605 is told: (t, "play", effect) and (t, "stop")."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.slots: dict[int, int] = {}
        self.log: list[tuple[int, str, int]] = []

    def set_waveform(self, effect: int, slot: int = 0) -> None:
        self.slots[slot] = effect

    def play(self) -> None:
        assert self.slots.get(1) == 0  # a one-effect sequence
        self.log.append((self.clock.t, "play", self.slots[0]))

    def stop(self) -> None:
        self.log.append((self.clock.t, "stop", 0))


class FakePwm:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.log: list[tuple[int, int]] = []

    @property
    def duty_cycle(self) -> int:
        return self.log[-1][1] if self.log else 0

    @duty_cycle.setter
    def duty_cycle(self, value: int) -> None:
        self.log.append((self.clock.t, value))


@pytest.fixture
def motor_mod(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Clock]:
    mod = fwload.module("hw.motor")
    clock = Clock()
    monkeypatch.setattr(mod, "_now", lambda: clock.t)
    return mod, clock


def _run(m: Any, clock: Clock, name: str, count: int = 1) -> None:
    m.play(name, count)
    while (d := m.poll(clock.t)) is not None:
        clock.t = d


def _drv(mod: Any, clock: Clock) -> tuple[Any, FakeDrv]:
    m = mod.DrvMotor.__new__(mod.DrvMotor)
    mod._Steps.__init__(m)
    m.drv, m.library, m._sustained, m._effect = FakeDrv(clock), 1, False, -1
    m.drv.set_waveform(0, 1)  # as DrvMotor.__init__: slot 2 ends every sequence
    return m, m.drv


def test_drv2605_plays_one_effect_per_pulse(motor_mod: tuple[Any, Clock]) -> None:
    mod, clock = motor_mod
    pat = core.patterns
    for name in pat.CUES:
        m, drv = _drv(mod, clock)
        t0 = clock.t
        _run(m, clock, name)
        plays = [(t, e) for t, what, e in drv.log if what == "play"]
        assert [e for _t, e in plays] == [e for e, *_ in pat.drv_sequence(name)], name
        # onsets follow the table: each pulse starts after the previous pulse and its gap
        onsets, t = [], t0
        for _s, _lvl, on, off in pat.pulses(name):
            onsets.append(t)
            t += on + off
        assert [t for t, _e in plays] == onsets, name
        # sustained effects are stopped exactly at the pulse length; taps are never stopped
        stops = [t for t, what, _e in drv.log if what == "stop"]
        want = [t0 + sum(on + off for _s, _l, on, off in pat.pulses(name)[:i]) + p[2]
                for i, p in enumerate(pat.pulses(name)) if not (p[0] == pat.FLAT
                                                               and p[2] <= pat.TAP_MS)]
        assert stops == want, name


def test_pwm_plays_the_envelope(motor_mod: tuple[Any, Clock]) -> None:
    mod, clock = motor_mod
    pat = core.patterns
    for name in pat.CUES:
        m = mod.PwmMotor.__new__(mod.PwmMotor)
        mod._Steps.__init__(m)
        m.pwm, m.scale = FakePwm(clock), 257
        t0 = clock.t
        _run(m, clock, name)
        env, t, want = pat.envelope(name), t0, []
        for level, ms in env:
            want.append((t, level * 257))
            t += ms
        want.append((t, 0))  # silence at the end
        assert m.pwm.log == want, name


def test_a_number_is_the_cue_played_n_times(motor_mod: tuple[Any, Clock]) -> None:
    mod, clock = motor_mod
    m, drv = _drv(mod, clock)
    _run(m, clock, "count", 3)
    assert [e for _t, what, e in drv.log if what == "play"] == [1] * 3  # strong clicks
    starts = [t for t, what, _e in drv.log if what == "play"]
    assert starts[1] - starts[0] == core.patterns.duration_ms("count") == 300


@pytest.mark.parametrize("kind", ["pwm", "drv"])
def test_a_cue_asked_for_while_another_plays_waits(motor_mod: tuple[Any, Clock],
                                                   kind: str) -> None:
    """Never cut: `release` asked for 100 ms into `go` starts when `go` has ended; a queue of
    more than 4 drops the newest."""
    mod, clock = motor_mod
    pat = core.patterns
    if kind == "drv":
        m, drv = _drv(mod, clock)
    else:
        m = mod.PwmMotor.__new__(mod.PwmMotor)
        mod._Steps.__init__(m)
        m.pwm, m.scale = FakePwm(clock), 257

    def onsets() -> list[int]:
        """When a pulse starts: a DRV2605 effect, or the PWM duty rising from 0."""
        if kind == "drv":
            return [t for t, what, _e in drv.log if what == "play"]
        log, out, prev = m.pwm.log, [], 0
        for t, v in log:
            if v and not prev:
                out.append(t)
            prev = v
        return out

    t0 = clock.t
    m.play("go")
    clock.t += 100
    m.poll(clock.t)
    m.play("release")
    while (d := m.poll(clock.t)) is not None:
        clock.t = d
    go = pat.duration_ms("go")
    assert onsets() == [t0, t0 + go, t0 + go + pat.pulses("release")[0][2]
                        + pat.pulses("release")[0][3]]
    assert clock.t == t0 + go + pat.duration_ms("release")
    m.play("go")
    for _ in range(5):
        m.play("count")
    assert m.dropped == 1 and len(m._queue) == 4


def test_no_motor_reports_why() -> None:
    mod = fwload.module("hw.motor")
    m = mod.NoMotor("drv2605 motor not set up: RuntimeError('no DRV2605')")
    m.play("begin")
    assert m.poll(0) is None and m.probe() == (False, m.reason)


def test_drv2605_writes_an_effect_only_when_it_changes(motor_mod: tuple[Any, Clock]) -> None:
    """Each I2C write blocks the board's CPU for its bus time: a pulse is one GO write, plus
    the effect's write only when it differs from the last pulse's (slot 2 ends every
    sequence from the start)."""
    mod, clock = motor_mod
    m, drv = _drv(mod, clock)
    writes: list[tuple[int, int]] = []
    slot_write = drv.set_waveform

    def record(effect: int, slot: int = 0) -> None:
        writes.append((slot, effect))
        slot_write(effect, slot)

    drv.set_waveform = record  # type: ignore[method-assign]
    _run(m, clock, "count", 3)  # three taps: the same effect
    _run(m, clock, "go")
    plays = [e for _t, what, e in drv.log if what == "play"]
    assert len(plays) == 4 and plays[:3] == [plays[0]] * 3
    assert writes == [(0, core.patterns.drv_sequence("count")[0][0]),
                      (0, core.patterns.drv_sequence("go")[0][0])]
