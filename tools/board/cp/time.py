"""Stand-in for CircuitPython's `time` on the board model: the virtual clock of _model
(monotonic_ns, monotonic, sleep); the rest is MicroPython's own time module."""

import _model
from utime import *  # noqa: F403


def monotonic_ns():
    return _model.now_ns


def monotonic():
    return _model.now_ns / 1e9


def sleep(seconds):
    _model.wait("s", int(seconds * 1000))
