"""Unknot host package: routine language and compiler, device upload, BLE sync, history."""

__version__ = "0.1.0"
