"""boot.py: runs once at power-up/reset, before USB is set up. Chooses the storage mode.

Two storage modes (docs/getting-started.md, "Two storage modes"):

- normal (default): the CIRCUITPY drive is writable by the computer (`unknot device install`,
  `unknot flash --drive`), and read-only to code on the board, so `unknot flash --port`
  gets "Read-only filesystem".
- serial mode: hold the button while pressing reset (keep holding ~1 s). The filesystem is
  then writable by code (`unknot flash --port`, settings over serial, BLE uploads) and the
  drive is read-only to the computer. A plain reset returns to normal mode.

This file imports nothing from the unknot package: it must never stop the board booting,
so every step is guarded, and any failure leaves the normal mode.
"""

import os
import time

import board
import digitalio
import storage

# The board's button, by name: UNKNOT_BUTTON_PIN in settings.toml, else the first of these
# that the board defines (the same names the firmware's pin table uses for its default).
_DEFAULT_BUTTON_NAMES = ("SWITCH", "BUTTON", "USER_SW", "BUTTON_USR", "D7")


def _button_pin():
    name = None
    try:
        name = os.getenv("UNKNOT_BUTTON_PIN")
    except Exception:
        name = None
    names = ((name,) if name else ()) + _DEFAULT_BUTTON_NAMES
    for n in names:
        pin = getattr(board, n, None)
        if pin is not None:
            return pin
    return None


def _button_held():
    pin = _button_pin()
    if pin is None:
        return False
    button = digitalio.DigitalInOut(pin)
    try:
        button.switch_to_input(pull=digitalio.Pull.UP)
        time.sleep(0.05)
        # pressed = pulled low; require it to stay pressed for a moment
        for _ in range(5):
            if button.value:
                return False
            time.sleep(0.02)
        return True
    finally:
        button.deinit()


try:
    if _button_held():
        storage.remount("/", readonly=False)
        print("unknot boot: serial mode (filesystem writable by code, drive read-only)")
    else:
        print("unknot boot: normal mode (drive writable by the computer)")
except Exception as e:  # never leave the board unbootable
    print("unknot boot: normal mode (boot.py error: %r)" % (e,))
