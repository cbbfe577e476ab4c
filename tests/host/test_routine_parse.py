"""Parser and validator: every error class is reported with its line, all in one run."""

from __future__ import annotations

import pytest
from unknot.core import routine as fmt
from unknot.routine import ProblemsError, parse_text
from unknot.routine import model as m
from unknot.routine.library import load_all

HEAD = 'id = "t"\nname = "T"\nsafety = "Stop if it hurts."\n'


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ProblemsError) as info:
        parse_text(text, "x.toml")
    assert str(info.value).startswith("x.toml:")
    return [(p.line, p.message) for p in info.value.problems]


def one(text: str) -> tuple[int, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_parses_every_kind() -> None:
    text = (
        HEAD
        + """
[source]
file = "002_17c44f48d25a7800.txt"
title = "Stretches"

[[steps]]
kind = "breathe"
label = "B"
say = "breathe"
breaths = 3
inhale = 4
hold = 0.5
exhale = 6

[[steps]]
kind = "hold"
label = "H"
seconds = 25
sides = "each"
tick = true

[[steps]]
kind = "repeat"
label = "R"
count = 10
seconds = 2.5
gap = 2

[[steps]]
kind = "rest"
label = "Z"
seconds = 600

[[steps]]
kind = "switch"
label = "S"
"""
    )
    r = parse_text(text)
    assert (r.slug, r.name, r.source_file) == ("t", "T", "002_17c44f48d25a7800.txt")
    assert r.steps == [
        m.Op(fmt.BREATHE, (40, 5, 60, 0), count=3, label="B"),
        m.Op(fmt.HOLD, (250,), sides=True, tick=True, label="H"),
        m.Op(fmt.REPEAT, (25, 20), count=10, label="R"),
        m.Op(fmt.REST, (6000,), label="Z"),
        m.Op(fmt.SWITCH, label="S"),
    ]
    assert r.says == ["breathe", "", "", "", ""]
    assert r.ops()[0].kind == fmt.BEGIN and r.ops()[-1].kind == fmt.END


def step(body: str) -> str:
    return HEAD + "\n[[steps]]\n" + body


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ('kind = "hold"\nlabel = "a"\nseconds = -3\n', 8, "greater than 0"),
        ('kind = "hold"\nlabel = "a"\nseconds = 0\n', 8, "greater than 0"),
        ('kind = "hold"\nlabel = "a"\nseconds = 601\n', 8, "at most 600 s"),
        ('kind = "rest"\nlabel = "a"\nseconds = 1.25\n', 8, "multiple of 0.1"),
        ('kind = "rest"\nlabel = "a"\nseconds = "10"\n', 8, "number of seconds"),
        ('kind = "rest"\nlabel = "a"\nseconds = nan\n', 8, "finite"),
        ('kind = "jump"\nlabel = "a"\n', 6, "unknown step kind 'jump'"),
        ('label = "a"\n', 5, "step 1: missing key 'kind'"),
        ('kind = "rest"\nlabel = "a"\n', 5, "step 1: missing key 'seconds'"),
        ('kind = "rest"\nseconds = 3\n', 5, "step 1: missing key 'label'"),
        ('kind = "rest"\nlabel = "a"\nseconds = 3\ncolor = 1\n', 9, "unknown key 'color'"),
        ('kind = "switch"\nlabel = "a"\nseconds = 3\n', 8, "unknown key 'seconds'"),
        ('kind = "breathe"\nlabel = "a"\nbreaths = 0\ninhale = 4\nexhale = 4\n', 8, "1..255"),
        ('kind = "breathe"\nlabel = "a"\nbreaths = 256\ninhale = 4\nexhale = 4\n', 8, "1..255"),
        ('kind = "breathe"\nlabel = "a"\nbreaths = 1\ninhale = 26\nexhale = 4\n', 9, "25.5 s"),
        ('kind = "breathe"\nlabel = "a"\nbreaths = 1\ninhale = 4\nexhale = 0\n', 10, "than 0"),
        ('kind = "breathe"\nlabel = "a"\nbreaths = 1.5\ninhale = 4\nexhale = 4\n', 8, "whole"),
        ('kind = "repeat"\nlabel = "a"\ncount = 2\nseconds = 30\n', 9, "at most 25.5 s"),
        ('kind = "repeat"\nlabel = "a"\ncount = 2\nseconds = 3\ngap = -1\n', 10, "0 s or more"),
        ('kind = "hold"\nlabel = "a"\nseconds = 3\nsides = "both"\n', 9, '"one" or "each"'),
        ('kind = "hold"\nlabel = "a"\nseconds = 3\ntick = 1\n', 9, "true or false"),
        ('kind = "rest"\nlabel = "' + "é" * 128 + '"\nseconds = 3\n', 7, "at most 255"),
        ('kind = "rest"\nlabel = ""\nseconds = 3\n', 7, "must not be empty"),
    ],
)
def test_step_errors(body: str, line: int, fragment: str) -> None:
    got_line, message = one(step(body))
    assert fragment in message
    assert got_line == line


