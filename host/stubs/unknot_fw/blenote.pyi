# The last start's BLE outcome (firmware/lib/unknot/blenote.py): kept, and boot.py's line.
from typing import Final

BOOT_BLE: Final[str]
BOOT_BLE_OK: Final[str]
BOOT_BLE_FAILED: Final[str]

def keep(app: object, reason: str) -> None: ...
def line(kept: str | None) -> str | None: ...
