"""The one table of boards: pin names and defaults per supported board. No pin name appears
anywhere else in the firmware. Chosen with UNKNOT_BOARD in settings.toml; pin entries can be
overridden there (UNKNOT_BUTTON_PIN, UNKNOT_MOTOR_PIN). Wiring: docs/firmware.md."""

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
