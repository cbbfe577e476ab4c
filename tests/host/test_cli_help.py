"""Every command, including every subcommand of every group, has help text.

Walks unknot.cli.COMMANDS generically, so commands added later are covered too.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from unknot.cli import COMMANDS, cli


def walk(cmd: click.Command, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, cmd)]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None, (path, name)
            found += walk(sub, (*path, name))
    return found


def all_commands() -> list[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(cli)
    out: list[tuple[tuple[str, ...], click.Command]] = []
    for name in sorted(COMMANDS):
        cmd = cli.get_command(ctx, name)
        assert cmd is not None, name
        out += walk(cmd, (name,))
    return out


def test_table_has_short_help() -> None:
    for name, (target, short) in COMMANDS.items():
        assert ":" in target and short.strip(), name


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    cmd = dict(all_commands())[path]
    assert (cmd.help or "").strip(), f"`unknot {' '.join(path)}` has no docstring/help"
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"`unknot {' '.join(path)}` {param.opts}: no help"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_top_level_help() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
