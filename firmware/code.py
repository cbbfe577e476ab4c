"""Unknot firmware entry point (copied to the CIRCUITPY drive). Wiring only: the settings
come from settings.toml, the adapters from unknot.hw, the logic from unknot.app."""

import os

from unknot import mods

# The App's code first, while the heap is still in one piece. (The modules loaded on use
# intern their names when they load: the firmware's names stay under the line where the
# qstr pool would need a ~9 KiB block; docs/firmware.md "Interned names".)
mods.load("app")

from unknot.hw import make_app  # noqa: E402

app = make_app(os.getenv)

# BLE sync service (unknot/hw/ble.py): `attach(app)` returns the protocol hook the loop
# polls (`poll(now_ms)`). Without BLE (no memory, a missing library, a radio error) the
# board still plays routines, but never silently: radio_failed plays the error cue three
# times and keeps the reason for the self-test (docs/firmware.md "Without BLE").
try:
    from unknot.hw.ble import attach

    app.protocol = attach(app)
except Exception as exc:
    from unknot.hw import radio_failed

    radio_failed(app, exc)

app.run()
