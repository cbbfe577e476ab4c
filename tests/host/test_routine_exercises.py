"""Exercises in the routine language (format v2): parse and validate, the get-ready rule,
compile and decode, the one count, and what `routines show/preview` tell the wearer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot import core
from unknot.cli import cli
from unknot.core import routine as fmt
from unknot.routine import ProblemsError, compile_routine, decode, parse_text, transition
from unknot.routine import model as m
from unknot.routine.count import Count, position, tally
from unknot.routine.timeline import expand

HEAD = ('id = "t"\nname = "T"\nsafety = "Stop if it hurts."\n'
        '[numbers]\ntext = []\nchosen = ["all of them"]\n')


def exercise(name: str, position: str = "sitting", extra: str = "",
             step: str = 'kind = "hold"\nlabel = "h"\nseconds = 12') -> str:
    return (f'\n[[exercises]]\nname = "{name}"\nsay = "do it"\nposition = "{position}"\n'
            f'{extra}\n[[exercises.steps]]\n{step}\n')


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ProblemsError) as info:
        parse_text(text, "x.toml")
    return [(p.line, p.message) for p in info.value.problems]


def test_rule() -> None:
    def ex(position: str, props: tuple[str, ...] = ()) -> m.Exercise:
        return m.Exercise("e", "", position, props, (), ())

    t = transition
    assert t.rule(ex("sitting"), ex("sitting"))[:2] == (t.NEXT, t.BASE_S) == ("next", 5)
    assert t.rule(ex("sitting"), ex("standing"))[:2] == (t.NEXT, 8)
    # onto or off the floor: no timer, the device waits for the wearer's press
    assert t.rule(ex("standing"), ex("lying"))[:2] == (t.WAIT, 0)
    assert t.rule(ex("lying"), ex("sitting"))[:2] == (t.WAIT, 0)
    assert t.rule(ex("lying", ("mat",)), ex("lying", ("mat", "ball")))[:2] == (t.NEXT, 5)
    # a routine with props starts with a prepare step naming them
    assert t.rule(None, ex("sitting"), ("mat", "tennis balls")) == (
        t.WAIT, 0, "prepare: mat, tennis balls")
    assert t.rule(None, ex("lying"))[0] == t.WAIT
    # at the desk already: no get-ready before a first sitting exercise
    assert t.before(None, ex("sitting"))[:2] == ("", 0)
    # a side switch standing or lying moves the whole body: 5 s, sitting 3 s
    assert [t.whole_body(ex(p)) for p in m.POSITIONS] == [False, True, True]


def test_compiler_inserts_get_ready_steps() -> None:
    r = parse_text(HEAD + exercise("A") + exercise("B", "standing")
                   + exercise("C", "lying", 'props = ["mat"]')
                   + exercise("D", "lying", "get_ready = 20"))
    kinds = [op.kind for op in r.ops()]
    assert kinds == [fmt.BEGIN, fmt.WAIT, fmt.HOLD, fmt.NEXT, fmt.HOLD, fmt.WAIT, fmt.HOLD,
                     fmt.NEXT, fmt.HOLD, fmt.END]
    assert [op.durations[0] for op in r.ops() if op.kind == fmt.NEXT] == [80, 200]
    assert tally(r.ops()) == Count(4, 4)
    assert str(tally(r.ops())) == "4 exercises, 4 steps"
    assert [position(r.ops(), i) for i in (0, 1, 2, 3)] == [(0, 0), (1, 0), (1, 1), (2, 1)]
    ready = [e for e in expand(r.ops()) if e.cue in ("next_exercise", "wait")]
    assert [(e.cue, e.detail) for e in ready] == [("wait", 1), ("next_exercise", 2),
                                                  ("wait", 3), ("next_exercise", 4)]
    assert compile_routine(r, labels=False)[4] == 3  # format v3: it waits for presses


def test_short_get_ready_is_flagged_with_its_line() -> None:
    text = HEAD + exercise("A") + exercise("B", "standing", "get_ready = 6")
    [(line, message)] = problems(text)
    assert text.splitlines()[line - 1] == "get_ready = 6"
    assert message == ("get-ready before exercise 2 'B' is 6 s, shorter than the rule's 8 s"
                       " (sitting to standing)")
    text = HEAD + exercise("A") + exercise("B", "lying", "get_ready = 30")
    [(_line, message)] = problems(text)
    assert "no timer here, the device waits for the wearer's press" in message


def test_v3_wait_and_whole_body_switch() -> None:
    r = parse_text(HEAD + exercise("A") + exercise(
        "B", "standing", step='kind = "hold"\nlabel = "h"\nseconds = 10\nsides = "each"'))
    plain = compile_routine(r, labels=False)
    assert plain[4] == 3 and plain[16:] == bytes([0x01, 0x44, 12, 0x88, 0x80 | 0x54, 10, 0x02])
    events = expand(r.ops())
    switch = next(e for e in events if e.cue == "switch")
    after = next(e for e in events if e.t_ms > switch.t_ms)
    assert after.t_ms - switch.t_ms - core.patterns.event_ms("switch") == 5000
    assert decode(compile_routine(r)).ops[3].body


def test_exercise_key_errors() -> None:
    text = (HEAD + exercise("A", "upside-down") + '\n[[exercises]]\nname = "B"\n'
            'position = "sitting"\nprops = "mat"\n')
    found = problems(text)
    messages = [msg for _line, msg in found]
    assert any("'position' must be one of sitting, standing, lying" in s for s in messages)
    assert any("exercise 2: missing key 'say'" in s for s in messages)
    assert any("'props' must be a list" in s for s in messages)
    assert any("at least one step" in s for s in messages)
    # step problems name the exercise and the step, at the step's line
    text = HEAD + exercise("A", step='kind = "hold"\nlabel = "h"\nseconds = 0')
    [(line, message)] = problems(text)
    assert message.startswith("'seconds' = 0 s") and text.splitlines()[line - 1] == "seconds = 0"
    text = HEAD + exercise("A", step='kind = "hold"\nseconds = 3')
    [(_line, message)] = problems(text)
    assert message == "exercise 1 step 1: missing key 'label'"


def test_v2_only_keys_and_numbers() -> None:
    v1 = ('id = "t"\nname = "T"\nsafety = "s"\ncountdown = 3\n'
          '[[steps]]\nkind = "switch"\nlabel = "s"\n')
    assert problems(v1) == [(4, "'countdown' needs [[exercises]] (format v2)")]
    no_numbers = 'id = "t"\nname = "T"\nsafety = "s"\n' + exercise("A")
    assert "missing [numbers]" in problems(no_numbers)[0][1]
    both = HEAD + '[[steps]]\nkind = "switch"\nlabel = "s"\n' + exercise("A")
    assert "either [[steps]]" in problems(both)[0][1]
    assert problems(HEAD.replace("[numbers]", "countdown = 9\n[numbers]") + exercise("A"))[0][1] \
        == "'countdown' must be whole seconds 0..7, got 9"
    advice = (HEAD + '[[source]]\nfile = "a.txt"\ntitle = "A"\nuse = "advice"\n'
              '[[source]]\nfile = "b.txt"\ntitle = "B"\n' + exercise("A"))
    r = parse_text(advice)
    assert [s.use for s in r.sources] == ["advice", "exercises"] and r.source_file == "b.txt"


def test_v2_bytes_and_round_trip() -> None:
    r = parse_text(HEAD.replace("[numbers]", "countdown = 3\n[numbers]")
                   + exercise("A", step='kind = "breathe"\nlabel = "b"\nbreaths = 2\n'
                              'inhale = 4\nhold = 1\nexhale = 6\npause = 2')
                   + exercise("B", "sitting", "get_ready = 8",
                              step='kind = "repeat"\nlabel = "r"\ncount = 3\n'
                              'seconds = 2.5\ngap = 1')
                   + exercise("C", "sitting", "get_ready = 40",
                              step='kind = "hold"\nlabel = "h"\nseconds = 200\nsides = "each"'))
    plain = compile_routine(r, labels=False)
    assert plain[4] == 2 and plain[5] == 3 << 1  # version 2, countdown in flags bits 1-3
    steps = plain[16:]
    assert steps == bytes([
        0x01,
        0x43, 2, 0x41, 0x62,  # SHORT breathe: count, inhale|hold, exhale|pause (s)
        0x88,  # get-ready 8 s in the high nibble
        0x05, 3, 25, 10,  # repeat with 2.5 s: the long form
        0x08, 40,  # get-ready 40 s: a byte of seconds
        0x54, 200,  # SHORT hold 200 s each side
        0x02])
    d = decode(compile_routine(r))
    assert (d.version, d.countdown, d.exercises) == (2, 3, ("A", "B", "C"))
    assert [op.kind for op in d.ops] == [op.kind for op in r.ops()]
    assert [op.durations for op in d.ops] == [op.durations for op in r.ops()]
    assert d.ops[4].kind == fmt.NEXT and d.ops[4].label == ""  # the name is in d.exercises


def test_v1_sources_still_compile_to_v1() -> None:
    v1 = 'id = "t"\nname = "T"\nsafety = "s"\n[[steps]]\nkind = "hold"\nlabel = "h"\nseconds = 12\n'
    data = compile_routine(parse_text(v1), labels=False)
    assert data[4] == 1 and data[16:] == bytes([0x01, 0x04, 120, 0, 0x02])
    assert tally(decode(data).ops) == Count(1, 1)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_show_json_timeline(home: Path) -> None:
    code, out, _ = run("routines", "show", "back-stretches", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["exercises_count"], data["steps_count"]) == (4, 4)
    assert [e["position"] for e in data["exercises"]] == ["lying", "standing", "standing",
                                                          "standing"]
    # the mat is fetched at the prepare step, the floor reached at the wearer's press
    assert data["props"] == ["mat"]
    first = data["exercises"][0]
    assert (first["get_ready"], first["get_ready_ms"], first["quiet_ms"]) == ("press", 0, 2000)
    assert [e["get_ready"] for e in data["exercises"][1:]] == ["press", "timer", "timer"]
    assert all(e["quiet_ms"] >= 5000 for e in data["exercises"][2:])
    tl = data["timeline"]
    assert tl[0] == {"t_ms": 0, "cue": "begin", "felt": "go", "times": 1, "exercise": None,
                     "exercise_name": None, "step": None, "step_label": None, "side": None,
                     "detail": 0}
    assert tl[1]["cue"] == "wait" and tl[1]["exercise"] == 1
    assert (tl[1]["felt"], tl[1]["times"]) == ("count", 1)
    assert tl[-1]["cue"] == "done" and tl[-1]["t_ms"] == data["total_ms"]
    bend = [e for e in tl if e["exercise_name"] == "Side bend" and e["cue"] == "hold_start"]
    assert [e["side"] for e in bend] == [1, 2]
    assert [e["detail"] for e in tl if e["cue"] == "countdown"][:3] == [3, 2, 1]


def test_show_lists_exercises_numbers_and_legend(home: Path) -> None:
    code, out, _ = run("routines", "show", "stress-relief")
    assert code == 0
    assert "5 exercises, 5 steps" in out and "Cue legend" in out and "count" in out
    assert "advice only" in out and "Numbers from the text" in out
    assert "Numbers the project chose" in out and "each side" in out


def test_one_count_in_list_build_and_preview(home: Path, tmp_path: Path) -> None:
    code, out, _ = run("routines", "list")
    assert code == 0
    row = next(line for line in out.splitlines() if "micro-break" in line)
    assert row.split("│")[3:5] == [" 2         ", " 2     "] or "│ 2 " in row
    code, out, _ = run("routines", "build", "routines/micro-break.toml", "-o", str(tmp_path))
    assert "format v2, 2 exercises, 2 steps" in out
    code, out, _ = run("preview", "micro-break", "--speed", "10000")
    assert code == 0
    assert "2 exercises, 2 steps" in out
    assert "next: 2. Chin to chest, sitting" in out


def test_show_a_compiled_v2_file(home: Path, tmp_path: Path) -> None:
    for flag, names in (("--labels", ["Knead the shoulders", "Tennis-ball roll"]),
                        ("--no-labels", ["exercise 1", "exercise 5"])):
        out_dir = tmp_path / flag
        code, _, _ = run("routines", "build", "routines/self-massage.toml", "-o", str(out_dir),
                         flag)
        assert code == 0
        code, out, _ = run("routines", "show", str(out_dir / "self-massage.unk"), "--json")
        data = json.loads(out)
        assert data["format_version"] == 3 and data["exercises_count"] == 5
        got = [e["name"] for e in data["exercises"]]
        assert [got[0], got[-1]] == names
        assert data["exercises"][-1]["get_ready"] == "press"
        assert data["exercises"][-1]["position"] is None  # not in the binary
