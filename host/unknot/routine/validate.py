"""Semantic checks of a parsed routine source. Every problem is collected with its line."""

from __future__ import annotations

import math
import re
from typing import Any

from unknot.routine import model as m
from unknot.routine.model import Op, Problem, Routine
from unknot.routine.parse import Key, LineMap

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TOP_KEYS = {"id", "name", "summary", "safety", "source", "steps"}
SOURCE_KEYS = {"file", "title"}
COMMON_KEYS = {"kind", "label", "say"}
STEP_KEYS: dict[str, set[str]] = {
    "breathe": {"breaths", "inhale", "hold", "exhale", "pause"},
    "hold": {"seconds", "sides", "tick"},
    "repeat": {"count", "seconds", "gap", "sides"},
    "rest": {"seconds", "tick"},
    "switch": set(),
}
# Authored kinds: every kind but BEGIN / END, named as in the one table (model.KIND_NAMES).
KINDS = {name: kind for kind, name in m.KIND_NAMES.items() if kind not in (m.BEGIN, m.END)}


def _name(where: Key, key: str) -> str:
    if len(where) == 2 and where[0] == "steps":
        return f"step {int(where[1]) + 1}: '{key}'"
    return "'" + ".".join(str(x) for x in (*where, key)) + "'"


def _missing(where: Key, key: str) -> str:
    if len(where) == 2 and where[0] == "steps":
        return f"step {int(where[1]) + 1}: missing key '{key}'"
    return f"missing key {_name(where, key)}"


