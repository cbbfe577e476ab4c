"""The Unknot GATT service: every UUID and the advertised name, defined once.

The device's service (hw/ble.py) and the host (unknot.ble, through unknot.fwload) both read
these strings; no other file spells them. See docs/protocol.md.
"""

# 128-bit base "xxxxxxxx-7a6b-4e2e-9c1d-756e6b6e6f74" (the tail spells "unknot").
SERVICE = "a1e70001-7a6b-4e2e-9c1d-756e6b6e6f74"
INFO = "a1e70002-7a6b-4e2e-9c1d-756e6b6e6f74"  # read
CONTROL = "a1e70003-7a6b-4e2e-9c1d-756e6b6e6f74"  # write with response (+ read: last response)
DATA = "a1e70004-7a6b-4e2e-9c1d-756e6b6e6f74"  # notify

NAME_PREFIX = "Unknot"  # advertised complete local name is NAME_PREFIX + "-" + 4 hex digits
