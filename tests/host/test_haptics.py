"""The haptic vocabulary (firmware/lib/unknot/patterns.py): ten cues (seven in routines), each
rhythm at least MARGIN_MS from every other (numbers included), on both motor drivers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from unknot import core, haptics

REPO = Path(__file__).resolve().parents[2]
FW = REPO / "firmware" / "lib" / "unknot"


def _blob(cues: dict[str, bytes]) -> bytes:
    """The firmware table's blob with some cues' pulses replaced (same layout)."""
    pat = core.patterns
    out = b""
    for name in pat.CUES:
        pulses = cues.get(name) or b"".join(bytes((s, lvl, on // 10, off // 10))
                                           for s, lvl, on, off in pat.pulses(name))
        meaning = pat.meaning(name).encode()
        out += (bytes((pat.kind(name), len(pulses) // 4)) + pulses + bytes((len(meaning),))
                + meaning)
    return out


@pytest.fixture
def edit() -> Iterator[Callable[[str, bytes], None]]:
    """Replace one cue's rhythm in the firmware table; restored afterwards."""
    mod = core.patterns
    saved = mod._BLOB

    def set_rhythm(name: str, rhythm: bytes) -> None:
        mod._BLOB = _blob({name: rhythm})

    yield set_rhythm
    mod._BLOB = saved


def test_the_vocabulary_keeps_its_rule() -> None:
    assert haptics.problems() == []
    s = haptics.summary()
    assert s["haptic_identical_pairs"] == 0
    assert s["haptic_min_distance_ms"] >= s["haptic_margin_ms"] == 100
    # issue 18: at most 7 cues in routines (the number taps are one), 3 more on the device
    assert s["haptic_cues_routine"] <= 7 and s["haptic_cues"] <= 10
    assert haptics.routine_cues() == ["go", "release", "switch", "count", "breathe_in",
                                      "breathe_out", "done"]
    assert haptics.device_cues() == ["nudge", "ack", "error"]


def test_the_blob_is_read_back_as_written(edit: Callable[[str, bytes], None]) -> None:
    assert _blob({}) == core.patterns._BLOB
    edit("go", b"\x00\xff\x08\x14")
    assert core.patterns.pulses("go") == ((0, 255, 80, 200),)
    assert core.patterns.felt("hold_start") == ("go", 1)


def test_a_close_or_identical_cue_is_caught(edit: Callable[[str, bytes], None]) -> None:
    edit("go", b"\x00\xff\x06\x18")  # one tap: count's rhythm
    assert any("go and count differ by 0 ms" in p for p in haptics.problems())
    assert haptics.summary()["haptic_identical_pairs"] >= 1
    edit("go", b"\x00\xff\x0a\x18")  # a 100 ms pulse: 40 ms from count's tap
    assert any("go and count differ by 40 ms" in p for p in haptics.problems())
    assert haptics.summary()["haptic_min_distance_ms"] == 40


def test_rhythm_not_shape_decides(edit: Callable[[str, bytes], None]) -> None:
    """A swell and a flat pulse of the same length feel alike in rhythm: caught."""
    edit("breathe_out", b"\x00\xff\x32\x14")  # flat 500 ms: breathe_in's rhythm
    assert any("breathe_in and breathe_out differ by 0 ms" in p for p in haptics.problems())


def test_a_number_close_to_another_cue_is_caught(edit: Callable[[str, bytes], None]) -> None:
    # three taps 150 ms apart would feel like `error`'s first three taps
    edit("count", b"\x00\xff\x06\x0a")
    assert any("countx" in p and "error" in p for p in haptics.problems())


def test_short_gap_is_caught(edit: Callable[[str, bytes], None]) -> None:
    edit("switch", b"\x00\xff\x14\x05\x00\xff\x14\x05\x00\xff\x14\x14")
    assert any("switch: gap of 50 ms" in p for p in haptics.problems())


def _player_events() -> set[str]:
    from unknot.routine import compile_routine, load_file

    p = core.player
    r = core.routine
    library = [compile_routine(load_file(f)) for f in sorted((REPO / "routines").glob("*.toml"))]
    assert library
    return {cue for data in library for _t, cue in p.trace(r.decode(data))}


def _app_events() -> set[str]:
    src = "".join((FW / f).read_text() for f in ("app.py", "auth.py", "keyring.py"))
    # reminder actions the App hands to buzz(): `if action == "a" or ...:` followed by
    # `self.buzz(action)` (other actions, e.g. "giveup", are not events)
    played_actions = set()
    for cond in re.findall(r'if (action == "\w+"(?: or action == "\w+")*):\n\s+self\.buzz'
                           r'\(action\)', src):
        played_actions |= set(re.findall(r'"(\w+)"', cond))
    assert played_actions, "the App no longer plays reminder actions: update this test"
    direct = set(re.findall(r'buzz\("(\w+)"', src))
    direct |= set(re.findall(r'self\.buzz\("(\w+)" if \w+ else "(\w+)"\)', src)[0])
    return direct | played_actions


