"""Clock adapter: monotonic ms from time.monotonic_ns() (no float precision loss after hours
of uptime) and a wall clock kept as an offset (set over BLE; unset after a reset)."""

import time


class Clock:
    def __init__(self):
        self._unix_at_zero = None

    def now_ms(self):
        return time.monotonic_ns() // 1000000

    def now_ns(self):
        return time.monotonic_ns()

    def unix(self):
        if self._unix_at_zero is None:
            return None
        return self._unix_at_zero + self.now_ms() // 1000

    def set_unix(self, t):
        self._unix_at_zero = int(t) - self.now_ms() // 1000
