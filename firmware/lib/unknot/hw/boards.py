"""The one table of boards: pin names and defaults per supported board. No pin name appears
anywhere else in the firmware. Chosen with UNKNOT_BOARD in settings.toml; pin entries can be
overridden there (UNKNOT_BUTTON_PIN, UNKNOT_MOTOR_PIN). Wiring: docs/firmware.md.

And what builds the App from it at boot (code.py): `make_app(getenv)` reads the settings
(settings.toml through os.getenv), picks the board's table entry and builds the App with the
real clock, motor, button, storage, nvm, sleeper, watchdog and battery, and names the
self-test's hardware checks (hw/checks.py, loaded only while a self-test runs);
`radio(app, exc)` when BLE starts or does not. None of it is needed after boot: make_app
drops this module (mods.py; boot.py loads it on its own for the table)."""

try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


BOARDS = {
    # Adafruit Feather nRF52840 Express: on-board user switch, DRV2605L breakout on STEMMA QT
    "feather_nrf52840": {
        "button": "SWITCH",  # on-board user switch, to GND
        "button_pressed": False,  # value when pressed
        "button_pull": True,  # enable the internal pull (up)
        "motor": "drv2605",
        "motor_pin": "D5",  # PWM alternative: transistor base/gate through 1 kOhm
        "scl": "SCL",
        "sda": "SDA",
        "battery": "VOLTAGE_MONITOR",  # 1/2 divider
        "battery_ratio_x100": 200,
        "battery_enable": "",
    },
    # Seeed XIAO nRF52840 (and Sense): no user button on board, add one from D1 to GND
    "xiao_nrf52840": {
        "button": "D1",
        "button_pressed": False,
        "button_pull": True,
        "motor": "pwm",
        "motor_pin": "D0",
        "scl": "SCL",
        "sda": "SDA",
        "battery": "VBATT",  # 1510k/510k divider, enabled by READ_BATT_ENABLE low
        "battery_ratio_x100": 296,
        "battery_enable": "READ_BATT_ENABLE",
    },
    # Circuit Playground Bluefruit: button A (pressed = high, pulled down), motor on pad A1
    "cpb": {
        "button": "BUTTON_A",
        "button_pressed": True,
        "button_pull": True,  # keypad pulls down when value_when_pressed is True
        "motor": "pwm",
        "motor_pin": "A1",
        "scl": "SCL",
        "sda": "SDA",
        "battery": "",  # no battery monitor on this board
        "battery_ratio_x100": 0,
        "battery_enable": "",
    },
}


def board_config(settings):
    """The board table entry for the settings, with settings.toml overrides applied. An
    UNKNOT_BOARD not in the table is refused (ValueError naming it and the known ones),
    never taken for another board."""
    name = settings["UNKNOT_BOARD"]
    if name not in BOARDS:
        raise ValueError("UNKNOT_BOARD %r is not a supported board (one of: %s)"
                         % (name, ", ".join(sorted(BOARDS))))
    conf = dict(BOARDS[name])
    if settings["UNKNOT_BUTTON_PIN"]:
        conf["button"] = settings["UNKNOT_BUTTON_PIN"]
    if settings["UNKNOT_MOTOR_PIN"]:
        conf["motor_pin"] = settings["UNKNOT_MOTOR_PIN"]
    if settings["UNKNOT_MOTOR"]:
        conf["motor"] = settings["UNKNOT_MOTOR"]
    return conf

def _pin(name):
    import board

    return getattr(board, name)


def make_motor(conf, settings):
    """The board's motor adapter; a driver that cannot be set up gives a NoMotor (no cues,
    the self-test's motor check FAILs with the reason) instead of a board that never boots."""
    strength = settings["UNKNOT_MOTOR_STRENGTH"]
    try:
        if conf["motor"] == "drv2605":
            import busio

            from .drv2605 import I2C_HZ
            from .motor import DrvMotor

            i2c = busio.I2C(_pin(conf["scl"]), _pin(conf["sda"]), frequency=I2C_HZ)
            return DrvMotor(i2c, settings["UNKNOT_DRV_LIBRARY"], strength)
        from .motor import PwmMotor

        return PwmMotor(_pin(conf["motor_pin"]), strength)
    except Exception as exc:
        from .motor import NoMotor

        print("motor unavailable:", exc)
        return NoMotor("%s motor not set up: %r" % (conf["motor"], exc))


_RADIO_CUE_TIMES = const(3)  # three of them in a row: BLE did not start


def radio(app, exc):
    """BLE started (`exc` None) or could not start (`exc`: MemoryError, a missing module,
    a radio error). Never silently: the reason goes to `app.radio_error` (the self-test's
    BLE check reports it) and the console, and the error cue plays _RADIO_CUE_TIMES times so
    the wearer knows this board will not sync. Either outcome is kept in the nvm when it
    differs from the one kept (blenote.keep, loaded for it): boot.py prints it into
    boot_out.txt at the next reset (docs/firmware.md "Without BLE"). Never raises. A start
    whose BLE starts as at the last one calls nothing (make_app, code.py)."""
    from .. import mods

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
    elif app.radio_error is None:
        return  # started, as at the last start: nothing to write
    else:
        app.radio_error = None
    try:
        mods.load("blenote").keep(app, reason)
    except Exception:
        pass  # (no memory) the console, the cue and the self-test still say it
    mods.drop("blenote")
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
    kept = app.overrides.get(settings_mod.RADIO)  # the last start's BLE outcome (nvm)
    if kept != "":  # it did not start, or none is kept: radio(app, None) keeps this one
        app.radio_error = kept or settings_mod.RADIO  # (until attach says: code.py)
    # not resident: the board table (boot only, and boot.py), the host records' code (loaded
    # again for a connection or a change: keyring.py)
    mods.drop("hw.boards", "auth", collect=False)
    return app