class _Checker:
    def __init__(self, lines: LineMap, path: str) -> None:
        self.lines = lines
        self.path = path
        self.problems: list[Problem] = []

    def err(self, key: Key, message: str) -> None:
        self.problems.append(Problem(self.path, self.lines.line(key), message))

    def unknown(self, table: dict[str, Any], allowed: set[str], where: Key, what: str) -> None:
        for k in table:
            if k not in allowed:
                self.err((*where, k), f"unknown key '{k}' in {what}"
                         f" (allowed: {', '.join(sorted(allowed))})")

    def text(self, table: dict[str, Any], key: str, where: Key, *, required: bool,
             limit: int = m.MAX_TEXT_BYTES) -> str:
        name = _name(where, key)
        if key not in table:
            if required:
                self.err(where, _missing(where, key))
            return ""
        value = table[key]
        if not isinstance(value, str):
            self.err((*where, key), f"{name} must be a string")
            return ""
        if required and not value.strip():
            self.err((*where, key), f"{name} must not be empty")
        size = len(value.encode("utf-8"))
        if size > limit:
            self.err((*where, key), f"{name} is {size} bytes of UTF-8, at most {limit} allowed")
        return value

    def ds(self, table: dict[str, Any], key: str, where: Key, *, required: bool,
           minimum: int, maximum: int, default: int = 0) -> int:
        """A duration in seconds, returned in deciseconds."""
        if key not in table:
            if required:
                self.err(where, _missing(where, key) + " (seconds)")
            return default
        value = table[key]
        k = (*where, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.err(k, f"'{key}' must be a number of seconds, got {value!r}")
            return default
        if not math.isfinite(value):
            self.err(k, f"'{key}' must be a finite number of seconds")
            return default
        tenths = round(value * 10)
        if abs(value * 10 - tenths) > 1e-6:
            self.err(k, f"'{key}' = {value} s is not a multiple of 0.1 s")
            return default
        if tenths < minimum:
            lowest = "greater than 0 s" if minimum > 0 else "0 s or more"
            self.err(k, f"'{key}' = {value} s must be {lowest}")
            return default
        if tenths > maximum:
            self.err(k, f"'{key}' = {value} s is too long (at most {maximum / 10:g} s)")
            return default
        return tenths

    def count(self, table: dict[str, Any], key: str, where: Key) -> int:
        if key not in table:
            self.err(where, _missing(where, key))
            return 1
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.err((*where, key), f"'{key}' must be a whole number, got {value!r}")
            return 1
        if not 1 <= value <= m.MAX_COUNT:
            self.err((*where, key), f"'{key}' = {value} is out of range (1..{m.MAX_COUNT})")
            return 1
        return value

    def flag(self, table: dict[str, Any], key: str, where: Key) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.err((*where, key), f"'{key}' must be true or false, got {value!r}")
            return False
        return value

    def sides(self, table: dict[str, Any], where: Key) -> bool:
        value = table.get("sides", "one")
        if value not in ("one", "each"):
            self.err((*where, "sides"), f"'sides' must be \"one\" or \"each\", got {value!r}")
            return False
        return bool(value == "each")


def _step(c: _Checker, index: int, raw: Any) -> tuple[Op, str] | None:
    where: Key = ("steps", index)
    if not isinstance(raw, dict):
        c.err(where, f"step {index + 1} must be a table ([[steps]])")
        return None
    kind_name = raw.get("kind")
    if kind_name is None:
        c.err(where, f"step {index + 1}: missing key 'kind'")
        return None
    if kind_name not in KINDS:
        c.err((*where, "kind"), f"unknown step kind {kind_name!r}"
              f" (one of: {', '.join(KINDS)})")
        return None
    kind = str(kind_name)
    c.unknown(raw, COMMON_KEYS | STEP_KEYS[kind], where, f"a {kind} step")
    label = c.text(raw, "label", where, required=True)
    say = c.text(raw, "say", where, required=False)
    code = KINDS[kind]
    if code == m.BREATHE:
        op = Op(code, count=c.count(raw, "breaths", where), label=label, durations=(
            c.ds(raw, "inhale", where, required=True, minimum=1, maximum=m.MAX_SHORT_DS),
            c.ds(raw, "hold", where, required=False, minimum=0, maximum=m.MAX_SHORT_DS),
            c.ds(raw, "exhale", where, required=True, minimum=1, maximum=m.MAX_SHORT_DS),
            c.ds(raw, "pause", where, required=False, minimum=0, maximum=m.MAX_SHORT_DS),
        ))
    elif code == m.HOLD:
        op = Op(code, durations=(c.ds(raw, "seconds", where, required=True, minimum=1,
                                      maximum=m.MAX_LONG_DS),),
                sides=c.sides(raw, where), tick=c.flag(raw, "tick", where), label=label)
    elif code == m.REST:
        op = Op(code, durations=(c.ds(raw, "seconds", where, required=True, minimum=1,
                                      maximum=m.MAX_LONG_DS),),
                tick=c.flag(raw, "tick", where), label=label)
    elif code == m.REPEAT:
        op = Op(code, count=c.count(raw, "count", where), sides=c.sides(raw, where),
                label=label, durations=(
                    c.ds(raw, "seconds", where, required=True, minimum=1,
                         maximum=m.MAX_SHORT_DS),
                    c.ds(raw, "gap", where, required=False, minimum=0, maximum=m.MAX_SHORT_DS),
                ))
    else:
        op = Op(code, label=label)
    return op, say


def validate(data: dict[str, Any], lines: LineMap, path: str) -> tuple[Routine | None,
                                                                        list[Problem]]:
    """Check a decoded TOML document; return the routine (if usable) and all problems."""
    c = _Checker(lines, path)
    c.unknown(data, TOP_KEYS, (), "the routine")
    slug = c.text(data, "id", (), required=True)
    if slug and not SLUG.match(slug):
        c.err(("id",), f"id {slug!r} must be a slug: lower-case letters, digits and single"
              " dashes, e.g. 'neck-stretches'")
    name = c.text(data, "name", (), required=True)
    summary = c.text(data, "summary", (), required=False, limit=4096)
    safety = c.text(data, "safety", (), required=True, limit=4096)
    source_file = source_title = ""
    source = data.get("source")
    if source is not None:
        if not isinstance(source, dict):
            c.err(("source",), "'source' must be a table: [source] file = ..., title = ...")
        else:
            c.unknown(source, SOURCE_KEYS, ("source",), "[source]")
            source_file = c.text(source, "file", ("source",), required=True)
            source_title = c.text(source, "title", ("source",), required=True)
    steps: list[Op] = []
    says: list[str] = []
    raw_steps = data.get("steps")
    if raw_steps is None:
        c.err((), "missing [[steps]]: a routine needs at least one step")
    elif not isinstance(raw_steps, list):
        c.err(("steps",), "'steps' must be an array of tables ([[steps]])")
    else:
        if not raw_steps:
            c.err(("steps",), "a routine needs at least one step")
        for i, raw in enumerate(raw_steps):
            result = _step(c, i, raw)
            if result is not None:
                steps.append(result[0])
                says.append(result[1])
        if len(raw_steps) + 2 > m.MAX_STEPS:
            c.err(("steps", m.MAX_STEPS - 2), f"too many steps: {len(raw_steps)}"
                  f" (at most {m.MAX_STEPS - 2}, BEGIN and END make {m.MAX_STEPS})")
    if c.problems:
        return None, c.problems
    routine = Routine(slug=slug, name=name, summary=summary, safety=safety,
                      source_file=source_file, source_title=source_title, steps=steps,
                      says=says, path=path)
    from unknot.routine.compile import compile_routine
    from unknot.routine.timeline import total_ms

    total = total_ms(routine.ops())
    if total > m.MAX_TOTAL_S * 1000:
        c.err(("steps",), f"routine lasts {total / 1000:g} s, at most"
              f" {m.MAX_TOTAL_S // 60} minutes allowed")
    size = len(compile_routine(routine, labels=True, check=False))
    if size > m.MAX_FILE_BYTES:
        c.err(("steps",), f"compiled routine is {size} bytes, the format holds at most"
              f" {m.MAX_FILE_BYTES}")
    return (None if c.problems else routine), c.problems


def check_unique(routines: list[Routine]) -> list[Problem]:
    """Duplicate slugs and colliding numeric ids across a set of routines."""
    from unknot.routine.compile import routine_id

    problems: list[Problem] = []
    by_slug: dict[str, Routine] = {}
    by_id: dict[int, Routine] = {}
    for r in routines:
        line = _id_line(r.path)
        other = by_slug.get(r.slug)
        if other is not None:
            problems.append(Problem(r.path, line, f"duplicate routine id '{r.slug}'"
                                    f" (also in {other.path})"))
            continue
        by_slug[r.slug] = r
        num = routine_id(r.slug)
        clash = by_id.get(num)
        if clash is not None:
            problems.append(Problem(r.path, line, f"routine id '{r.slug}' has numeric id"
                                    f" 0x{num:04x}, the same as '{clash.slug}' ({clash.path});"
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
