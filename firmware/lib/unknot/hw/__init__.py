"""Hardware adapters (the only place that imports `board`): clock, button, motor, sleep,
watchdog, storage, battery (system.py), BLE (ble.py), the self-test's checks (checks.py). The
board table and what builds the App at boot are boards.py (make_app, radio), dropped
after boot."""
