"""Exercises in the routine language (format v2): parse and validate, the get-ready rule,
compile and decode, the one count, and what `routines show/preview` tell the wearer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
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

    assert transition.rule(ex("sitting"), ex("sitting"))[0] == transition.BASE_S == 5
    assert transition.rule(ex("sitting"), ex("standing"))[0] == 8
    assert transition.rule(ex("standing"), ex("lying"))[0] == 10
    assert transition.rule(ex("lying"), ex("sitting"))[0] == 10
    assert transition.rule(ex("lying", ("mat",)), ex("lying", ("mat", "ball")))[0] == 10
    assert transition.rule(None, ex("lying", ("mat",))) == (15, "sitting to lying, fetch mat")
    # at the desk already: no get-ready before a first sitting exercise
    assert transition.get_ready_s(None, ex("sitting")) == 0


def test_compiler_inserts_get_ready_steps() -> None:
    r = parse_text(HEAD + exercise("A") + exercise("B", "standing")
                   + exercise("C", "lying", 'props = ["mat"]\nget_ready = 20')
                   + exercise("D", "lying"))
    kinds = [op.kind for op in r.ops()]
    assert kinds == [fmt.BEGIN, fmt.HOLD, fmt.NEXT, fmt.HOLD, fmt.NEXT, fmt.HOLD, fmt.NEXT,
                     fmt.HOLD, fmt.END]
    assert [op.durations[0] for op in r.ops() if op.kind == fmt.NEXT] == [80, 200, 50]
    assert tally(r.ops()) == Count(4, 4)
    assert str(tally(r.ops())) == "4 exercises, 4 steps"
    assert [position(r.ops(), i) for i in (0, 1, 2, 3)] == [(0, 0), (1, 1), (2, 1), (2, 2)]
    nexts = [e for e in expand(r.ops()) if e.cue == "next_exercise"]
    assert [e.detail for e in nexts] == [2, 3, 4]


def test_short_get_ready_is_flagged_with_its_line() -> None:
    text = HEAD + exercise("A") + exercise("B", "lying", 'props = ["mat"]\nget_ready = 6')
    [(line, message)] = problems(text)
    assert text.splitlines()[line - 1] == "get_ready = 6"
    assert message == ("get-ready before exercise 2 'B' is 6 s, shorter than the rule's 15 s"
                       " (sitting to lying, fetch mat)")


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
                   + exercise("B", "standing", step='kind = "repeat"\nlabel = "r"\ncount = 3\n'
                              'seconds = 2.5\ngap = 1')
                   + exercise("C", "standing", "get_ready = 40",
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
    assert data["exercises"][0]["get_ready_ms"] == 15000
    tl = data["timeline"]
    assert tl[0] == {"t_ms": 0, "cue": "begin", "felt": "go", "times": 1, "exercise": None,
                     "exercise_name": None, "step": None, "step_label": None, "side": None,
                     "detail": 0}
    assert tl[1]["cue"] == "next_exercise" and tl[1]["exercise"] == 1
    assert (tl[1]["felt"], tl[1]["times"]) == ("count", 1)
    assert tl[-1]["cue"] == "done" and tl[-1]["t_ms"] == data["total_ms"] == 158_350
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
        assert data["format_version"] == 2 and data["exercises_count"] == 5
        got = [e["name"] for e in data["exercises"]]
        assert [got[0], got[-1]] == names
        assert data["exercises"][-1]["get_ready_ms"] == 15000
        assert data["exercises"][-1]["position"] is None  # not in the binary
