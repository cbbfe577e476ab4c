"""Unknot firmware entry point (copied to the CIRCUITPY drive). Wiring only: the settings
come from settings.toml, the adapters from unknot.hw (built by hw/boards.py), the logic from
unknot.app."""

import os

from unknot import mods

# The App's code first, while the heap is still in one piece. (The modules loaded on use
# intern their names when they load: the firmware's names stay under the line where the
# qstr pool would need a ~9 KiB block; docs/firmware.md "Interned names".)
mods.load("app")

# (no global name for it: hw/boards.py is dropped after boot, unless something holds it)
app = mods.load("hw.boards").make_app(os.getenv)

# BLE sync service (unknot/hw/ble.py): `attach(app)` returns the protocol hook the loop
# polls (`poll(now_ms)`). Without BLE (no memory, a missing library, a radio error) the
# board still plays routines, but never silently: radio_failed plays the error cue three
# times and keeps the reason for the self-test (docs/firmware.md "Without BLE").
try:
    from unknot.hw.ble import attach

    app.protocol = attach(app)
except Exception as exc:
    mods.load("hw.boards").radio_failed(app, exc)

app.run()
