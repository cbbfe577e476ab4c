"""Serial upload with the real mpremote against the real MicroPython unix port behind a pty
(tools/fake_board.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot.cli import cli
from unknot.errors import DeviceError
from unknot.transport import open_transport

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("micropython") is None, reason="no micropython")

Board = Callable[..., str]


def test_mpremote_cli_against_fake_board(board: Board, tmp_path: Path) -> None:
    root = tmp_path / "dev"
    root.mkdir()
    port = board(root)
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello board\n")
    run = [sys.executable, "-m", "mpremote", "connect", port]
    subprocess.run([*run, "fs", "cp", str(src), ":hello.txt"], check=True, timeout=30,
                   capture_output=True)
    assert (root / "hello.txt").read_bytes() == b"hello board\n"
    out = subprocess.run([*run, "soft-reset", "exec", "print(6*7)"], check=True, timeout=30,
                         capture_output=True, text=True).stdout
    assert "42" in out


def _firmware(root: Path) -> Path:
    """A board root with the firmware core in /lib/unknot (as `unknot device install` puts)."""
    shutil.copytree(REPO / "firmware" / "lib" / "unknot", root / "lib" / "unknot",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _lib() -> dict[str, bytes]:
    from unknot.routine.selection import compile_selection

    return dict(compile_selection(()))


def _on_board(root: Path) -> dict[str, bytes]:
    """The set the board's loader takes (the firmware's SetStore over the board root)."""
    from unknot import core

    store = core.sets.SetStore(core.sets.OsFS(str(root)), "/routines")
    return {n: store.read(n) for n in store.list()}


def test_write_routines_serial(board: Board, tmp_path: Path) -> None:
    root = _firmware(tmp_path / "dev")
    port = board(root)
    lib = _lib()
    a, b, c = sorted(lib)[:3]
    seen: list[tuple[str, int, int]] = []
    with open_transport(port=port) as t:
        s = t.write_routines({a: lib[a], b: lib[b]}, lambda *x: seen.append(x))
        assert s.copied == [f"routines/{a}", f"routines/{b}"]
        s = t.write_routines({a: lib[a], b: lib[c]})
        assert s.unchanged == [f"routines/{a}"] and s.copied == [f"routines/{b}"]
    assert _on_board(root) == {a: lib[a], b: lib[c]}
    assert seen[-1][0] == f"routines/{b}" and seen[-1][1] == seen[-1][2] == len(lib[b])
    with open_transport(port=port) as t:
        s = t.write_routines({a: lib[a]}, prune=True)
        assert s.removed == [f"routines/{b}"] and s.unchanged == [f"routines/{a}"]
        with pytest.raises(DeviceError, match="not a valid routine"):
            t.write_routines({"junk.unk": b"UNKR1234"})
    assert _on_board(root) == {a: lib[a]}
    assert len([p for p in (root / "routines").iterdir()]) == 1  # one set folder


def test_old_firmware_without_sets_says_what_to_do(board: Board, tmp_path: Path) -> None:
    root = tmp_path / "dev"
    root.mkdir()
    port = board(root)
    lib = _lib()
    a = sorted(lib)[0]
    with pytest.raises(DeviceError, match="device install"), open_transport(port=port) as t:
        t.write_routines({a: lib[a]})


def test_read_only_filesystem_says_what_to_do(board: Board, tmp_path: Path) -> None:
    root = _firmware(tmp_path / "dev")
    lib = _lib()
    a, b = sorted(lib)[:2]
    (root / "routines").mkdir(parents=True)
    (root / "routines" / a).write_bytes(lib[a])  # firmware before sets: loose files
    port = board(root, readonly=True)
    with pytest.raises(DeviceError) as e, open_transport(port=port) as t:
        t.write_routines({a: lib[b]})
    assert "read-only" in str(e.value) and "hold the button while pressing reset" in str(e.value)
    assert _on_board(root) == {a: lib[a]}
    assert sorted(p.name for p in (root / "routines").iterdir()) == [a]
    r = CliRunner().invoke(cli, ["device", "config", "--port", port, "UNKNOT_MICRO_MIN=45"])
    assert r.exit_code == 1 and "Read-only" not in r.output and "read-only" in r.output


def test_info_and_config_serial(board: Board, tmp_path: Path) -> None:
    root = _firmware(tmp_path / "dev")
    (root / "lib" / "unknot" / "__init__.py").write_text('FIRMWARE_VERSION = "0.9.1"\n')
    (root / "boot_out.txt").write_text("Adafruit CircuitPython 9.2.1 on 2024-11-20; "
                                       "Adafruit Feather nRF52840 Express with nRF52840\n")
    (root / "settings.toml").write_text('# my board\nUNKNOT_MICRO_MIN = 30\nWIFI = "x"\n')
    port = board(root)
    lib = _lib()
    first = sorted(lib)[0]
    with open_transport(port=port) as t:
        t.write_routines({"neck.unk": lib[first]})
    r = CliRunner().invoke(cli, ["device", "info", "--port", port])
    assert r.exit_code == 0, r.output
    assert "0.9.1" in r.output and f"neck.unk ({len(lib[first])} bytes)" in r.output
    assert "9.2.1" in r.output
    r = CliRunner().invoke(cli, ["device", "config", "--port", port, "UNKNOT_MICRO_MIN=45",
                                 "UNKNOT_SNOOZE_MIN=10"])
    assert r.exit_code == 0, r.output
    assert (root / "settings.toml").read_text() == (
        '# my board\nUNKNOT_MICRO_MIN = 45\nWIFI = "x"\nUNKNOT_SNOOZE_MIN = 10\n')


def test_no_board_on_port(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["device", "info", "--port", str(tmp_path / "ttyNONE")])
    assert r.exit_code == 1 and "cannot open" in r.output


def test_flash_cli_serial(board: Board, tmp_path: Path, home: Path) -> None:
    from unknot.routine.selection import compile_selection

    files = compile_selection(("micro-break",))
    root = _firmware(tmp_path / "dev")
    port = board(root)
    r = CliRunner().invoke(cli, ["flash", "--port", port, "micro-break"])
    assert r.exit_code == 0, r.output
    assert _on_board(root)["micro-break.unk"] == files["micro-break.unk"]
