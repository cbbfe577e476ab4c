"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

Board = Callable[..., str]


@pytest.fixture
def board() -> Iterator[Board]:
    """`board(root, readonly=False)` starts tools/fake_board.py (the MicroPython unix port
    behind a pty, `root` as its drive) and returns the pty's path; all stop at the end."""
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
