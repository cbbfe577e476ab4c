"""`unknot device selftest --port` through the real raw REPL (mpremote) of a fake board: the
MicroPython unix port behind a pty (tools/fake_board.py), with the real firmware core in its
lib/. Only hw/checks.py is a stand-in (no board hardware there): it runs the core self-test
on virtual time with a simulated hand, as tools/mp/run_core.py does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from unknot import selftest as st
from unknot.errors import DeviceError

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("micropython") is None, reason="no micropython")

_CHECKS = '''
class _Checks:
    def __init__(self):
        self.light_sleeps = 0
        self.pin_wakes = 0

    def motor(self):
        return True, "stand-in"

    def ble(self):
        return "SKIP", "no radio on the fake board"

    def sleep_counts(self):
        return self.light_sleeps, self.pin_wakes


def run_selftest(getenv):
    import simadapters as sa
    from unknot import app as app_mod

    app = sa.make_app(app_mod.App, {})
    checks = _Checks()
    app.checks = checks
    clock = app.clock
    app.safe_step()
    app.start_selftest(clock.t)
    press_at = None
    while app.selftest_running():
        d = app.safe_step()
        if app.selftest.done:
            break
        if app.selftest.waiting_for_press and press_at is None:
            press_at = clock.t + 3000
        target = d if press_at is None else min(d, press_at)
        if app.idle() and target - clock.t > 1000:
            checks.light_sleeps += 1
            if press_at is not None and press_at <= d:
                checks.pin_wakes += 1
        clock.t = max(clock.t, target)
        if press_at is not None and clock.t >= press_at:
            press_at = None
            app.button.push(True, clock.t)
            app.button.push(False, clock.t + 80)
'''


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    procs: list[subprocess.Popen[str]] = []

    def start(root: Path) -> str:
        p = subprocess.Popen([sys.executable, str(REPO / "tools" / "fake_board.py"), "--root",
                              str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        procs.append(p)
        assert p.stdout is not None
        return p.stdout.readline().strip()

    yield start
    for p in procs:
        p.terminate()
        p.wait(10)


def _install(root: Path) -> None:
    lib = root / "lib"
    shutil.copytree(REPO / "firmware" / "lib" / "unknot", lib / "unknot",
                    ignore=shutil.ignore_patterns("hw"))
    (lib / "unknot" / "hw").mkdir()
    (lib / "unknot" / "hw" / "__init__.py").write_text("")
    (lib / "unknot" / "hw" / "checks.py").write_text(_CHECKS)
    shutil.copy(REPO / "tools" / "mp" / "simadapters.py", lib)
    shutil.copy(REPO / "tools" / "mp" / "shims" / "microcontroller.py", lib)
    (root / "tmp").mkdir()  # the nvm shim's file


def test_selftest_over_serial_streams_the_console(board: Callable[[Path], str],
                                                  tmp_path: Path) -> None:
    root = tmp_path / "dev"
    _install(root)
    port = board(root)
    lines: list[str] = []
    report = st.run_serial(port, lines.append)
    assert report.complete and [c.name for c in report.checks] == list(st.selftest.CHECKS)
    assert {c.name: c.status for c in report.checks}["sleep"] == "PASS"
    assert "cue begin: routine starts" in lines and lines[-1].startswith("SELFTEST end")
    st.verdict(report)
    # the board was soft-rebooted and answers again
    assert st.run_serial(port, lambda _l: None).complete


def test_selftest_over_serial_without_firmware(board: Callable[[Path], str],
                                               tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    with pytest.raises(DeviceError, match=r"failed to run on the board.*ImportError"):
        st.run_serial(board(root), lambda _l: None)
