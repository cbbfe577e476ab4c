"""Unknot firmware core: hardware-free modules (no `import board` here).

Modules import each other with relative imports only, so the host can load this package
under another name (`unknot_fw`, see host/unknot/fwload.py). Hardware adapters live in `hw/`.
"""

FIRMWARE_VERSION = "0.1.0"
