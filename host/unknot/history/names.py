"""Routine names for the history: routine id -> (slug, name), from the routine library and
the user's routines folder, so a session shows which routine it was."""

from __future__ import annotations

from unknot.routine import ProblemsError, load_file, routine_id
from unknot.routine.library import source_files

RoutineNames = dict[int, tuple[str, str]]


def routine_names() -> RoutineNames:
    """Every routine file that loads; a file with problems is skipped, so its sessions are
    stored without a name (the id is always kept)."""
    out: RoutineNames = {}
    for f in source_files():
        try:
            r = load_file(f)
        except ProblemsError:
            continue
        out.setdefault(routine_id(r.slug), (r.slug, r.name))
    return out
