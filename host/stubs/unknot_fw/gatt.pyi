from typing import Final

SERVICE: Final[str]
INFO: Final[str]
CONTROL: Final[str]
DATA: Final[str]
NAME_PREFIX: Final[str]
READ: Final[int]
WRITE: Final[int]
NOTIFY: Final[int]
NO_ACCESS: Final[int]
OPEN: Final[int]
ENCRYPT: Final[int]
MAX_VALUE: Final[int]

# name, uuid, properties, read permission, write permission, max value length
CHARACTERISTICS: Final[tuple[tuple[str, str, int, int, int, int], ...]]
