"""Which routines a command acts on: ids and .toml paths, or the whole library."""

from __future__ import annotations

from pathlib import Path

from unknot.errors import RoutineError
from unknot.routine.compile import compile_routine, file_name
from unknot.routine.library import load_all, no_such_routine


def compile_selection(names: tuple[str, ...]) -> dict[str, bytes]:
    """<slug>.unk -> compiled bytes for the routines named (ids or .toml paths/folders);
    none named = the whole library plus the user's routines."""
    paths_given = [n for n in names if n.endswith(".toml") or Path(n).exists()]
    ids = [n for n in names if n not in paths_given]
    routines = load_all(paths_given) if paths_given else []
    if ids or not names:
        library = {r.slug: r for r in load_all()}
        missing = [i for i in ids if i not in library]
        if missing:
            raise RoutineError("; ".join(no_such_routine(m) for m in missing))
        routines += list(library.values()) if not names else [library[i] for i in ids]
    if not routines:
        raise RoutineError("no routines to flash")
    return {file_name(r.slug): compile_routine(r) for r in routines}
