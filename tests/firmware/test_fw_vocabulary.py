"""The vocabulary in the App: the get-ready before exercise n taps `count` n times (setting
UNKNOT_EXERCISE_NUMBER; 0: one tap), and no library routine asks the motor for a cue while
another still plays (every cue is felt whole)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from unknot import core, fwload
from unknot.sim.device import SimDevice


@pytest.fixture
def boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The player emits a boundary into exercise 3 at 2 s (as routine format v2 does)."""

    def expand(routine: Any, ticks: bool = True, counts: Any = None) -> Any:
        yield 0, "begin", 0, 0
        yield 2000, "next_exercise", 3, 1
        yield 9000, "done", 0, 2

    monkeypatch.setattr(core.player, "expand", expand)


def _play(tmp_path: Path, settings: dict[str, int]) -> list[tuple[int, str, int]]:
    dev = SimDevice(tmp_path / "dev", settings={"UNKNOT_MOTOR_LATENCY_MS": 50, **settings})
    dev.button.press()
    dev.advance(1000)
    t0 = dev.motor.played[0][0]
    dev.advance(20_000)
    return [(t - t0, name, count) for t, name, count in dev.motor.played]


def test_the_get_ready_taps_the_exercise_number(tmp_path: Path, boundary: None) -> None:
    played = _play(tmp_path, {})
    # sent UNKNOT_MOTOR_LATENCY_MS early, like every cue but the first (sent in the pass
    # after the press's step, 1 ms after the start: App.step)
    assert played == [(0, "go", 1), (1949, "count", 3), (8949, "done", 1)]


def test_exercise_number_off(tmp_path: Path, boundary: None) -> None:
    played = _play(tmp_path, {"UNKNOT_EXERCISE_NUMBER": 0})
    assert played == [(0, "go", 1), (1949, "count", 1), (8949, "done", 1)]


def test_no_cue_is_cut_in_the_library(library: dict[str, bytes]) -> None:
    """Every routine played by the App into the simulated motor, which plays each cue for its
    real length: no cue is asked for while another plays, and the get-ready taps are whole
    and followed by quiet (the sim's hand presses at every wait as soon as it may)."""
    from unknot.sim import simadapters as sa

    app = sa.make_app(fwload.module("app").App, dict(library), nvm=sa.new_nvm(),
                      settings={"UNKNOT_MOTOR_LATENCY_MS": 0})
    pat = core.patterns
    seen = 0
    for i in range(len(app.routines)):
        played = app.motor.played
        n0 = len(played)
        sa.play_all(app, i)
        run = played[n0:]
        for (t, cue, count), nxt in pairwise(run):
            assert t + pat.duration_ms(cue, count) <= nxt[0], (app.routines[i].file, t, cue)
            if cue == "count" and count > 1:
                seen = max(seen, count)
                quiet = nxt[0] - t - pat.duration_ms(cue, count)
                # >= 5 s after a timed get-ready; after a wait, the 2 s lead-in once the
                # wearer has pressed (tests/host/test_library.py tells the two apart)
                assert quiet >= 2000, (app.routines[i].file, t, quiet)
    assert app.motor.late == []
    assert seen >= 5  # the library has routines of 5 exercises and more


def test_the_sim_motor_shows_a_cue_that_would_be_cut(tmp_path: Path) -> None:
    """A test can fail: two cues asked for at once, the second waits (recorded in `late`)."""
    from unknot.sim import simadapters as sa

    clock = sa.VirtualClock(1000)
    motor = sa.RecordingMotor(clock)
    motor.play("go")
    clock.t += 100
    motor.play("release")
    assert motor.played == [(1000, "go", 1), (1000 + core.patterns.duration_ms("go"),
                                              "release", 1)]
    assert motor.late == [(1100, "release", core.patterns.duration_ms("go") - 100)]
