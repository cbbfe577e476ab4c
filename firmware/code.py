"""Unknot firmware entry point (copied to the CIRCUITPY drive). Wiring only: the settings
come from settings.toml, the adapters from unknot.hw (built by hw/boards.py), the logic from
unknot.app."""

import os

from unknot import mods

# The free heap after each import group: mods.warm() collects and notes it (mods.heap; with
# no module that is all it does); the self-test reports the marks (report.MARKS), so a real
# board settles the board model's figures (docs/getting-started.md "First board").
mods.warm()  # start
# The App's and BLE's code first, then the names of the modules loaded on use (a routine's
# player, a connection's protocol stack, the self-test): interned now, while the heap is
# still in one piece, so that the qstr pool's doublings (~9 KiB in one block) never come
# late in a fragmented heap (mods.warm; docs/firmware.md "Heap budget").
# The boot's own (the board table, settings, the journal's recovery, the routines' loader)
# are on-use modules too: loaded for the boot and dropped after it.
_ON_USE = ("hw.boards", "settings", "recover", "sets", "library", "builtin", "player", "selftest",
           "hw.checks", "sha256")
mods.load("app")  # (no heap mark here: a collection now fragments the warm-up's heap)
try:  # hw.ble stays loaded: attach() below uses it (and reports a failure to load it)
    from unknot.hw.ble import SESSION_MODULES

    mods.warm(*_ON_USE, *SESSION_MODULES)
except Exception:
    mods.warm(*_ON_USE)  # no BLE: no connection's stack

# (no global name for it: hw/boards.py is dropped after boot, unless something holds it)
app = mods.load("hw.boards").make_app(os.getenv)
mods.warm()  # app

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
mods.warm()  # ble

app.run()
