"""Semantic checks of a parsed routine source. Every problem is collected with its line."""

from __future__ import annotations

import math
import re
from typing import Any

from unknot.core import routine as fmt
from unknot.routine import model as m
from unknot.routine import transition
from unknot.routine.compile import compile_routine
from unknot.routine.lines import Key, LineMap
from unknot.routine.model import Exercise, Op, Problem, Routine, Source
from unknot.routine.timeline import total_ms

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TOP_KEYS = {"id", "name", "summary", "safety", "source", "steps", "exercises", "countdown",
            "numbers"}
SOURCE_KEYS = {"file", "title", "use"}
NUMBERS_KEYS = {"text", "chosen"}
EXERCISE_KEYS = {"name", "say", "position", "props", "get_ready", "steps"}
COMMON_KEYS = {"kind", "label", "say"}
STEP_KEYS: dict[str, set[str]] = {
    "breathe": {"breaths", "inhale", "hold", "exhale", "pause"},
    "hold": {"seconds", "sides", "tick"},
    "repeat": {"count", "seconds", "gap", "sides"},
    "rest": {"seconds", "tick"},
    "switch": set(),
}
# Authored kinds: every kind but BEGIN / END, named as in the one table (model.KIND_NAMES).
KINDS = {name: kind for kind, name in m.KIND_NAMES.items()
         if kind not in (fmt.BEGIN, fmt.END, *m.READY)}  # NEXT, WAIT: by the compiler


def _place(where: Key) -> str:
    """"step 2" / "exercise 1" / "exercise 1 step 2" for a key path, else ""."""
    out = []
    for i in range(0, len(where) - 1, 2):
        if where[i] in ("steps", "exercises") and isinstance(where[i + 1], int):
            out.append(f"{str(where[i]).rstrip('s')} {int(where[i + 1]) + 1}")
    return " ".join(out) if len(out) * 2 == len(where) else ""


def _name(where: Key, key: str) -> str:
    place = _place(where)
    if place:
        return f"{place}: '{key}'"
    return "'" + ".".join(str(x) for x in (*where, key)) + "'"


def _missing(where: Key, key: str) -> str:
    place = _place(where)
    if place:
        return f"{place}: missing key '{key}'"
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

    def texts(self, table: dict[str, Any], key: str, where: Key, *,
              required: bool, empty: bool = False) -> list[str]:
        """A list of non-empty strings (`empty`: the list itself may be empty)."""
        if key not in table:
            if required:
                self.err(where, _missing(where, key))
            return []
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            self.err((*where, key), f"{_name(where, key)} must be a list of non-empty strings")
            return []
        if required and not value and not empty:
            self.err((*where, key), f"{_name(where, key)} must not be empty")
        return [str(v) for v in value]

    def choice(self, table: dict[str, Any], key: str, where: Key, choices: tuple[str, ...],
               *, default: str | None = None) -> str:
        if key not in table:
            if default is None:
                self.err(where, _missing(where, key) + f" (one of: {', '.join(choices)})")
                return choices[0]
            return default
        value = table[key]
        if value not in choices:
            self.err((*where, key), f"{_name(where, key)} must be one of"
                     f" {', '.join(choices)}, got {value!r}")
            return choices[0]
        return str(value)

    def sides(self, table: dict[str, Any], where: Key) -> bool:
        value = table.get("sides", "one")
        if value not in ("one", "each"):
            self.err((*where, "sides"), f"'sides' must be \"one\" or \"each\", got {value!r}")
            return False
        return bool(value == "each")


