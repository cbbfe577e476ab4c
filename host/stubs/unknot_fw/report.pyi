# What the board writes for the computer outside the protocol's frames
# (firmware/lib/unknot/report.py): the self-test's report lines, boot.py's BLE line.
from typing import Final

REPORT_VERSION: Final[int]
HEAP: Final[str]
INFO: Final[str]
MARKS: Final[tuple[str, ...]]
BOOT_BLE: Final[str]
BOOT_BLE_OK: Final[str]
BOOT_BLE_FAILED: Final[str]

def report(test: object) -> list[str]: ...
def heap(skip: str) -> str: ...
def keep(app: object, reason: str) -> None: ...
def line(kept: str | None) -> str | None: ...
