"""Button adapter over `keypad`: key events with their own timestamps (scanned in the
background), converted to the clock's ms so the gesture decoder sees true press times."""

import keypad
import supervisor

_TICKS_MAX = 1 << 29  # supervisor.ticks_ms() wraps at 2**29


class KeypadButton:
    def __init__(self, pin, clock, value_when_pressed=False, pull=True):
        self.keys = keypad.Keys((pin,), value_when_pressed=value_when_pressed, pull=pull)
        self.clock = clock
        self.event = keypad.Event()

    def pending(self):
        return len(self.keys.events) > 0

    def poll(self):
        if not self.keys.events.get_into(self.event):
            return None
        age = (supervisor.ticks_ms() - self.event.timestamp) % _TICKS_MAX
        return self.event.pressed, self.clock.now_ms() - age
