"""Sleep, watchdog, storage and battery adapters for the board."""

import os
import time

import microcontroller

SLICE_MS = 100  # awake waits: time.sleep slices, so a key event is handled within 100 ms
LIGHT_MIN_MS = 1000  # idle waits longer than this use light sleep


class Sleeper:
    """`sleep_until(deadline_ms, idle)`; wake-ups (docs/firmware.md, "Sleep and wake-ups"):

    - idle (the app says so: no routine, no gesture or event pending, no BLE connection) and
      more than LIGHT_MIN_MS to wait: one `alarm.light_sleep_until_alarms` with a TimeAlarm
      at the deadline and a PinAlarm on the button (the keypad releases the pin meanwhile);
      one wake per deadline (next reminder, at most UNKNOT_MAX_SLEEP_S) or per press;
    - otherwise `time.sleep` (CPU idles; keypad scanning and BLE go on in the background) in
      slices of at most SLICE_MS, returning early when the button has an event: at most
      10 wake-ups a second during a routine, one when the deadline is nearer than a slice.

    If light sleep fails once (no `alarm` module, pin not usable for a PinAlarm), it is not
    tried again and idle waits use the slices."""

    def __init__(self, clock, button=None):
        self.clock = clock
        self.button = button
        self.light = button is not None and hasattr(button, "release")
        self.light_sleeps = 0
        self.pin_wakes = 0

    def sleep_until(self, deadline_ms, idle=False):
        if idle and self.light and deadline_ms - self.clock.now_ms() > LIGHT_MIN_MS:
            try:
                if self._light_sleep(deadline_ms):
                    return
            except Exception:
                self.light = False  # never again; fall back to time.sleep slices
        while True:
            left = deadline_ms - self.clock.now_ms()
            if left <= 0:
                return
            if self.button is not None and self.button.pending():
                return
            time.sleep(min(left, SLICE_MS) / 1000)

    def _light_sleep(self, deadline_ms):
        """True after a light sleep; False when the button had an event (no sleep)."""
        import alarm
        import alarm.pin
        import alarm.time

        button = self.button
        left = deadline_ms - self.clock.now_ms()
        if not button.release():
            return False
        woke = None
        try:
            wake_at = alarm.time.TimeAlarm(monotonic_time=time.monotonic() + left / 1000)
            pressed = alarm.pin.PinAlarm(button.pin, value=button.value_when_pressed,
                                         pull=button.pull)
            woke = alarm.light_sleep_until_alarms(wake_at, pressed)
        finally:
            by_pin = woke is not None and isinstance(woke, alarm.pin.PinAlarm)
            button.restore(by_pin)
        self.light_sleeps += 1
        if by_pin:
            self.pin_wakes += 1
        return True


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
        self.stage_path = path + ".new"  # staged upload: /routines.new/<name>
        self._staged = None  # (name, open file) being written

    def stage_write(self, name, data, new):
        f = self._staged
        if f is None or f[0] != name or new:
            self._close()
            if new:
                try:
                    os.mkdir(self.stage_path)
                except OSError:
                    pass
            f = self._staged = (name, open(self.stage_path + "/" + name, "wb" if new else "ab"))
        f[1].write(data)

    def _close(self):
        if self._staged is not None:
            f = self._staged[1]
            self._staged = None
            f.close()

    def stage_commit(self):
        self._close()
        try:
            os.mkdir(self.path)
        except OSError:
            pass
        for name in os.listdir(self.stage_path):
            try:
                os.remove(self.path + "/" + name)
            except OSError:
                pass
            os.rename(self.stage_path + "/" + name, self.path + "/" + name)
        os.rmdir(self.stage_path)

    def stage_drop(self):
        self._close()
        try:
            names = os.listdir(self.stage_path)
        except OSError:
            return
        for name in names:
            os.remove(self.stage_path + "/" + name)
        os.rmdir(self.stage_path)

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
