"""Find routines: the bundled library (paths.library_dir) and the user's routines folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from unknot import core, paths
from unknot.errors import RoutineError
from unknot.routine.compile import routine_id
from unknot.routine.decode import Decoded, decode
from unknot.routine.lines import LineMap
from unknot.routine.model import Problem, ProblemsError, Routine
from unknot.routine.parse import load_file


def source_files(targets: list[str] | None = None) -> list[Path]:
    """The .toml files named (files, folders or routine ids), or those of the library and
    user folder."""
    dirs = [paths.library_dir(), paths.user_routines_dir()] if not targets else []
    files: list[Path] = []
    for t in targets or []:
        p = Path(t)
        if p.is_dir():
            dirs.append(p)
        elif p.exists() or p.suffix == ".toml":
            files.append(p)
        else:
            files.append(file_for_id(t) or p)
    for d in dirs:
        files += sorted(d.glob("*.toml"))
    return files


def file_for_id(slug: str) -> Path | None:
    """The library or user file that defines routine `slug` (files that fail to load are
    passed over)."""
    for f in source_files():
        try:
            if load_file(f).slug == slug:
                return f
        except (ProblemsError, OSError):
            continue
    return None


def known_ids() -> list[str]:
    """The ids of the library and the user folder (files that fail to load are passed over)."""
    ids = []
    for f in source_files():
        try:
            ids.append(load_file(f).slug)
        except (ProblemsError, OSError):
            continue
    return ids


def no_such_routine(name: str) -> str:
    """The one message for an id or file that names no routine, with the closest ids."""
    import difflib

    close = difflib.get_close_matches(name, known_ids(), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else "see `unknot routines list`"
    return f"no routine with id '{name}' and no such file ({hint})"


def warn_skipped(message: str) -> None:
    """How a skipped user routine is reported: one warning line on stderr."""
    sys.stderr.write(f"Warning: {message}\n")


def load_all(targets: list[str] | None = None, *, strict: bool = False) -> list[Routine]:
    """Load and validate every file; raise ProblemsError with the problems of all files.

    Without targets and not strict (list, flash, demo), a broken file in the user's
    routines folder is a warning naming it and is left out; the rest still loads.
    """
    problems: list[Problem] = []
    routines: list[Routine] = []
    user_dir = paths.user_routines_dir().resolve()
    lenient = not targets and not strict
    for f in source_files(targets):
        if not f.exists():
            problems.append(Problem(str(f), 0, no_such_routine(str(f))))
            continue
        try:
            routines.append(load_file(f))
        except (ProblemsError, OSError) as exc:
            if lenient and f.resolve().parent == user_dir:
                first = exc.problems[0].message if isinstance(exc, ProblemsError) else exc
                warn_skipped(f"skipped your routine {f}: {first} "
                             "(`unknot routines check` lists every problem)")
                continue
            if isinstance(exc, OSError):
                problems.append(Problem(str(f), 1, f"cannot read: {exc.strerror or exc}"))
            else:
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
    raise RoutineError(no_such_routine(id_or_path))


def listing(r: Routine) -> dict[str, Any]:
    """One routine as `unknot routines list --json` prints it."""
    from unknot.routine import total_ms
    from unknot.routine.count import tally

    count = tally(r.ops())
    return {"id": r.slug, "name": r.name, "exercises": count.exercises, "steps": count.steps,
            "duration_ms": total_ms(r.ops()),
            "sources": [{"title": s.title, "file": s.file, "use": s.use} for s in r.sources]}


def check_unique(routines: list[Routine]) -> list[Problem]:
    """Duplicate slugs and colliding numeric ids across a set of routines."""
    problems: list[Problem] = []
    by_slug: dict[str, Routine] = {}
    by_id: dict[int, Routine] = {}
    for r in routines:
        other = by_slug.get(r.slug)
        if other is not None:
            problems.append(Problem(r.path, _id_line(r.path), f"duplicate routine id '{r.slug}'"
                                    f" (also in {other.path})"))
            continue
        by_slug[r.slug] = r
        num = routine_id(r.slug)
        clash = by_id.get(num)
        if clash is not None:
            problems.append(Problem(r.path, _id_line(r.path),
                                    f"routine id '{r.slug}' has numeric id 0x{num:04x},"
                                    f" the same as '{clash.slug}' ({clash.path});"
                                    " choose another id"))
            continue
        by_id[num] = r
    return problems


def _id_line(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            return LineMap(f.read()).line(("id",))
    except OSError:
        return 1
