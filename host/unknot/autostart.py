"""`unknot autostart`: run `unknot sync --watch` as a per-user background service.

The platform is chosen in one place (`service()`): a systemd user unit on Linux
(~/.config/systemd/user/unknot-sync.service), a launchd agent on macOS
(~/Library/LaunchAgents/org.unknot.sync.plist). Both are plain files a user can read and
edit. The service manager is driven only when it answers (`systemctl --user` needs a user
session bus); otherwise the file is written and the user is told the command to run.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from unknot import paths
from unknot.errors import UnknotError

UNIT_NAME = "unknot-sync.service"
LABEL = "org.unknot.sync"
RESTART_S = 30  # wait before a crashed watcher is restarted


class AutostartError(UnknotError):
    """The service file could not be written or the service manager refused."""


def watch_command() -> list[str]:
    """The command the service runs: this very `unknot` (absolute path), with --home when
    one was chosen, then `sync --watch`."""
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name in ("unknot", "unknot.exe") and Path(argv0).exists():
        cmd = [os.path.abspath(argv0)]
    else:  # python -m unknot, or a test runner: run the same interpreter and package
        cmd = [sys.executable, "-m", "unknot"]
    home = paths.explicit_home()
    if home is not None:
        cmd += ["--home", str(home)]
    return [*cmd, "sync", "--watch"]


@dataclass
class Status:
    path: Path
    installed: bool
    current: bool  # the file is what `enable` would write now
    enabled: bool | None  # None: the service manager cannot tell
    running: bool | None
    note: str = ""


@dataclass
class Outcome:
    path: Path
    ran: list[list[str]] = field(default_factory=list)  # service-manager commands run
    todo: list[str] = field(default_factory=list)  # commands the user should run


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)


def _systemd_quote(arg: str) -> str:
    """One ExecStart word (systemd.service(5), "Command lines"): `%` and `$` are expanded
    by systemd, so double them; quote words with spaces, quotes or backslashes."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if arg and not any(c in arg for c in " \t\"'\\;"):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SystemdUser:
    """A systemd user unit; `systemctl --user` when a user manager answers."""

    kind = "systemd user unit"

    def path(self) -> Path:
        config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(config) / "systemd" / "user" / UNIT_NAME

    def render(self, command: list[str]) -> bytes:
        exec_start = " ".join(_systemd_quote(a) for a in command)
        return (
            "# Written by `unknot autostart enable`; `unknot autostart disable` removes it.\n"
            "[Unit]\n"
            "Description=Unknot: sync the wearable's session history when it is in range\n"
            "\n"
            "[Service]\n"
            "Type=simple\n"
            f"ExecStart={exec_start}\n"
            "Restart=on-failure\n"
            f"RestartSec={RESTART_S}\n"
            "Environment=PYTHONUNBUFFERED=1\n"
            "\n"
            "[Install]\n"
            "WantedBy=default.target\n"
        ).encode()

    def usable(self) -> bool:
        if shutil.which("systemctl") is None:
            return False
        return _run(["systemctl", "--user", "show-environment"]).returncode == 0

    def start_commands(self) -> list[list[str]]:
        return [["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", UNIT_NAME]]

    def stop_commands(self) -> list[list[str]]:
        return [["systemctl", "--user", "disable", "--now", UNIT_NAME]]

    def after_remove(self) -> list[list[str]]:
        return [["systemctl", "--user", "daemon-reload"]]

    def state(self) -> tuple[bool | None, bool | None]:
        enabled = _run(["systemctl", "--user", "is-enabled", UNIT_NAME]).stdout.strip()
        active = _run(["systemctl", "--user", "is-active", UNIT_NAME]).stdout.strip()
        return enabled == "enabled", active == "active"


class LaunchdAgent:
    """A launchd agent in ~/Library/LaunchAgents; `launchctl` in the user's GUI domain."""

    kind = "launchd agent"

    def path(self) -> Path:
        return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"

    def log_path(self) -> Path:
        return Path.home() / "Library" / "Logs" / "unknot-sync.log"

    def render(self, command: list[str]) -> bytes:
        return plistlib.dumps({
            "Label": LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},  # restart on failure, like systemd's
            "ThrottleInterval": RESTART_S,
            "ProcessType": "Background",
            "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
            "StandardOutPath": str(self.log_path()),
            "StandardErrorPath": str(self.log_path()),
        })

    def _domain(self) -> str:
        return f"gui/{os.getuid()}"

    def usable(self) -> bool:
        return sys.platform == "darwin" and shutil.which("launchctl") is not None

    def start_commands(self) -> list[list[str]]:
        return [["launchctl", "bootstrap", self._domain(), str(self.path())]]

    def stop_commands(self) -> list[list[str]]:
        return [["launchctl", "bootout", f"{self._domain()}/{LABEL}"]]

    def after_remove(self) -> list[list[str]]:
        return []

    def state(self) -> tuple[bool | None, bool | None]:
        out = _run(["launchctl", "print", f"{self._domain()}/{LABEL}"])
        if out.returncode != 0:
            return False, False
        return True, "state = running" in out.stdout


Backend = SystemdUser | LaunchdAgent


def service(platform: str = sys.platform) -> Backend:
    """The service manager of this platform: the one place the platform is checked."""
    if platform == "darwin":
        return LaunchdAgent()
    if platform.startswith("linux"):
        return SystemdUser()
    raise AutostartError(
        f"autostart supports Linux (systemd) and macOS (launchd), not {platform}; "
        "run `unknot sync --watch` from your session's startup programs instead"
    )


def _shell(cmd: list[str]) -> str:
    import shlex

    return shlex.join(cmd)


def _drive(backend: Backend, commands: list[list[str]], manage: bool, out: Outcome) -> None:
    if manage and backend.usable():
        for cmd in commands:
            res = _run(cmd)
            out.ran.append(cmd)
            if res.returncode != 0:
                raise AutostartError(
                    f"`{_shell(cmd)}` failed: {(res.stderr or res.stdout).strip()}"
                )
    else:
        out.todo += [_shell(c) for c in commands]


def enable(backend: Backend, *, manage: bool = True) -> Outcome:
    """Write the service file (mode 0644: readable) and start the service when the service
    manager answers and `manage`; else list the commands the user should run."""
    path = backend.path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(backend.render(watch_command()))
        path.chmod(0o644)
    except OSError as exc:
        raise AutostartError(f"cannot write {path}: {exc.strerror or exc}") from exc
    out = Outcome(path)
    _drive(backend, backend.start_commands(), manage, out)
    return out


def disable(backend: Backend, *, manage: bool = True) -> Outcome:
    """Stop the service when the manager answers, and remove the file."""
    path = backend.path()
    out = Outcome(path)
    if not path.exists():
        return out
    _drive(backend, backend.stop_commands(), manage, out)
    try:
        path.unlink()
    except OSError as exc:
        raise AutostartError(f"cannot remove {path}: {exc.strerror or exc}") from exc
    _drive(backend, backend.after_remove(), manage, out)
    return out


def status(backend: Backend) -> Status:
    path = backend.path()
    installed = path.is_file()
    current = installed and path.read_bytes() == backend.render(watch_command())
    if not backend.usable():
        return Status(path, installed, current, None, None,
                      note=f"cannot ask the service manager ({backend.kind} commands unavailable)")
    enabled, running = backend.state()
    return Status(path, installed, current, enabled, running)
