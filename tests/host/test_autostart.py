"""`unknot autostart`: the systemd unit and launchd plist it writes, parsed back, verified by
systemd-analyze where it exists, and enable/disable round trips into a temp config dir."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot import autostart, paths
from unknot.cli import cli


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UNKNOT_HOME", raising=False)
    yield tmp_path
    paths.set_home(None)


def parse_unit(text: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string(text)
    return unit


def test_unit_runs_this_unknot_with_home(config: Path) -> None:
    home = config / "my home %h $x"  # spaces and systemd specifiers must survive quoting
    paths.set_home(home)
    command = autostart.watch_command()
    assert command[-4:] == ["--home", str(home), "sync", "--watch"]
    assert os.path.isabs(command[0])
    text = autostart.SystemdUser().render(command).decode()
    unit = parse_unit(text)
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "default.target"
    # undo systemd's own escapes, then split as a shell would: the same argv comes back
    exec_start = service["ExecStart"].replace("%%", "%").replace("$$", "$")
    assert shlex.split(exec_start) == command


def test_no_home_no_home_flag(config: Path) -> None:
    assert "--home" not in autostart.watch_command()


def test_launchd_plist_parses_back(config: Path) -> None:
    paths.set_home(config / "h")
    agent = autostart.LaunchdAgent()
    plist = plistlib.loads(agent.render(autostart.watch_command()))
    assert plist["Label"] == autostart.LABEL
    assert plist["ProgramArguments"] == autostart.watch_command()
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    assert agent.path() == config / "home" / "Library" / "LaunchAgents" / "org.unknot.sync.plist"


def test_launchd_round_trip_without_launchctl(config: Path) -> None:
    agent = autostart.LaunchdAgent()
    out = autostart.enable(agent)  # not macOS here: writes the file, says what to run
    assert out.ran == [] and any("launchctl bootstrap" in t for t in out.todo)
    assert plistlib.loads(agent.path().read_bytes())["Label"] == autostart.LABEL
    assert autostart.status(agent).installed
    autostart.disable(agent)
    assert not agent.path().exists()


def test_systemd_analyze_verify(config: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (not a systemd system)")
    unit = autostart.SystemdUser()
    autostart.enable(unit, manage=False)
    runtime = config / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    res = subprocess.run([analyze, "--user", "verify", str(unit.path())],
                         capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0, res.stderr
    assert unit.path().name not in res.stdout + res.stderr, res.stderr  # no warnings
    # and the check can fail: a unit whose ExecStart is missing is refused
    bad = unit.path().read_text().replace("ExecStart=", "ExecStart=/nonexistent")
    unit.path().write_text(bad)
    res = subprocess.run([analyze, "--user", "verify", str(unit.path())],
                         capture_output=True, text=True, env=env, check=False)
    assert res.returncode != 0


def test_cli_round_trip(config: Path) -> None:
    runner = CliRunner()
    home = config / "uh"
    path = config / "xdg" / "systemd" / "user" / "unknot-sync.service"
    printed = runner.invoke(cli, ["--home", str(home), "autostart", "enable", "--print"])
    assert printed.exit_code == 0, printed.output
    assert not path.exists()  # --print writes nothing
    assert "ExecStart=" in printed.output and str(path) in printed.output

    on = runner.invoke(cli, ["--home", str(home), "autostart", "enable", "--write-only"])
    assert on.exit_code == 0, on.output
    assert "systemctl --user enable --now unknot-sync.service" in on.output
    text = path.read_text()
    assert printed.output.split("\n", 1)[1] == text  # --print shows exactly the file
    assert stat.S_IMODE(path.stat().st_mode) & 0o044 == 0o044  # readable
    assert str(home) in parse_unit(text)["Service"]["ExecStart"]

    st = runner.invoke(cli, ["--home", str(home), "autostart", "status"])
    assert "Installed: yes\n" in st.output
    other = runner.invoke(cli, ["--home", str(config / "elsewhere"), "autostart", "status"])
    assert "differs" in other.output

    off = runner.invoke(cli, ["--home", str(home), "autostart", "disable", "--write-only"])
    assert off.exit_code == 0 and not path.exists()
    assert "Installed: no" in runner.invoke(cli, ["autostart", "status"]).output
    again = runner.invoke(cli, ["autostart", "disable"])
    assert "Not installed" in again.output


def test_enable_drives_systemctl_when_it_answers(config: Path) -> None:
    """A stand-in `systemctl` on PATH that answers and logs its arguments: enable and
    disable run the documented commands, status reads is-enabled/is-active."""
    bin_dir = config / "bin"
    bin_dir.mkdir()
    log = config / "systemctl.log"
    fake = bin_dir / "systemctl"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'case "$2" in is-enabled) echo enabled;; is-active) echo active;; esac\n'
    )
    fake.chmod(0o755)
    runner = CliRunner(env={"PATH": str(bin_dir)})
    on = runner.invoke(cli, ["autostart", "enable"])
    assert on.exit_code == 0, on.output
    st = runner.invoke(cli, ["autostart", "status"])
    assert "Enabled:   yes" in st.output and "Running:   yes" in st.output
    off = runner.invoke(cli, ["autostart", "disable"])
    assert off.exit_code == 0, off.output
    assert log.read_text().splitlines() == [
        "--user show-environment", "--user daemon-reload",
        "--user enable --now unknot-sync.service",
        "--user show-environment", "--user is-enabled unknot-sync.service",
        "--user is-active unknot-sync.service",
        "--user show-environment", "--user disable --now unknot-sync.service",
        "--user show-environment", "--user daemon-reload",
    ]


def test_systemctl_unavailable_tells_the_command(config: Path) -> None:
    runner = CliRunner(env={"PATH": str(config)})  # no systemctl on PATH
    on = runner.invoke(cli, ["autostart", "enable"])
    assert on.exit_code == 0
    assert "systemctl --user daemon-reload" in on.output
    st = runner.invoke(cli, ["autostart", "status"])
    assert "Enabled:   unknown" in st.output


def test_unwritable_config_is_one_error_line(config: Path) -> None:
    ro = config / "xdg"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        res = CliRunner().invoke(cli, ["autostart", "enable", "--write-only"])
    finally:
        ro.chmod(0o700)
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    assert res.exit_code == 1
    assert res.output.startswith("Error: cannot write") and "Traceback" not in res.output
