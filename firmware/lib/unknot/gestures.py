"""Button gesture decoder: key down/up events with timestamps -> press, double, long.

- long: held for `long_ms` (fires while still held, so the wearer feels the ack at once);
- double: two short presses, the second key-down within `double_ms` of the first key-up;
- press: a short press with no second one within `double_ms`;
- hold: still held `hold_ms` (10 s) after the press began (fires while held, after "long");
- long_up: the release of a long press that did not reach the hold (the pairing window opens
  on it, so a 10 s hold never opens the window on its way).
Feed events in time order with `feed(pressed, t_ms)`, call `poll(now)` for time-outs, read
results with `pop()`. `next_deadline()` says when a time-out can next fire (or None).
"""


try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


_HOLD_MS = const(10000)  # a 10 s hold: clears the paired hosts (docs/security.md)


class Gestures:
    def __init__(self, double_ms=350, long_ms=1000, hold_ms=_HOLD_MS):
        self.double_ms = double_ms
        self.long_ms = long_ms
        self.hold_ms = hold_ms
        self.down_at = None
        self.long_fired = False
        self.hold_fired = False
        self.first_up = None  # release time of a short press waiting for a second one
        self.second = False
        self.out = []

    def poll(self, now):
        if self.down_at is not None:
            if not self.long_fired and now - self.down_at >= self.long_ms:
                self.long_fired = True
                self.first_up = None
                self.second = False
                self.out.append("long")
            if self.long_fired and not self.hold_fired and now - self.down_at >= self.hold_ms:
                self.hold_fired = True
                self.out.append("hold")
        elif self.first_up is not None and now - self.first_up >= self.double_ms:
            self.first_up = None
            self.out.append("press")

    def feed(self, pressed, t):
        self.poll(t)
        if pressed:
            if self.down_at is not None:
                return  # two downs in a row: ignore the repeat
            self.down_at = t
            self.long_fired = False
            self.hold_fired = False
            self.second = self.first_up is not None
        else:
            if self.down_at is None:
                return
            held = t - self.down_at
            self.down_at = None
            if self.long_fired:
                if not self.hold_fired:
                    self.out.append("long_up")
                return
            if held >= self.long_ms:
                self.first_up = None
                self.second = False
                self.out.append("long")
            elif self.second:
                self.second = False
                self.first_up = None
                self.out.append("double")
            else:
                self.first_up = t

    def next_deadline(self):
        if self.down_at is not None:
            if not self.long_fired:
                return self.down_at + self.long_ms
            return None if self.hold_fired else self.down_at + self.hold_ms
        if self.first_up is not None:
            return self.first_up + self.double_ms
        return None

    def pop(self):
        if self.out:
            return self.out.pop(0)
        return None
