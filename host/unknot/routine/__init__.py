"""Routine language: parse TOML sources, validate, compile to the v1 binary, decode, expand."""

from __future__ import annotations

from unknot.routine.compile import compile_routine, routine_id
from unknot.routine.decode import Decoded, DecodeError, decode
from unknot.routine.model import Op, Problem, ProblemsError, Routine
from unknot.routine.parse import load_file, parse_text
from unknot.routine.timeline import Event, expand, total_ms

__all__ = [
    "DecodeError",
    "Decoded",
    "Event",
    "Op",
    "Problem",
    "ProblemsError",
    "Routine",
    "compile_routine",
    "decode",
    "expand",
    "load_file",
    "parse_text",
    "routine_id",
    "total_ms",
]
