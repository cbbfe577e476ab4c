"""Keyboard input for a simulated device, read inside the running asyncio loop: single keys
in cbreak mode (`unknot sim`: p/space press, d double, l long, q quit) or Enter as the
button in line mode (`unknot demo`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator

KEYS_HELP = ("p/space = press · d = double press · l = long press · "
             "b = open the pairing window (unknot pair --sim) · q = quit")
PAIR_KEY = "b"  # the wearer's 1 s hold while idle: the pairing window (docs/security.md)
KEY_GESTURES = {"p": "press", " ": "press", "\n": "press", "\r": "press", "d": "double",
                "l": "long"}
QUIT_KEYS = ("q", "\x04")


@contextlib.contextmanager
def cbreak_keys(on_key: Callable[[str], None]) -> Iterator[bool]:
    """Read single keys from stdin in cbreak mode, non-blocking, in the running asyncio loop.
    Yields False (and does nothing) when stdin is not a terminal."""
    fd = sys.stdin.fileno() if sys.stdin is not None else -1
    if fd < 0 or not os.isatty(fd):
        yield False
        return
    import termios
    import tty

    old = termios.tcgetattr(fd)
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        for ch in data.decode(errors="ignore"):
            on_key(ch)

    tty.setcbreak(fd)
    loop.add_reader(fd, readable)
    try:
        yield True
    finally:
        loop.remove_reader(fd)
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


class EnterPresses:
    """Enter on stdin = one call of `on_press` (line mode, non-blocking in the loop).
    `closed` is True once stdin has ended (or cannot be read)."""

    def __init__(self, on_press: Callable[[], None]) -> None:
        self.on_press = on_press
        self.closed = False
        self.presses = 0
        self._fd = -1

    def start(self) -> None:
        try:
            self._fd = sys.stdin.fileno()
            asyncio.get_running_loop().add_reader(self._fd, self._readable)
        except (AttributeError, OSError, ValueError, NotImplementedError):
            self._fd = -1
            self.closed = True

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, 1024)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            asyncio.get_running_loop().remove_reader(self._fd)
            return
        for _ in range(data.count(b"\n")):
            self.presses += 1
            self.on_press()

    def stop(self) -> None:
        if self._fd >= 0 and not self.closed:
            asyncio.get_running_loop().remove_reader(self._fd)
