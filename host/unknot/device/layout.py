"""Where things live on the board's filesystem (docs/getting-started.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from unknot.core import library
from unknot.errors import DeviceError

ROUTINES_DIR = "routines"  # on the device: /routines/<id>.unk
SETTINGS_FILE = "settings.toml"
FIRMWARE_INIT = "lib/unknot/__init__.py"  # holds FIRMWARE_VERSION = "x.y.z"


def check_routine_names(names: Iterable[str]) -> None:
    """DeviceError unless every name is a plain <id>.unk file name."""
    for name in names:
        if "/" in name or "\\" in name or not name.endswith(library.SUFFIX):
            raise DeviceError(f"bad routine file name {name!r} (expected <id>{library.SUFFIX})")


def firmware_version_of(init_py: str) -> str | None:
    """FIRMWARE_VERSION from the text of the firmware's lib/unknot/__init__.py."""
    m = re.search(r"""^FIRMWARE_VERSION\s*=\s*["']([^"']+)["']""", init_py, re.M)
    return m[1] if m else None
