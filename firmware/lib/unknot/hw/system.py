"""Sleep, watchdog, storage and battery adapters for the board."""

import os
import time

import microcontroller

SLICE_MS = 50  # longest single time.sleep, so a key event is handled within 50 ms


class Sleeper:
    """Sleeps until the deadline; time.sleep idles the CPU (WFI) and keeps background tasks
    (keypad scanning, BLE) running. Returns early when the button has an event."""

    def __init__(self, clock, button=None):
        self.clock = clock
        self.button = button

    def sleep_until(self, deadline_ms):
        while True:
            left = deadline_ms - self.clock.now_ms()
            if left <= 0:
                return
            if self.button is not None and self.button.pending():
                return
            time.sleep(min(left, SLICE_MS) / 1000)


class Watchdog:
    """microcontroller.watchdog in RESET mode: a loop that stops feeding it resets the board."""

    def __init__(self, timeout_s):
        from watchdog import WatchDogMode

        wd = microcontroller.watchdog
        if wd is None:
            raise RuntimeError("no watchdog on this board")
        wd.timeout = timeout_s
        wd.mode = WatchDogMode.RESET
        self.wd = wd

    def feed(self):
        self.wd.feed()


class DriveStorage:
    """Routine files in /routines on the CIRCUITPY drive (writes need boot.py to remount the
    drive writable for code; see firmware/boot.py)."""

    def __init__(self, path="/routines"):
        self.path = path

    def list(self):
        try:
            return os.listdir(self.path)
        except OSError:
            return []

    def read(self, name):
        with open(self.path + "/" + name, "rb") as f:
            return f.read()

    def write(self, name, data):
        try:
            os.mkdir(self.path)
        except OSError:
            pass
        tmp = self.path + "/" + name + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        try:
            os.remove(self.path + "/" + name)
        except OSError:
            pass
        os.rename(tmp, self.path + "/" + name)

    def remove(self, name):
        os.remove(self.path + "/" + name)


class Battery:
    """Battery voltage through the board's divider (AnalogIn reference 3.3 V)."""

    def __init__(self, pin, ratio_x100, enable_pin=None):
        import analogio

        self.adc = analogio.AnalogIn(pin)
        self.ratio = ratio_x100
        self.enable = None
        if enable_pin is not None:
            import digitalio

            self.enable = digitalio.DigitalInOut(enable_pin)
            self.enable.switch_to_output(value=True)

    def millivolts(self):
        if self.enable is not None:
            self.enable.value = False
        raw = self.adc.value
        if self.enable is not None:
            self.enable.value = True
        return raw * 3300 * self.ratio // (65535 * 100)
