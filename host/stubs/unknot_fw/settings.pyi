from collections.abc import Callable, Mapping
from typing import Final

_Value = int | str
# int key: (default, lowest, highest); str key: (default, TEXT | ROUTINE | allowed values)
_Entry = tuple[int, int, int] | tuple[str, str | tuple[str, ...]]

TEXT: Final[str]
ROUTINE: Final[str]
MAX_TEXT: Final[int]
TABLE: Final[dict[str, _Entry]]

def defaults() -> dict[str, _Value]: ...
def check(
    key: str, value: object, routines: Callable[[str], bool] | None = None
) -> _Value | None: ...
def load(
    getenv: Callable[[str], object] | None = None, overrides: Mapping[str, object] | None = None
) -> dict[str, _Value]: ...
def encode(overrides: Mapping[str, _Value]) -> bytes: ...
def decode(blob: bytes) -> dict[str, _Value]: ...

RADIO: Final[str]
