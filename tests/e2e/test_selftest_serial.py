"""`unknot device selftest --port` through the real raw REPL (mpremote) of a fake board: the
MicroPython unix port behind a pty (tools/fake_board.py), with the real firmware core in its
lib/. Only hw/checks.py is a stand-in (no board hardware there): it runs the core self-test
on virtual time with the simulated checks and hand (unknot.sim.simadapters), as
tools/mp/run_core.py does."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from unknot import selftest as st
from unknot.errors import DeviceError

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("micropython") is None, reason="no micropython")

_CHECKS = '''
def run_selftest(getenv):
    import simadapters as sa
    from unknot import app as app_mod

    app = sa.make_app(app_mod.App, {})
    checks = sa.SimChecks()
    app.checks = checks
    app.safe_step()
    app.start_selftest(app.clock.t)
    sa.drive_selftest(app, checks)
'''


def _install(root: Path) -> None:
    lib = root / "lib"
    shutil.copytree(REPO / "firmware" / "lib" / "unknot", lib / "unknot",
                    ignore=shutil.ignore_patterns("hw"))
    (lib / "unknot" / "hw").mkdir()
    (lib / "unknot" / "hw" / "__init__.py").write_text("")
    (lib / "unknot" / "hw" / "checks.py").write_text(_CHECKS)
    for name in ("simadapters.py", "simnvm.py"):
        shutil.copy(REPO / "host" / "unknot" / "sim" / name, lib)
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
    assert "cue switch: switch side" in lines and lines[-1].startswith("SELFTEST end")
    st.verdict(report)
    # the board was soft-rebooted and answers again
    assert st.run_serial(port, lambda _l: None).complete


def test_selftest_over_serial_without_firmware(board: Callable[[Path], str],
                                               tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    with pytest.raises(DeviceError, match=r"failed to run on the board.*ImportError"):
        st.run_serial(board(root), lambda _l: None)