def test_every_event_the_firmware_plays_is_in_the_table() -> None:
    events = set(core.patterns.EVENTS)
    played = _player_events() | _app_events()
    assert {"begin", "rep", "done", "nudge", "select", "ack", "refused", "pair_open",
            "forget"} <= played
    assert played <= events, played - events
    # every cue of the table is felt somewhere
    assert {core.patterns.felt(e)[0] for e in events} == set(core.patterns.CUES)
    # the device cues never occur in a routine
    felt = {core.patterns.felt(e)[0] for e in _player_events()}
    assert not felt & set(haptics.device_cues())
    # nothing plays a cue name directly: the App goes through buzz() and the event table
    assert "motor.play(\"" not in (FW / "app.py").read_text()


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
    # a tap is a click on the DRV2605, `go` a buzz stopped at its length
    assert pat.drv_sequence("count")[0][0] == 1 and pat.drv_sequence("go")[0][0] == 118
    # a swell rises and a fade falls on the PWM motor
    up = [lvl for lvl, _ms in pat.envelope("breathe_in")][:-1]  # the last is the gap after
    down = [lvl for lvl, _ms in pat.envelope("breathe_out")][:-1]
    assert up == sorted(up) and down == sorted(down, reverse=True) and up[0] < up[-1]
    assert pat.envelope("nope") == () and pat.drv_sequence("nope") == ()
    assert pat.felt("nope") == ("", 0) and pat.event_ms("nope") == 0


def test_numbers() -> None:
    pat = core.patterns
    assert pat.felt("next_exercise", 4) == ("count", 4)
    assert pat.felt("select", 99) == ("count", pat.NUMBER_MAX)
    assert pat.felt("pair_open", 7) == ("ack", 3)  # a fixed number
    assert pat.event_ms("next_exercise", 3) == 3 * pat.duration_ms("count")


def test_legend_covers_every_cue() -> None:
    rows = haptics.legend()
    assert [r[0] for r in rows] == list(core.patterns.CUES)
    assert all(r[1] and r[2].endswith(" ms") and r[3] for r in rows)
    done = dict((r[0], r) for r in rows)["done"]
    assert done[1] == "━ ━ ━━━━━" and done[2] == "100 100 600 ms"
    # an event name shows its cue
    assert [r[0] for r in haptics.legend(["hold_start", "rest"])] == ["go", "release"]


def test_bench_reports_the_haptic_figures() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(REPO / "tools" / "bench.py"), "--json",
                          "--only", "haptics"], capture_output=True, text=True, check=True)
    import json

    got = json.loads(out.stdout)
    assert got["haptic_identical_pairs"] == 0 and got["haptic_cut_cues"] == 0
    assert got["haptic_cues_routine"] <= 7 and got["haptic_cues"] <= 10
    assert got["haptic_min_distance_ms"] == haptics.summary()["haptic_min_distance_ms"]


def test_the_replay_sees_a_cut_cue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's replay through the real PWM adapter counts a cue asked for while another
    plays: with the player's spacing switched off, the library has such cues."""
    import sys

    sys.path.insert(0, str(REPO / "tools"))
    import bench_haptics

    assert bench_haptics.library_replay() == (0, 0)
    monkeypatch.setattr(core.player, "event_ms", lambda event, number=1: 0)
    cut, wait = bench_haptics.library_replay()
    assert cut > 20 and wait >= core.patterns.event_ms("hold_end")


def test_preview_and_show_print_what_each_buzz_means(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from unknot.cli import cli

    for args in (["preview", "micro-break", "--speed", "1000"], ["routines", "show",
                                                                 "self-massage"]):
        res = CliRunner().invoke(cli, ["--home", str(tmp_path), *args], env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        assert "Cue legend" in res.output
        rows = {r[0]: r for r in haptics.legend()}
        for cue in ("go", "done"):
            lengths, meaning = rows[cue][2], rows[cue][3]
            assert any(cue in line and lengths in line and meaning in line
                       for line in res.output.splitlines()), (cue, res.output)
    # a routine of several exercises: the number taps are explained
    assert "next exercise number" in res.output


def test_docs_table_is_the_table() -> None:
    """docs/firmware.md "Haptic vocabulary" shows the table as it is (regenerate it with
    `python -c 'from unknot import haptics; print(haptics.markdown_table())'`)."""
    docs = (REPO / "docs" / "firmware.md").read_text()
    assert haptics.markdown_table() in docs
    s = haptics.summary()
    assert f"`haptic_min_distance_ms` = {s['haptic_min_distance_ms']}" in docs
    assert f"`haptic_identical_pairs` = {s['haptic_identical_pairs']}" in docs
    assert haptics.events_table() in docs
