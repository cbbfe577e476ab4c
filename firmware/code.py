"""Unknot firmware entry point (copied to the CIRCUITPY drive). Wiring only: the settings
come from settings.toml, the adapters from unknot.hw (built by hw/boards.py), the logic from
unknot.app."""

import os

from unknot import mods

# The free heap after each import group: mods.drop() of no module collects and notes it
# (mods.heap); the self-test reports the marks (selftest.py), so a real board settles the
# board model's figures (docs/getting-started.md "First board").
mods.drop()  # start
# The App's code first, while the heap is still in one piece. (The modules loaded on use
# intern their names when they load: the firmware's names stay under the line where the
# qstr pool would need a ~9 KiB block; docs/firmware.md "Interned names".)
mods.load("app")
mods.drop()  # core

# (no global name for it: hw/boards.py is dropped after boot, unless something holds it)
app = mods.load("hw.boards").make_app(os.getenv)
mods.drop()  # app

# BLE sync service (unknot/hw/ble.py): `attach(app)` returns the protocol hook the loop
# polls (`poll(now_ms)`). Without BLE (no memory, a missing library, a radio error) the
# board still plays routines, but never silently: hw.boards.radio plays the error cue three
# times and keeps the reason for the self-test and, in the nvm, for boot.py's line in
# boot_out.txt at the next reset (docs/firmware.md "Without BLE").
try:
    from unknot.hw.ble import attach

    app.protocol = attach(app)
except Exception as exc:
    mods.load("hw.boards").radio(app, exc)
else:
    if app.radio_error is not None:  # the last start's outcome was another (make_app)
        mods.load("hw.boards").radio(app, None)
mods.drop("hw.boards", collect=False)  # (loaded again only if radio() ran)
mods.drop()  # ble

app.run()
