from collections.abc import Callable, Mapping
from typing import Final

_Value = int | str

DEFAULTS: Final[dict[str, _Value]]
PREFIX: Final[str]

def coerce(key: str, value: object) -> _Value | None: ...
def load(
    getenv: Callable[[str], object] | None = None, overrides: Mapping[str, object] | None = None
) -> dict[str, _Value]: ...
def encode(overrides: Mapping[str, _Value]) -> bytes: ...
def decode(blob: bytes) -> dict[str, _Value]: ...
