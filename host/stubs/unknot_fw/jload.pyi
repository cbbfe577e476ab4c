# Loading the journal at boot (docs/journal.md) of firmware jload.py.
from typing import Any, Final

from .journal import Journal

MAGIC_V2: Final[bytes]

def recover(j: Journal) -> None: ...
def image_at(
    nvm: Any, slot_size: int, capacity: int, slot: int
) -> tuple[int, int, int, int, bytes, int, int] | None: ...
