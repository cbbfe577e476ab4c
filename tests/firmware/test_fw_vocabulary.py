"""The vocabulary in the App: at an exercise boundary the device taps the next exercise's
number after the `next_exercise` cue (setting UNKNOT_EXERCISE_NUMBER)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from unknot import core, fwload
from unknot.sim.device import SimDevice


@pytest.fixture
def boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The player emits a boundary into exercise 3 at 2 s (as routine format v2 does)."""

    def expand(routine: Any, ticks: bool = True) -> Any:
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


def test_exercise_number_is_tapped_after_the_boundary(tmp_path: Path, boundary: None) -> None:
    pat = core.patterns
    played = _play(tmp_path, {})
    times = {name: t for t, name, _c in played}
    # sent UNKNOT_MOTOR_LATENCY_MS early, like every cue (the routine starts at 0)
    assert times["next_exercise"] == 2000 - 50
    # the taps start after the boundary cue has ended, with a gap felt as a gap, and soon
    gap = times["select"] - times["next_exercise"] - pat.duration_ms("next_exercise")
    assert pat.GAP_MIN_MS <= gap <= 500, played
    assert (times["select"], "select", 3) in played
    assert [n for _t, n, _c in played] == ["begin", "next_exercise", "select", "done"]


def test_exercise_number_off(tmp_path: Path, boundary: None) -> None:
    played = _play(tmp_path, {"UNKNOT_EXERCISE_NUMBER": 0})
    assert [n for _t, n, _c in played] == ["begin", "next_exercise", "done"]


def test_number_taps_fit_before_the_next_cue_in_the_library(library: dict[str, bytes]) -> None:
    """Each exercise number is tapped whole: the routine's next cue never cuts the taps."""
    from unknot.sim import simadapters as sa

    app = sa.make_app(fwload.module("app").App, dict(library), nvm=sa.new_nvm(),
                      settings={"UNKNOT_MOTOR_LATENCY_MS": 0})
    unit = core.patterns.duration_ms("select")
    gap = core.patterns.pulses("select")[-1][3]
    seen = 0
    for i in range(len(app.routines)):
        played = app.motor.played
        n0 = len(played)
        sa.play_all(app, i)
        run = played[n0:]
        for k, (t, cue, count) in enumerate(run):
            if cue == "select" and k + 1 < len(run):
                seen = max(seen, count)
                assert t + count * unit - gap <= run[k + 1][0], (app.routines[i].file, count)
    assert seen >= 5  # the library has routines of 5 exercises and more
