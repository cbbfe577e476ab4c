"""Sleep, watchdog, storage and battery adapters for the board."""

import time

import microcontroller

try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


_SLICE_MS = const(100)  # awake waits: time.sleep slices, so a key event is handled within 100 ms
_LIGHT_MIN_MS = const(1000)  # idle waits longer than this use light sleep


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
        if idle and self.light and deadline_ms - self.clock.now_ms() > _LIGHT_MIN_MS:
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
            time.sleep(min(left, _SLICE_MS) / 1000)

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
        self.watchdog = wd

    def feed(self):
        self.watchdog.feed()


class DriveStorage:
    """The App's storage adapter on the CIRCUITPY drive: the routine sets in `path`
    (unknot.sets: installed atomically; writes need boot.py to remount the drive writable for
    code, see firmware/boot.py). sets.py and its SetStore are made on the first use and let go
    by `release()` (the App, once the routines' index or a routine is read; never while an
    upload is staged), so they are not resident; every other attribute is the SetStore's."""

    def __init__(self, path):
        self.path = path
        self._store = None

    def __getattr__(self, name):
        store = self._store
        if store is None:
            from .. import mods

            sets = mods.load("sets")
            store = self._store = sets.SetStore(sets.OsFS(), self.path)
        return getattr(store, name)

    def release(self):
        store = self._store
        if store is not None and store._stage is None:
            from .. import mods

            self._store = None
            mods.drop("sets", collect=False)


def drive_storage(path="/routines"):
    """The routine sets in /routines (DriveStorage). Leftovers of an install a power cut
    interrupted are removed now, at boot."""
    storage = DriveStorage(path)
    try:
        storage.clean()
    except OSError:
        pass  # read-only to code (the drive is mounted on a computer): nothing to clean
    return storage


class Battery:
    """Battery voltage through the board's divider (AnalogIn reference 3.3 V)."""

    def __init__(self, pin, ratio_x100, enable_pin=None):
        import analogio

        self.adc = analogio.AnalogIn(pin)
        self.ratio_x100 = ratio_x100
        self.enable_pin = None  # a DigitalInOut: low while reading
        if enable_pin is not None:
            import digitalio

            self.enable_pin = digitalio.DigitalInOut(enable_pin)
            self.enable_pin.switch_to_output(value=True)

    def millivolts(self):
        if self.enable_pin is not None:
            self.enable_pin.value = False
        raw = self.adc.value
        if self.enable_pin is not None:
            self.enable_pin.value = True
        return raw * 3300 * self.ratio_x100 // (65535 * 100)


def sleep_memory():
    """alarm.sleep_memory (kept through resets and deep sleep: docs/journal.md "RAM hold"),
    or None on a build without `alarm`."""
    try:
        import alarm

        return alarm.sleep_memory
    except (ImportError, AttributeError):
        return None


def usb_powered():
    """True while a USB host is connected (supervisor.runtime.usb_connected): the board
    runs from USB power then."""
    import supervisor

    return bool(supervisor.runtime.usb_connected)
