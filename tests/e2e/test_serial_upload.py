"""Serial upload with the real mpremote against the real MicroPython unix port behind a pty
(tools/fake_board.py)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot.cli import cli
from unknot.errors import DeviceError
from unknot.transport import open_transport

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("micropython") is None, reason="no micropython")

Board = Callable[..., str]


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Board]:
    procs: list[subprocess.Popen[str]] = []

    def start(root: Path, readonly: bool = False) -> str:
        args = [sys.executable, str(REPO / "tools" / "fake_board.py"), "--root", str(root)]
        p = subprocess.Popen(args + (["--readonly"] if readonly else []),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout is not None
        return p.stdout.readline().strip()

    yield start
    for p in procs:
        p.terminate()
        p.wait(10)


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


def test_write_routines_serial(board: Board, tmp_path: Path) -> None:
    root = tmp_path / "dev"
    root.mkdir()
    port = board(root)
    big = bytes(range(256)) * 5 + b"\x00\x04\x01\x03'\"\\"  # control bytes survive the REPL
    seen: list[tuple[str, int, int]] = []
    with open_transport(port=port) as t:
        s = t.write_routines({"a.unk": big, "b.unk": b"b"}, lambda *a: seen.append(a))
        assert s.copied == ["routines/a.unk", "routines/b.unk"]
        s = t.write_routines({"a.unk": big, "b.unk": b"B"})
        assert s.unchanged == ["routines/a.unk"] and s.copied == ["routines/b.unk"]
    assert (root / "routines" / "a.unk").read_bytes() == big
    assert (root / "routines" / "b.unk").read_bytes() == b"B"
    assert seen[-1][0] == "routines/b.unk" and seen[-1][1] == seen[-1][2] == 1
    (root / "routines" / "old.unk").write_bytes(b"x")
    with open_transport(port=port) as t:
        s = t.write_routines({"a.unk": big}, prune=True)
    assert s.removed == ["routines/b.unk", "routines/old.unk"] and s.unchanged == ["routines/a.unk"]
    assert sorted(p.name for p in (root / "routines").iterdir()) == ["a.unk"]
    # the device-side sha256 agrees with ours (mpremote's own hashing, independent code)
    out = subprocess.run([sys.executable, "-m", "mpremote", "connect", port, "fs", "sha256sum",
                          ":routines/a.unk"], capture_output=True, text=True, timeout=30).stdout
    assert hashlib.sha256(big).hexdigest() in out


def test_read_only_filesystem_says_what_to_do(board: Board, tmp_path: Path) -> None:
    root = tmp_path / "dev"
    (root / "routines").mkdir(parents=True)
    (root / "routines" / "a.unk").write_bytes(b"old")
    port = board(root, readonly=True)
    with pytest.raises(DeviceError) as e, open_transport(port=port) as t:
        t.write_routines({"a.unk": b"new"})
    assert "read-only" in str(e.value) and "hold the button while pressing reset" in str(e.value)
    assert (root / "routines" / "a.unk").read_bytes() == b"old"
    assert sorted(p.name for p in (root / "routines").iterdir()) == ["a.unk"]
    r = CliRunner().invoke(cli, ["device", "config", "--port", port, "UNKNOT_MICRO_MIN=45"])
    assert r.exit_code == 1 and "Read-only" not in r.output and "read-only" in r.output


def test_info_and_config_serial(board: Board, tmp_path: Path) -> None:
    root = tmp_path / "dev"
    (root / "lib" / "unknot").mkdir(parents=True)
    (root / "lib" / "unknot" / "__init__.py").write_text('FIRMWARE_VERSION = "0.9.1"\n')
    (root / "boot_out.txt").write_text("Adafruit CircuitPython 9.2.1 on 2024-11-20; "
                                       "Adafruit Feather nRF52840 Express with nRF52840\n")
    (root / "settings.toml").write_text('# my board\nUNKNOT_MICRO_MIN = 30\nWIFI = "x"\n')
    port = board(root)
    with open_transport(port=port) as t:
        t.write_routines({"neck.unk": b"UNKR1234"})
    r = CliRunner().invoke(cli, ["device", "info", "--port", port])
    assert r.exit_code == 0, r.output
    assert "0.9.1" in r.output and "neck.unk (8 bytes)" in r.output and "9.2.1" in r.output
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
    root = tmp_path / "dev"
    root.mkdir()
    port = board(root)
    r = CliRunner().invoke(cli, ["flash", "--port", port, "micro-break"])
    assert r.exit_code == 0, r.output
    assert (root / "routines" / "micro-break.unk").read_bytes() == files["micro-break.unk"]
