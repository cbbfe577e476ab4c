"""Every `unknot ...` command the README and docs/ show names a command and options that
exist (issue 20: the README named `routines list --json` and `devices --include-sim`, which
answered "No such option"), and the README's read-only rows run as commands."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from unknot.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_INLINE = re.compile(r"`(unknot [^`]+)`")


def _commands(text: str) -> list[str]:
    """`unknot ...` commands in inline code, and lines of sh code blocks."""
    found = [m.group(1) for m in _INLINE.finditer(text)]
    in_sh = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_sh = line.strip() in ("```sh", "```console", "```shell") and not in_sh
            continue
        if in_sh:
            for part in line.split("#", 1)[0].split("&&"):
                part = part.strip()
                if part.startswith("unknot "):
                    found.append(part)
    return found


def _tokens(command: str) -> list[str]:
    # `[--a | --b]` alternatives and `[X]` placeholders: keep the words, drop the brackets
    cleaned = re.sub(r"[\[\]()|,]", " ", command.replace("\\|", " "))
    try:
        return shlex.split(cleaned)[1:]
    except ValueError:
        return cleaned.split()[1:]


def _opts(cmd: click.Command) -> dict[str, click.Parameter]:
    return {o: p for p in cmd.params for o in p.opts + p.secondary_opts}


def _check(command: str) -> list[str]:
    """Problems of one documented command: an unknown subcommand or option."""
    ctx = click.Context(cli)
    cmd: click.Command = cli
    options = _opts(cli)
    problems = []
    tokens = _tokens(command)
    if tokens and tokens[0].endswith(":"):
        return []  # prose such as "unknot boot: normal mode", not a command
    skip = False
    for tok in tokens:
        if skip:
            skip = False
            continue
        if tok.startswith("-"):
            name = tok.split("=", 1)[0]
            param = options.get(name)
            if param is None and name != "--help":
                problems.append(f"{command!r}: no option {name} on `{cmd.name}`")
            takes = isinstance(param, click.Option) and not param.is_flag and param.nargs == 1
            # An option with an optional value (`--sim [NAME]`) has a str flag_value; click
            # 8.5 gives every other option a truthy UNSET sentinel there, not None.
            optional = isinstance(getattr(param, "flag_value", None), str)
            skip = takes and "=" not in tok and not optional
            continue
        if isinstance(cmd, click.Group):
            sub = cmd.get_command(ctx, tok)
            if sub is None:
                problems.append(f"{command!r}: no command {tok!r}")
                return problems
            cmd = sub
            options |= _opts(sub)
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documented_commands_exist(doc: Path) -> None:
    commands = _commands(doc.read_text(encoding="utf-8"))
    problems = [p for c in commands for p in _check(c)]
    assert not problems, "\n".join(problems)


def test_the_checker_sees_a_wrong_option() -> None:
    assert _check("unknot devices --include-sim")  # what the README said
    assert _check("unknot routines lst")
    assert not _check("unknot routines list --json")
    assert not _check("unknot flash [--drive PATH \\| --port DEV \\| --ble [ADDR] \\| --sim]")


def test_readme_read_only_rows_run(tmp_path: Path) -> None:
    """The README's read rows, run as written in a fresh home: exit 0."""
    rows = ["routines list", "routines list --json", "routines show neck-stretches --json",
            "history --json", "stats", "devices", "devices --json", "doctor"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for row in rows:
        base = " ".join(w for w in row.split() if not w.startswith("--"))
        assert f"unknot {base}" in readme, row
        res = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), *row.split()])
        assert res.exit_code == 0, (row, res.output)
        if row.endswith("--json"):
            json.loads(res.output)


def test_readme_layout_names_every_host_module() -> None:
    layout = (ROOT / "README.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    host = ROOT / "host" / "unknot"
    names = [p.name for p in host.glob("*.py") if not p.name.startswith("__")]
    names += [p.name + "/" for p in host.iterdir() if (p / "__init__.py").exists()]
    missing = [n for n in names if n not in layout]
    assert not missing, f"README layout misses {missing}"


def test_readme_names_the_protocol_version() -> None:
    from unknot import core

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"protocol v{core.proto.PROTOCOL_VERSION}" in readme


def test_every_sim_key_is_in_the_help_and_demo_doc() -> None:
    from unknot.sim.terminal import KEY_GESTURES, PAIR_KEY

    res = CliRunner().invoke(cli, ["sim", "--help"])
    demo = (ROOT / "docs" / "demo.md").read_text(encoding="utf-8")
    for key in [k for k in KEY_GESTURES if k.strip()] + [PAIR_KEY, "q"]:
        assert f"{key} = " in res.output or f"{key} or " in res.output, key
        assert f"**{key}**" in demo, key


def _keys_in(doc: str, start: str, end: str) -> set[str]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    part = text[text.index(start):]
    part = part[:part.index(end)]
    return set(re.findall(r"`([a-z_]+)`", part))


def test_history_json_fields_are_the_documented_ones(tmp_path: Path) -> None:
    from unknot.core import journal as record
    from unknot.history import DeviceSeen, HistoryStore
    from unknot.journal import SessionRecord

    with HistoryStore.open(tmp_path / "h.sqlite3") as st:
        st.ingest(DeviceSeen("c0ffee0012345678", "A", "0.1.0", unix=1_800_000_100,
                             uptime_s=10, boot=1, tail_seq=1),
                  [SessionRecord(1, 1_800_000_000, 7, 4, 4, 240, record.COMPLETED, 1)],
                  1_800_000_100.0)
        keys = set(st.sessions()[0].to_json())
    documented = _keys_in("history.md", "with exactly these keys", "writes the same objects")
    assert keys == documented - {"json"}


def test_link_json_keys_are_the_documented_ones(tmp_path: Path) -> None:
    from unknot.sim import interproc

    keys = set(json.loads(interproc.write_link(tmp_path, 1234, 2.0).read_text()))
    assert keys <= _keys_in("demo.md", "Its keys:", "writes it.")