def test_top_level_errors_and_all_in_one_run() -> None:
    text = (
        'id = "Not A Slug"\n'  # 1
        'nam = "typo"\n'  # 2
        "\n"
        "[source]\n"  # 4
        'file = "x.txt"\n'  # 5
        "\n"
        "[[steps]]\n"  # 7
        'kind = "rest"\n'
        'label = "a"\n'
        "seconds = 0\n"  # 10
        "[[steps]]\n"  # 11
        'kind = "hold"\n'
        'label = "b"\n'
        "seconds = 9999\n"  # 14
    )
    found = problems(text)
    lines = [line for line, _ in found]
    assert lines == sorted(lines)
    messages = dict((msg.split(" ")[0] + str(line), msg) for line, msg in found)
    assert len(found) == 7, found
    text_all = "\n".join(f"{line}: {msg}" for line, msg in found)
    for expected in [
        "1: id 'Not A Slug' must be a slug",
        "2: unknown key 'nam'",
        "1: missing key 'name'",
        "1: missing key 'safety'",
        "4: missing key 'source.title'",
        "10: 'seconds' = 0 s",
        "14: 'seconds' = 9999 s is too long",
    ]:
        assert expected in text_all, (expected, text_all)
    assert messages


def test_invalid_toml_reports_line() -> None:
    line, message = one(HEAD + "\n[[steps]]\nkind = \n")
    assert line == 6 and message.startswith("invalid TOML")


def test_no_steps() -> None:
    assert "at least one step" in one(HEAD)[1]


def test_too_many_steps() -> None:
    body = "".join(f'[[steps]]\nkind = "switch"\nlabel = "s{i}"\n' for i in range(199))
    line, message = one(HEAD + body)
    assert "too many steps: 199 (at most 198" in message
    assert line == 4 + 3 * 198  # the first step past the limit


def test_routine_longer_than_an_hour() -> None:
    body = "".join(f'[[steps]]\nkind = "rest"\nlabel = "r{i}"\nseconds = 600\n' for i in range(7))
    _line, message = one(HEAD + body)
    assert "at most 60 minutes" in message and "4202.5 s" in message


def test_format_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the validator's own limits (200 steps, 255-byte labels) a routine always fits
    # (at most about 53 kB); lift the step cap to reach the format's 65535-byte limit.
    monkeypatch.setattr(m, "MAX_STEPS", 1000)
    big = "x" * 255
    body = "".join(f'[[steps]]\nkind = "switch"\nlabel = "{big}"\n' for i in range(260))
    _, message = one(HEAD.replace('name = "T"', f'name = "{big}"') + body)
    assert "the format holds at most 65535" in message


def test_duplicate_and_colliding_ids(tmp_path: object, home: object) -> None:
    from pathlib import Path

    from unknot.routine import routine_id

    d = Path(str(tmp_path)) / "r"
    d.mkdir()
    (d / "a.toml").write_text(step('kind = "switch"\nlabel = "s"\n'))
    (d / "b.toml").write_text("\n" + step('kind = "switch"\nlabel = "s"\n'))
    # find two slugs whose crc32 & 0xFFFF collide
    seen: dict[int, str] = {}
    pair: tuple[str, str] = ("", "")
    for i in range(100000):
        slug = f"r{i}"
        if routine_id(slug) in seen:
            pair = (seen[routine_id(slug)], slug)
            break
        seen[routine_id(slug)] = slug
    for n, slug in enumerate(pair):
        (d / f"c{n}.toml").write_text(
            step('kind = "switch"\nlabel = "s"\n').replace('id = "t"', f'id = "{slug}"')
        )
    with pytest.raises(ProblemsError) as info:
        load_all([str(d)])
    text = str(info.value)
    assert f"{d / 'b.toml'}:2: duplicate routine id 't'" in text
    assert f"{d / 'c1.toml'}:1: routine id '{pair[1]}' has numeric id" in text


def test_user_routine_shadowing_library_is_an_error(home: object) -> None:
    from unknot import paths

    lib = sorted(paths.library_dir().glob("*.toml"))[0]
    (paths.user_routines_dir() / "mine.toml").write_text(lib.read_text())
    with pytest.raises(ProblemsError) as info:
        load_all()
    assert "duplicate routine id" in str(info.value)
    assert "mine.toml" in str(info.value)
