"""Button adapter over `keypad`: key events with their own timestamps (scanned in the
background), converted to the clock's ms so the gesture decoder sees true press times.

For light sleep (hw/system.py `Sleeper`) the keypad lets go of the pin (`release()`), the
sleeper waits on a `PinAlarm` for the pressed level, and `restore(woke_by_pin)` re-creates
the keypad; a wake by the pin is reported as a key-down at the wake time, plus a key-up
when the key is already released again (a short tap is not lost)."""

import time

import keypad
import supervisor

try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


_TICKS_MAX = const(1 << 29)  # supervisor.ticks_ms() wraps at 2**29
_SETTLE_S = const(0.045)  # > 2 keypad scans (interval 20 ms) after re-creating the scanner


class KeypadButton:
    def __init__(self, pin, clock, value_when_pressed=False, pull=True):
        self.pin = pin
        self.value_when_pressed = value_when_pressed
        self.pull = pull
        self.clock = clock
        self.event = keypad.Event()
        self.queued = []  # (pressed, t_ms) synthesized after a wake by the pin
        self.keys = self._keys()

    def _keys(self):
        return keypad.Keys((self.pin,), value_when_pressed=self.value_when_pressed,
                           pull=self.pull)

    def pending(self):
        return len(self.queued) > 0 or len(self.keys.events) > 0

    def poll(self):
        if self.queued:
            return self.queued.pop(0)
        if not self.keys.events.get_into(self.event):
            return None
        age = (supervisor.ticks_ms() - self.event.timestamp) % _TICKS_MAX
        return self.event.pressed, self.clock.now_ms() - age

    def release(self):
        """Free the pin for a PinAlarm. False (and nothing freed) when an event is pending."""
        if self.pending():
            return False
        self.keys.deinit()
        return True

    def restore(self, woke_by_pin):
        """After the sleep: take the pin back, and report the press that woke it."""
        keys = self._keys()
        keys.reset()  # a key held now gives a key-down event at the first scan
        self.keys = keys
        if not woke_by_pin:
            return
        now = self.clock.now_ms()
        self.queued.append((True, now))
        time.sleep(_SETTLE_S)
        if len(keys.events) == 0:
            # keypad never saw it held: the tap is over, so it will report no key-up
            self.queued.append((False, self.clock.now_ms()))
        # else keypad reports the key-down (ignored: down after down) and later the key-up