def _step(c: _Checker, where: Key, raw: Any) -> tuple[Op, str] | None:
    if not isinstance(raw, dict):
        c.err(where, f"{_place(where)} must be a table ([[steps]])")
        return None
    kind_name = raw.get("kind")
    if kind_name is None:
        c.err(where, _missing(where, "kind"))
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
    if code == fmt.BREATHE:
        op = Op(code, count=c.count(raw, "breaths", where), label=label, durations=(
            c.ds(raw, "inhale", where, required=True, minimum=1, maximum=m.MAX_SHORT_DS),
            c.ds(raw, "hold", where, required=False, minimum=0, maximum=m.MAX_SHORT_DS),
            c.ds(raw, "exhale", where, required=True, minimum=1, maximum=m.MAX_SHORT_DS),
            c.ds(raw, "pause", where, required=False, minimum=0, maximum=m.MAX_SHORT_DS),
        ))
    elif code == fmt.HOLD:
        op = Op(code, durations=(c.ds(raw, "seconds", where, required=True, minimum=1,
                                      maximum=m.MAX_LONG_DS),),
                sides=c.sides(raw, where), tick=c.flag(raw, "tick", where), label=label)
    elif code == fmt.REST:
        op = Op(code, durations=(c.ds(raw, "seconds", where, required=True, minimum=1,
                                      maximum=m.MAX_LONG_DS),),
                tick=c.flag(raw, "tick", where), label=label)
    elif code == fmt.REPEAT:
        op = Op(code, count=c.count(raw, "count", where), sides=c.sides(raw, where),
                label=label, durations=(
                    c.ds(raw, "seconds", where, required=True, minimum=1,
                         maximum=m.MAX_SHORT_DS),
                    c.ds(raw, "gap", where, required=False, minimum=0, maximum=m.MAX_SHORT_DS),
                ))
    else:
        op = Op(code, label=label)
    return op, say


def _sources(c: _Checker, data: dict[str, Any]) -> list[Source]:
    raw = data.get("source")
    if raw is None:
        return []
    tables = raw if isinstance(raw, list) else [raw]
    out: list[Source] = []
    for i, table in enumerate(tables):
        where: Key = ("source", i) if isinstance(raw, list) else ("source",)
        if not isinstance(table, dict):
            c.err(where, "'source' must be a table ([source]) or tables ([[source]])"
                  " with file = ..., title = ...")
            continue
        c.unknown(table, SOURCE_KEYS, where, "[source]")
        out.append(Source(c.text(table, "file", where, required=True),
                          c.text(table, "title", where, required=True),
                          c.choice(table, "use", where, m.SOURCE_USES, default="exercises")))
    return out


def _steps(c: _Checker, raw_steps: Any, where: Key) -> tuple[list[Op], list[str]]:
    steps: list[Op] = []
    says: list[str] = []
    if raw_steps is None:
        c.err(where, f"missing [[{'.'.join(str(x) for x in where[::2])}]]:"
              " at least one step is needed")
    elif not isinstance(raw_steps, list):
        c.err(where, "'steps' must be an array of tables ([[steps]])")
    else:
        if not raw_steps:
            c.err(where, "at least one step is needed")
        for i, raw in enumerate(raw_steps):
            result = _step(c, (*where, i), raw)
            if result is not None:
                steps.append(result[0])
                says.append(result[1])
    return steps, says


