"""Unknot firmware entry point (copied to the CIRCUITPY drive). Wiring only: the settings
come from settings.toml, the adapters from unknot.hw, the logic from unknot.app."""

import os

from unknot.hw import make_app

app = make_app(os.getenv)

# BLE sync service (unknot/hw/ble.py): `attach(app)` returns the protocol hook the loop
# polls (`poll(now_ms)`), or the module is absent on a build without BLE.
try:
    from unknot.hw.ble import attach

    app.protocol = attach(app)
except Exception as exc:  # no BLE (module absent, radio error) is better than no device
    print("BLE unavailable:", exc)

app.run()
