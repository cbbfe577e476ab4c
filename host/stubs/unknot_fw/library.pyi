from typing import Final

SUFFIX: Final[str]  # routine files on the device: /routines/<id>.unk

def stem(name: str) -> str: ...
