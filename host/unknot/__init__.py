"""Unknot host package: routine language and compiler, device upload, BLE sync, history."""

__version__ = "0.1.0"

# The firmware core's private constants under their public names on the host (unknot.fwload)
from unknot import fwload as _fwload

_fwload.install_publisher()