def _exercises(c: _Checker, raw: Any) -> list[Exercise]:
    if not isinstance(raw, list) or not raw:
        c.err(("exercises",), "'exercises' must be a non-empty array of tables ([[exercises]])")
        return []
    out: list[Exercise] = []
    for i, table in enumerate(raw):
        where: Key = ("exercises", i)
        if not isinstance(table, dict):
            c.err(where, f"exercise {i + 1} must be a table ([[exercises]])")
            continue
        c.unknown(table, EXERCISE_KEYS, where, "an exercise")
        name = c.text(table, "name", where, required=True)
        say = c.text(table, "say", where, required=True)
        position = c.choice(table, "position", where, m.POSITIONS)
        props = tuple(c.texts(table, "props", where, required=False))
        # whole seconds, 1..255 (one byte of seconds in the format)
        get_ready = c.count(table, "get_ready", where) if "get_ready" in table else None
        steps, says = _steps(c, table.get("steps"), (*where, "steps"))
        ex = Exercise(name=name, say=say, position=position, props=props, steps=tuple(steps),
                      says=tuple(says), get_ready=get_ready)
        # the get-ready rule (unknot.routine.transition): an author may lengthen, not shorten
        kind, least, why = transition.rule(out[-1] if out else None, ex)
        if get_ready is not None and kind == transition.WAIT:
            c.err((*where, "get_ready"), f"get-ready before exercise {i + 1} '{name}': no"
                  f" timer here, the device waits for the wearer's press ({why})")
        elif get_ready is not None and get_ready < max(least, transition.BASE_S):
            c.err((*where, "get_ready"), f"get-ready before exercise {i + 1} '{name}' is"
                  f" {get_ready} s, shorter than the rule's {max(least, transition.BASE_S)} s"
                  f" ({why})")
        out.append(ex)
    return out


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
    sources = _sources(c, data)
    exercises: list[Exercise] = []
    if "exercises" in data:
        if "steps" in data:
            c.err(("steps",), "a routine has either [[steps]] (format v1) or [[exercises]]"
                  " with their steps (format v2), not both")
        exercises = _exercises(c, data["exercises"])
        steps = [op for ex in exercises for op in ex.steps]
        says = [say for ex in exercises for say in ex.says]
    else:
        steps, says = _steps(c, data.get("steps"), ("steps",))
    countdown = _countdown(c, data, bool(exercises))
    numbers_text, numbers_chosen = _numbers(c, data, bool(exercises))
    if len(steps) + 2 > m.MAX_STEPS:
        c.err(("exercises",) if exercises else ("steps", m.MAX_STEPS - 2),
              f"too many steps: {len(steps)}"
              f" (at most {m.MAX_STEPS - 2}, BEGIN and END make {m.MAX_STEPS})")
    if c.problems:
        return None, c.problems
    main = next((s for s in sources if s.use == "exercises"), sources[0] if sources else None)
    routine = Routine(slug=slug, name=name, summary=summary, safety=safety,
                      source_file=main.file if main else "",
                      source_title=main.title if main else "", steps=steps,
                      says=says, path=path, exercises=exercises, countdown=countdown,
                      sources=sources, numbers_text=numbers_text,
                      numbers_chosen=numbers_chosen)
    _compiled_limits(c, routine)
    return (None if c.problems else routine), c.problems


def _countdown(c: _Checker, data: dict[str, Any], v2: bool) -> int:
    """The v2 header's countdown seconds (0: none)."""
    if "countdown" not in data:
        return 0
    value = data["countdown"]
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 0 <= value <= m.MAX_COUNTDOWN_S:
        c.err(("countdown",), f"'countdown' must be whole seconds 0..{m.MAX_COUNTDOWN_S},"
              f" got {value!r}")
    elif not v2:
        c.err(("countdown",), "'countdown' needs [[exercises]] (format v2)")
    else:
        return value
    return 0


def _numbers(c: _Checker, data: dict[str, Any], v2: bool) -> tuple[list[str], list[str]]:
    """[numbers]: (taken from the source text, chosen by the project); required in v2."""
    numbers = data.get("numbers")
    if numbers is None:
        if v2:
            c.err((), "missing [numbers]: text = [...] (numbers taken from the source text)"
                  " and chosen = [...] (numbers the project chose)")
        return [], []
    if not isinstance(numbers, dict):
        c.err(("numbers",), "'numbers' must be a table: [numbers] text = [...], chosen = [...]")
        return [], []
    c.unknown(numbers, NUMBERS_KEYS, ("numbers",), "[numbers]")
    # both lists are required so that an empty one is a statement, not an omission
    return (c.texts(numbers, "text", ("numbers",), required=True, empty=True),
            c.texts(numbers, "chosen", ("numbers",), required=True, empty=True))


def _compiled_limits(c: _Checker, routine: Routine) -> None:
    """The limits of the compiled routine: steps with get-ready steps, length, file size."""
    ops = routine.ops()
    if len(ops) > m.MAX_STEPS:
        c.err(("exercises",), f"too many steps with the get-ready steps: {len(ops)}"
              f" (at most {m.MAX_STEPS})")
    total = total_ms(ops)
    if total > m.MAX_TOTAL_S * 1000:
        c.err(("exercises" if routine.exercises else "steps",),
              f"routine lasts {total / 1000:g} s, at most {m.MAX_TOTAL_S // 60} minutes allowed")
    size = len(compile_routine(routine, labels=True, check=False))
    if size > m.MAX_FILE_BYTES:
        c.err(("steps",), f"compiled routine is {size} bytes, the format holds at most"
              f" {m.MAX_FILE_BYTES}")
