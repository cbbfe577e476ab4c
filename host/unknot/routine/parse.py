"""Read routine sources (TOML): parse, validate (unknot.routine.validate), and point every
problem at its line (unknot.routine.lines)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from unknot.routine.lines import LineMap
from unknot.routine.model import Problem, ProblemsError, Routine
from unknot.routine.validate import validate

_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")


def parse_text(text: str, path: str = "<string>") -> Routine:
    """Parse and validate one routine source; raise ProblemsError listing every problem."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS.search(message)
        line = int(match.group(1)) if match else 1
        message = _TOML_POS.sub("", message).strip()
        raise ProblemsError([Problem(path, line, f"invalid TOML: {message}")]) from None
    routine, problems = validate(data, LineMap(text), path)
    if problems or routine is None:
        raise ProblemsError(sorted(problems, key=lambda p: p.line))
    return routine


def load_file(path: str | Path) -> Routine:
    """Read and validate a routine source file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsError([Problem(str(p), 1, f"cannot read: {exc}")]) from None
    return parse_text(text, str(p))
