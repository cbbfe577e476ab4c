"""Stand-in for `board` on the board model: the pins of the modelled board (process env
UNKNOT_MODEL_BOARD). On the board the pin objects are in flash (no heap); here they are
created when this module is imported (part of the floor the model subtracts)."""

from microcontroller import Pin
from uos import getenv

_NAMES = {
    # ports/nordic/boards/<board>/pins.c (the names the firmware's pin table uses)
    "feather_nrf52840": "SWITCH D5 SCL SDA VOLTAGE_MONITOR",
    "xiao_nrf52840": "D0 D1 SCL SDA VBATT READ_BATT_ENABLE",
    "cpb": "BUTTON_A A1 SCL SDA",
}
for _n in _NAMES[getenv("UNKNOT_MODEL_BOARD") or "feather_nrf52840"].split():
    globals()[_n] = Pin(_n)

_i2c = None


def I2C():
    global _i2c
    if _i2c is None:
        import busio

        _i2c = busio.I2C(globals()["SCL"], globals()["SDA"])
    return _i2c
