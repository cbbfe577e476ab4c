"""Stand-in for `keypad` (shared-module/keypad/, shared-bindings/keypad/): what a Keys object
allocates on the heap: the object, a DigitalInOut and a tuple of them (Keys.c), two arrays of
one byte per key (__init__.c `keypad_construct_common`), the EventQueue object and its ring
buffer of max_events * (2 + 4) bytes (EventQueue.c, max_events defaults to 64). Key events
come from the model's host scenario (_model: "k1"/"k0")."""

import _model


class Event:
    def __init__(self, key_number=0, pressed=True):
        self.key_number = key_number
        self.pressed = pressed
        self.timestamp = 0


class EventQueue:
    def __init__(self, max_events):
        self._ring = bytearray(max_events * 6)  # encoded events: (key, ticks) pairs
        self._n = 0
        self._head = 0
        self._cap = max_events
        self.overflowed = False

    def _push(self, pressed, ms):
        if self._n == self._cap:
            self.overflowed = True
            return
        i = ((self._head + self._n) % self._cap) * 6
        self._ring[i] = 1 if pressed else 0
        t = ms & 0x1FFFFFFF
        for k in range(4):
            self._ring[i + 2 + k] = (t >> (8 * k)) & 0xFF
        self._n += 1

    def get_into(self, event):
        if not self._n:
            return False
        i = self._head * 6
        event.key_number = 0
        event.pressed = self._ring[i] == 1
        t = 0
        for k in range(4):
            t |= self._ring[i + 2 + k] << (8 * k)
        event.timestamp = t
        self._head = (self._head + 1) % self._cap
        self._n -= 1
        return True

    def get(self):
        ev = Event()
        return ev if self.get_into(ev) else None

    def clear(self):
        self._n = 0

    def __len__(self):
        return self._n

    def __bool__(self):
        return self._n > 0


class Keys:
    def __init__(self, pins, *, value_when_pressed, pull=True, interval=0.02, max_events=64,
                 debounce_threshold=1):
        import digitalio

        self._dios = tuple(digitalio.DigitalInOut(p) for p in pins)
        self._now = bytearray(len(pins))
        self._before = bytearray(len(pins))
        self.events = EventQueue(max_events)
        self.key_count = len(pins)
        _model.keys = self

    def reset(self):
        pass

    def deinit(self):
        if _model.keys is self:
            _model.keys = None
