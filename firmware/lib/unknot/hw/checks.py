"""The self-test's hardware checks on the board (unknot.selftest, docs/firmware.md
"Self-test"), and `run_selftest(getenv)`, what `unknot device selftest --port` runs through
the REPL."""


class BoardChecks:
    """motor(), ble(), sleep_counts() over the App's real adapters."""

    def __init__(self, app):
        self.app = app

    def motor(self):
        return self.app.motor.probe()

    def _link(self):
        from .ble import BleLink

        link = self.app.protocol
        return link if isinstance(link, BleLink) else None

    def ble(self):
        try:
            link = self._link()
        except Exception as exc:  # no `_bleio` in this CircuitPython build
            return "FAIL", "BLE unavailable: %r" % (exc,)
        if link is None:
            return "FAIL", "BLE not started: %s" % (self.app.radio_error or "no reason kept")
        if link.connected:
            return "PASS", "a central is connected"
        if link.radio.advertising:
            return "PASS", "advertising as %s" % link.radio.name
        return "FAIL", "not advertising"

    def sleep_counts(self):
        sleeper = self.app.sleeper
        if not sleeper.light:
            return None
        try:
            link = self._link()
        except Exception:
            link = None
        if link is not None and link.connected:
            return None  # never light-sleep under a connection
        return sleeper.light_sleeps, sleeper.pin_wakes


def run_selftest(getenv):
    """Build the app as code.py does (without arming the watchdog, which on the nRF52840
    cannot be stopped again), start BLE, run the self-test to its end; the report is
    printed on the console, with the free heap after each import group (mods.drop(), as
    code.py notes them; selftest.py names them): the real board's figures for the board model's."""
    from .. import mods

    mods.drop()  # start
    mods.load("app")  # the protocol is loaded per connection
    mods.drop()  # core
    from .boards import make_app, radio

    app = make_app(getenv, watchdog=False)
    mods.drop()  # app
    try:
        from .ble import attach

        app.protocol = attach(app)
    except Exception as exc:
        radio(app, exc)
    else:
        radio(app, None)
    mods.drop()  # ble
    app.safe_step()  # starts advertising
    if not app.start_selftest(app.clock.now_ms()):
        print("selftest: not started")
        return app
    while app.selftest_running():
        deadline = app.safe_step()
        app.sleeper.sleep_until(deadline, app.idle())
    return app
