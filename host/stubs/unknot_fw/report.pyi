# What the board writes for the computer outside the protocol's frames
# (firmware/lib/unknot/report.py): the self-test's report lines.
from typing import Final

REPORT_VERSION: Final[int]
HEAP: Final[str]
INFO: Final[str]
MARKS: Final[tuple[str, ...]]

def report(test: object) -> list[str]: ...
def heap(status: str) -> str: ...
