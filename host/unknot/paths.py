"""Where things live: the user's data directory, the bundled firmware and routine library."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent.parent  # host/unknot -> repository root (editable / source checkout)

_home_override: Path | None = None


def set_home(path: str | os.PathLike[str] | None) -> None:
    """Set the data directory for this process (the CLI's --home)."""
    global _home_override
    _home_override = Path(path).expanduser() if path else None


def explicit_home() -> Path | None:
    """The data directory if --home or $UNKNOT_HOME chose one (absolute), else None: what a
    background service must be told, since it inherits neither."""
    if _home_override is not None:
        return _home_override.absolute()
    if os.environ.get("UNKNOT_HOME"):
        return Path(os.environ["UNKNOT_HOME"]).expanduser().absolute()
    return None


def sync_lock() -> Path:
    """The lock file held while a sync runs (unknot.lock), so two never run at once."""
    return home() / "sync.lock"


def home(*, create: bool = True) -> Path:
    """The data directory: --home, else $UNKNOT_HOME, else the platform's user data dir;
    made if missing unless `create` is false (commands that only read never make it)."""
    if _home_override is not None:
        path = _home_override
    elif os.environ.get("UNKNOT_HOME"):
        path = Path(os.environ["UNKNOT_HOME"]).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("unknot", appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def _bundled(name: str) -> Path:
    installed = _PKG / "_data" / name
    if installed.is_dir():
        return installed
    return _REPO / name


def firmware_dir() -> Path:
    """The firmware tree that is copied onto the CIRCUITPY drive."""
    return _bundled("firmware")


def library_dir() -> Path:
    """The bundled routine library (routines/*.toml)."""
    return _bundled("routines")


def user_routines_dir() -> Path:
    """The user's own routines, found next to the library ones. Created when it can be (so
    the user finds it); a read-only home just has none."""
    path = home() / "routines"
    with contextlib.suppress(OSError):
        path.mkdir(parents=True, exist_ok=True)
    return path


def parent_problem(path: Path) -> str | None:
    """Why `path` cannot be made for want of its folder (None when the folder is there):
    a file standing where a folder should be, or a missing folder."""
    for parent in path.parents:
        if parent.is_dir():
            return None
        if parent.exists():
            return f"{parent} is a file, not a folder"
        if parent == path.parent and parent.parent.is_dir():
            return f"folder {parent} does not exist"
    return f"folder {path.parent} does not exist"
