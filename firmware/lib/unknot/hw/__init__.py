"""Hardware adapters (the only place that imports `board`). `make_app(getenv)` reads the
settings (settings.toml through os.getenv), picks the board's table entry and builds the App
with the real clock, motor, button, storage, nvm, sleeper, watchdog and battery, and names
the self-test's hardware checks (hw/checks.py, loaded only while a self-test runs)."""

try:
    from micropython import const
except ImportError:  # CPython (tests, the host's type checks)

    def const(x):
        return x



def _pin(name):
    import board

    return getattr(board, name)


def make_motor(conf, settings):
    """The board's motor adapter; a driver that cannot be set up gives a NoMotor (no cues,
    the self-test's motor check FAILs with the reason) instead of a board that never boots."""
    try:
        return _make_motor(conf, settings)
    except Exception as exc:
        from .motor import NoMotor

        print("motor unavailable:", exc)
        return NoMotor("%s motor not set up: %r" % (conf["motor"], exc))


def _make_motor(conf, settings):
    strength = settings["UNKNOT_MOTOR_STRENGTH"]
    if conf["motor"] == "drv2605":
        import board
        import busio

        from .drv2605 import I2C_HZ
        from .motor import DrvMotor

        i2c = (busio.I2C(_pin(conf["scl"]), _pin(conf["sda"]), frequency=I2C_HZ)
               if conf["scl"] else board.I2C())
        return DrvMotor(i2c, settings["UNKNOT_DRV_LIBRARY"], strength)
    from .motor import PwmMotor

    return PwmMotor(_pin(conf["motor_pin"]), strength)


_RADIO_CUE_TIMES = const(3)  # three of them in a row: BLE did not start


def radio(app, exc):
    """BLE started (`exc` None) or could not start (`exc`: MemoryError, a missing module,
    a radio error). Never silently: the reason goes to `app.radio_error` (the self-test's
    BLE check reports it) and the console, and the error cue plays _RADIO_CUE_TIMES times so
    the wearer knows this board will not sync. Either outcome is kept in the nvm when it
    differs from the one kept (report.keep, loaded for it): boot.py prints it into
    boot_out.txt at the next reset (docs/firmware.md "Without BLE"). Never raises."""
    from .. import mods
    from ..settings import RADIO

    reason = ""
    if exc is not None:
        import gc

        gc.collect()  # after a MemoryError: room for the reason and the cue
        try:
            reason = "%s: %s" % (type(exc).__name__, exc)
        except MemoryError:
            reason = "MemoryError"
        app.radio_error = reason
        print("BLE unavailable:", reason)
    elif app.overrides.get(RADIO) == "":
        return  # started, as at the last start: nothing to write
    try:
        mods.load("report").keep(app, reason)
    except Exception:
        pass  # (no memory) the console, the cue and the self-test still say it
    mods.drop("report")
    if exc is not None:
        try:
            from ..app import ERROR_EVENT
            from ..patterns import felt

            app.motor.play(felt(ERROR_EVENT)[0], _RADIO_CUE_TIMES)
        except Exception:
            pass  # no motor either: the console and the self-test still say why


class _NoWatchdog:
    def feed(self):
        pass


def make_app(getenv, watchdog=True):
    """The App with the board's adapters; `watchdog=False` leaves the watchdog unarmed
    (the self-test run from the REPL)."""
    import microcontroller

    from .. import settings as settings_mod
    from ..app import App
    from .boards import board_config
    from .button import KeypadButton
    from .clock import Clock
    from .system import Battery, Sleeper, Watchdog, drive_storage, sleep_memory, usb_powered

    settings = settings_mod.load(getenv)
    conf = board_config(settings)
    clock = Clock()
    button = KeypadButton(_pin(conf["button"]), clock, conf["button_pressed"],
                          conf["button_pull"])
    battery = None
    if conf["battery"]:
        enable = _pin(conf["battery_enable"]) if conf["battery_enable"] else None
        battery = Battery(_pin(conf["battery"]), conf["battery_ratio_x100"], enable)
    from .. import mods

    # the host records' code (auth.py) for the App's start: the stored hosts, the USB
    # consent file (docs/security.md: imported, then deleted); dropped below
    key_path = "/" + mods.load("auth").KEY_FILE
    try:
        with open(key_path, "rb") as f:
            new_hosts = f.read()
    except OSError:
        new_hosts = b""
    app = App(
        clock,
        make_motor(conf, settings),
        button,
        drive_storage(),
        microcontroller.nvm,
        Sleeper(clock, button),
        Watchdog(settings["UNKNOT_WATCHDOG_S"]) if watchdog else _NoWatchdog(),
        battery=battery,
        settings=settings,
        device_id=bytes(microcontroller.cpu.uid)[:6],
        new_hosts=new_hosts,
        ram=sleep_memory(),
        usb=usb_powered,
    )
    if new_hosts:
        import os

        try:
            os.remove(key_path)  # needs the drive writable by code (boot.py)
        except OSError:
            pass  # read-only: imported again next boot (same host ids: no change)
    app.checks = "hw.checks"  # BoardChecks, built when a self-test starts (selftest.py)
    # not resident: the board table (boot only, and boot.py), the host records' code (loaded
    # again for a connection or a change: keyring.py)
    mods.drop("hw.boards", "auth", collect=False)
    return app
