"""The haptic vocabulary (firmware/lib/unknot/patterns.py): every cue has a rhythm that differs
from every other by pulse count or by MARGIN_MS of pulse length, on both motor drivers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from unknot import core, haptics

REPO = Path(__file__).resolve().parents[2]
FW = REPO / "firmware" / "lib" / "unknot"


@pytest.fixture
def edit() -> Iterator[Callable[[str, bytes], None]]:
    """Replace one cue's rhythm in the firmware table; restored afterwards."""
    mod = core.patterns
    saved = mod._TABLE

    def set_rhythm(name: str, rhythm: bytes) -> None:
        mod._TABLE = tuple((n, rhythm if n == name else r, m) for n, r, m in mod._TABLE)

    yield set_rhythm
    mod._TABLE = saved


def test_the_vocabulary_keeps_its_rule() -> None:
    assert haptics.problems() == []
    s = haptics.summary()
    assert s["haptic_identical_pairs"] == 0
    assert s["haptic_min_distance_ms"] >= s["haptic_margin_ms"] == 100


def test_a_close_or_identical_cue_is_caught(edit: Callable[[str, bytes], None]) -> None:
    edit("rep", b"\x00\x6e\x04\x00")  # tick's rhythm
    assert "tick and rep are identical on pwm" in haptics.problems()
    assert haptics.summary()["haptic_identical_pairs"] == 2  # PWM and DRV2605
    edit("rep", b"\x00\xff\x08\x00")  # 80 ms vs tick's 40 ms
    assert any("rep" in p and "< 100 ms" in p for p in haptics.problems())
    assert haptics.summary()["haptic_min_distance_ms"] == 40


def test_short_gap_is_caught(edit: Callable[[str, bytes], None]) -> None:
    edit("switch", b"\x00\xff\x0f\x05\x00\xff\x0f\x05\x00\xff\x0f\x00")
    assert any("switch: gap of 50 ms" in p for p in haptics.problems())


def _player_cues() -> set[str]:
    from unknot.routine import compile_routine, load_file

    p = core.player
    r = core.routine
    library = [compile_routine(load_file(f)) for f in sorted((REPO / "routines").glob("*.toml"))]
    assert library
    return {cue for data in library for _t, cue in p.trace(r.decode(data))}


def _app_cues() -> set[str]:
    src = (FW / "app.py").read_text()
    # reminder actions the App hands straight to the motor: `if action == "a" or ...:` followed
    # by `self.motor.play(action)` (other actions, e.g. "giveup", are not cues)
    played_actions = set()
    for cond in re.findall(r'if (action == "\w+"(?: or action == "\w+")*):\n\s+self\.motor\.play'
                           r'\(action\)', src):
        played_actions |= set(re.findall(r'"(\w+)"', cond))
    assert played_actions, "the App no longer plays reminder actions as cues: update this test"
    return set(re.findall(r'motor\.play\("(\w+)"', src)) | played_actions


def test_every_cue_the_firmware_plays_is_in_the_table() -> None:
    names = set(core.patterns.CUES)
    played = _player_cues() | _app_cues()
    assert {"begin", "rep", "done", "nudge", "select", "ack"} <= played
    assert played <= names, played - names
    # the cues `exercises` added for routine format v2 (/work/notes/cues.md)
    assert {"next_exercise", "countdown"} <= names


def test_both_drivers_play_the_same_rhythm() -> None:
    pat = core.patterns
    for name in pat.CUES:
        pulses = pat.pulses(name)
        env = pat.envelope(name)
        assert sum(ms for _lvl, ms in env) == pat.duration_ms(name)
        drv = pat.drv_sequence(name)
        assert len(drv) == len(pulses), name
        for (effect, ms, gap, stop), (shape, _lvl, on, off) in zip(drv, pulses, strict=True):
            assert 1 <= effect <= 123 and (ms, gap) == (on, off), name
            assert stop == (0 if shape == pat.FLAT and on <= pat.TAP_MS else 1), name
    # the complaint: rep and tick were both one full-strength click on the DRV2605
    assert pat.drv_sequence("rep") != pat.drv_sequence("tick")
    assert pat.drv_sequence("rep")[0][0] == 118 and pat.drv_sequence("tick")[0][0] == 26
    # a swell rises and a fade falls on the PWM motor
    up = [lvl for lvl, _ms in pat.envelope("inhale")]
    down = [lvl for lvl, _ms in pat.envelope("exhale")]
    assert up == sorted(up) and down == sorted(down, reverse=True) and up[0] < up[-1]
    assert pat.envelope("nope") == () and pat.drv_sequence("nope") == ()


def test_legend_covers_every_cue() -> None:
    rows = haptics.legend()
    assert [r[0] for r in rows] == list(core.patterns.CUES)
    assert all(r[1] and r[2].endswith(" ms") and r[3] for r in rows)
    begin = dict((r[0], r) for r in rows)["begin"]
    assert begin[1] == "• • ━━━" and begin[2] == "50 50 380 ms"


def test_bench_reports_the_haptic_figures() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(REPO / "tools" / "bench.py"), "--json",
                          "--only", "haptics"], capture_output=True, text=True, check=True)
    import json

    got = json.loads(out.stdout)
    assert got["haptic_identical_pairs"] == 0
    assert got["haptic_min_distance_ms"] == haptics.summary()["haptic_min_distance_ms"]


def test_preview_and_show_print_what_each_buzz_means(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from unknot.cli import cli

    for args in (["preview", "micro-break", "--speed", "1000"], ["routines", "show",
                                                                 "self-massage"]):
        res = CliRunner().invoke(cli, ["--home", str(tmp_path), *args], env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        assert "Cue legend" in res.output
        rows = {r[0]: r for r in haptics.legend()}
        for cue in ("begin", "done"):
            lengths, meaning = rows[cue][2], rows[cue][3]
            assert any(cue in line and lengths in line and meaning in line
                       for line in res.output.splitlines()), (cue, res.output)
    # a routine of several exercises: the boundary cue and the number taps are explained
    assert "get ready: the next exercise" in res.output and "exercise number" in res.output


def test_docs_table_is_the_table() -> None:
    """docs/firmware.md "Haptic vocabulary" shows the table as it is (regenerate it with
    `python -c 'from unknot import haptics; print(haptics.markdown_table())'`)."""
    docs = (REPO / "docs" / "firmware.md").read_text()
    assert haptics.markdown_table() in docs
    s = haptics.summary()
    assert f"`haptic_min_distance_ms` = {s['haptic_min_distance_ms']}" in docs
    assert f"`haptic_identical_pairs` = {s['haptic_identical_pairs']}" in docs
