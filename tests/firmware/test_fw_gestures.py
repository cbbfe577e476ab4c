"""Gesture decoder: press, double, long from timestamped key events."""

from __future__ import annotations


def _run(fw, events, until, double_ms=300, long_ms=800):
    g = fw.gestures.Gestures(double_ms, long_ms)
    out = []
    for pressed, t in events:
        g.feed(pressed, t)
        while (x := g.pop()) is not None:
            out.append((x, t))
    # time-outs, visited exactly at the deadlines the decoder asks for
    while (d := g.next_deadline()) is not None and d <= until:
        g.poll(d)
        while (x := g.pop()) is not None:
            out.append((x, d))
    return out


def test_press(fw):
    assert _run(fw, [(True, 0), (False, 100)], 10_000) == [("press", 400)]


def test_double(fw):
    assert _run(fw, [(True, 0), (False, 100), (True, 350), (False, 420)], 10_000) == [
        ("double", 420)]


def test_two_presses_outside_window(fw):
    ev = [(True, 0), (False, 100), (True, 450), (False, 500)]
    assert _run(fw, ev, 10_000) == [("press", 450), ("press", 800)]


def test_long_fires_while_held(fw):
    assert _run(fw, [(True, 0)], 9_999) == [("long", 800)]
    # its release (before the 10 s hold) is "long_up": the pairing window opens on it
    assert [g for g, _ in _run(fw, [(True, 0), (False, 2000)], 10_000)] == ["long", "long_up"]


def test_long_detected_on_release_if_not_polled(fw):
    g = fw.gestures.Gestures(300, 800)
    g.feed(True, 0)
    g.feed(False, 900)
    assert g.pop() == "long" and g.pop() == "long_up" and g.pop() is None
    assert g.next_deadline() is None


def test_configurable_window(fw):
    ev = [(True, 0), (False, 100), (True, 450), (False, 500)]
    assert _run(fw, ev, 10_000, double_ms=500) == [("double", 500)]


def test_hold_fires_after_long_while_still_held(fw):
    hold = fw.gestures.HOLD_MS
    assert _run(fw, [(True, 0)], 20_000) == [("long", 800), ("hold", hold)]
    assert [g for g, _ in _run(fw, [(True, 0), (False, hold - 1)], 20_000)] == ["long", "long_up"]
    # held through the hold: no long_up, so the forget-all never opens the window on its way
    assert [g for g, _ in _run(fw, [(True, 0), (False, hold + 1)], 20_000)] == ["long", "hold"]
