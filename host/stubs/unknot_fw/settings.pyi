from collections.abc import Callable, Mapping
from typing import Final

Value = int | str

DEFAULTS: Final[dict[str, Value]]
PREFIX: Final[str]

def coerce(key: str, value: object) -> Value | None: ...
def load(
    getenv: Callable[[str], object] | None = None, overrides: Mapping[str, object] | None = None
) -> dict[str, Value]: ...
def encode(overrides: Mapping[str, Value]) -> bytes: ...
def decode(blob: bytes) -> dict[str, Value]: ...
