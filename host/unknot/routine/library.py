"""Find routines: the bundled library (paths.library_dir) and the user's routines folder."""

from __future__ import annotations

from pathlib import Path

from unknot import core, paths
from unknot.errors import RoutineError
from unknot.routine.decode import Decoded, decode
from unknot.routine.model import Problem, ProblemsError, Routine
from unknot.routine.parse import load_file
from unknot.routine.validate import check_unique


def source_files(targets: list[str] | None = None) -> list[Path]:
    """The .toml files named (files or folders), or those of the library and user folder."""
    dirs = [paths.library_dir(), paths.user_routines_dir()] if not targets else []
    files: list[Path] = []
    for t in targets or []:
        p = Path(t)
        if p.is_dir():
            dirs.append(p)
        else:
            files.append(p)
    for d in dirs:
        files += sorted(d.glob("*.toml"))
    return files


def load_all(targets: list[str] | None = None) -> list[Routine]:
    """Load and validate every file; raise ProblemsError with the problems of all files."""
    problems: list[Problem] = []
    routines: list[Routine] = []
    for f in source_files(targets):
        if not f.exists():
            problems.append(Problem(str(f), 1, "no such file"))
            continue
        try:
            routines.append(load_file(f))
        except ProblemsError as exc:
            problems += exc.problems
    problems += check_unique(routines)
    if problems:
        raise ProblemsError(problems)
    return routines


def find(id_or_path: str) -> Routine | Decoded:
    """A routine by id (library or user folder) or by path (.toml source or .unk binary)."""
    p = Path(id_or_path)
    if p.suffix == core.library.SUFFIX:
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise RoutineError(f"{p}: cannot read: {exc.strerror}") from None
        try:
            return decode(data)
        except RoutineError as exc:
            raise RoutineError(f"{p}: {exc}") from None
    if p.suffix == ".toml" or p.exists():
        return load_file(p)
    for f in source_files():
        try:
            r = load_file(f)
        except ProblemsError:
            continue
        if r.slug == id_or_path:
            return r
    raise RoutineError(f"no routine with id '{id_or_path}' (see `unknot routines list`)")
