"""boot.py: runs once at power-up/reset, before USB is set up. Chooses the storage mode.

Two storage modes (docs/getting-started.md, "Two storage modes"):

- normal (default): the CIRCUITPY drive is writable by the computer (`unknot device install`,
  `unknot flash --drive`), and read-only to code on the board, so `unknot flash --port`
  gets "Read-only filesystem".
- serial mode: hold the button while pressing reset (keep holding ~1 s). The filesystem is
  then writable by code (`unknot flash --port`, settings over serial, BLE uploads) and the
  drive is read-only to the computer. A plain reset returns to normal mode.

(The self-test gesture is different: release the button, reset, then within 10 s press and
hold it for a second; the app, not this file, sees it. docs/firmware.md "Button".)

The button's pin and polarity come from the firmware's one pin table
(lib/unknot/hw/boards.py), for the board chosen by
UNKNOT_BOARD in settings.toml, with UNKNOT_BUTTON_PIN as override, as unknot.hw.boards.make_app
does. This file must never stop the board booting: any failure leaves the normal mode.
"""

import os
import time

import board
import digitalio
import storage

_KEYS = ("UNKNOT_BOARD", "UNKNOT_BUTTON_PIN", "UNKNOT_MOTOR_PIN", "UNKNOT_MOTOR")


def _button():
    """(pin, value when pressed, pull) of the board's button, or None."""
    from unknot.hw.boards import board_config

    settings = {}
    for key in _KEYS:
        value = os.getenv(key)
        settings[key] = value if isinstance(value, str) else ""
    conf = board_config(settings)
    pin = getattr(board, str(conf["button"]), None)
    if pin is None:
        return None
    return pin, bool(conf["button_pressed"]), bool(conf["button_pull"])


def _button_held():
    found = _button()
    if found is None:
        return False
    pin, pressed, pull = found
    button = digitalio.DigitalInOut(pin)
    try:
        if pull:
            button.switch_to_input(pull=digitalio.Pull.DOWN if pressed else digitalio.Pull.UP)
        else:
            button.switch_to_input()
        time.sleep(0.05)
        # require it to stay pressed for a moment
        for _ in range(5):
            if button.value != pressed:
                return False
            time.sleep(0.02)
        return True
    finally:
        button.deinit()


def _journal_copy(serial):
    """The journal's layout v1 copy (docs/journal.md "Migration from layout v1"): kept on the
    drive before the app migrates the nvm, removed once an image holds it. Only boot.py may
    write the drive in the normal mode: it remounts it for that, then gives it back."""
    import microcontroller
    from unknot.hw.system import drive_storage
    from unknot.migrate import prepare

    remounted = []

    def writable():
        if not serial:
            storage.remount("/", readonly=False)
            remounted.append(1)

    try:
        done = prepare(microcontroller.nvm, drive_storage(), writable)
        if done:
            print("unknot boot: journal v1 copy", done)
    finally:
        if remounted:
            storage.remount("/", readonly=True)


def _ble_line():
    """The last start's BLE outcome (code.py keeps it in the nvm image: hw.boards.radio,
    blenote.keep) as a line of boot_out.txt, which the computer can read (`unknot device
    info --drive`): code.py cannot write the drive while it is visible over USB
    (docs/firmware.md "Without BLE")."""
    import microcontroller
    from unknot.auth import decode_hosts
    from unknot.blenote import line as ble_line
    from unknot.journal import Journal
    from unknot.settings import RADIO, decode

    rest = decode_hosts(Journal(microcontroller.nvm).settings)[3]  # the settings lines
    line = ble_line(decode(rest).get(RADIO))
    if line:
        print(line)


serial = False
try:
    serial = _button_held()
    if serial:
        storage.remount("/", readonly=False)
        print("unknot boot: serial mode (filesystem writable by code, drive read-only)")
    else:
        print("unknot boot: normal mode (drive writable by the computer)")
except Exception as e:  # never leave the board unbootable (an unknown UNKNOT_BOARD too)
    print("unknot boot: normal mode (boot.py error: %r)" % (e,))
try:
    _ble_line()
except Exception as e:
    print("unknot boot: BLE outcome not read (%r)" % (e,))
try:
    _journal_copy(serial)
except Exception as e:
    print("unknot boot: journal v1 copy not made (%r)" % (e,))
