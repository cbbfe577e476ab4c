"""settings.toml on the device: which keys exist, validating KEY=VALUE, editing in place.

The documented keys, their types and what each accepts are the firmware's own settings table
(firmware/lib/unknot/settings.py TABLE, read through unknot.core; described in
docs/firmware.md, and the example firmware/settings.toml is checked against it by
tests/host/test_core_facade.py). A value is checked with the firmware's own `check` before
it is sent or written, so the host refuses exactly what the device would refuse (a routine
name is checked by the device, which knows its routines).
Editing keeps comments, order and every other key; a missing key is appended.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from unknot import core
from unknot.errors import DeviceError, UnknotError

_LINE = re.compile(r"^(?P<indent>\s*)(?P<comment>#\s*)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"
                   r"(?P<value>.*?)\s*$")


def documented() -> dict[str, int | str]:
    """key -> default value: the firmware's own table (lib/unknot/settings.py TABLE)."""
    return core.settings.defaults()


def accepts(key: str) -> str:
    """What `key` accepts, in words (from the firmware's table)."""
    s = core.settings
    entry = s.TABLE[key]
    if len(entry) == 3:
        return f"a whole number from {entry[1]} to {entry[2]}"
    rule = entry[1]
    if rule == s.ROUTINE:
        return '"" or the name of an installed routine'
    if isinstance(rule, tuple):
        return "one of " + ", ".join(repr(v) for v in rule)
    return f"letters, digits, _ or - (at most {s.MAX_TEXT})"


def parse_assignments(
    items: list[str], keys: Mapping[str, int | str] | None = None
) -> dict[str, int | str]:
    """Validate KEY=VALUE strings against the documented keys (default: documented());
    UnknotError on the first bad one."""
    keys = documented() if keys is None else keys
    out: dict[str, int | str] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise UnknotError(f"{item!r}: expected KEY=VALUE")
        if key not in keys:
            known = ", ".join(sorted(keys))
            raise UnknotError(f"unknown setting {key!r}; known settings: {known}")
        raw = raw.strip()
        value: int | str
        if isinstance(keys[key], int):
            try:
                value = int(raw, 0)
            except ValueError:
                raise UnknotError(f"{key} takes a whole number, not {raw!r}") from None
        else:
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
                raw = raw[1:-1]
            value = raw
        if key in core.settings.TABLE and core.settings.check(key, value) is None:
            raise UnknotError(f"{key}={value!r} refused: {key} takes {accepts(key)}")
        out[key] = value
    return out


def _toml(value: int | str) -> str:
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _trailing_comment(raw: str) -> str:
    """The ` # comment` after a value, if any (a # inside a quoted string is not one)."""
    start = 0
    if raw[:1] in "\"'":
        end = raw.find(raw[0], 1)
        start = end + 1 if end > 0 else len(raw)
    i = raw.find("#", start)
    return "  " + raw[i:] if i >= 0 else ""


def apply(text: str, values: Mapping[str, int | str]) -> str:
    """settings.toml text with these keys set: an active line is edited in place, else a
    commented-out example line is replaced, else the key is appended."""
    lines = text.splitlines()
    for key, value in values.items():
        active = commented = None
        for i, line in enumerate(lines):
            m = _LINE.match(line)
            if m and m["key"] == key:
                if m["comment"] is None and active is None:
                    active = i
                elif m["comment"] is not None and commented is None:
                    commented = i
        new = f"{key} = {_toml(value)}"
        if active is not None:
            m = _LINE.match(lines[active])
            assert m is not None
            lines[active] = m["indent"] + new + _trailing_comment(m["value"])
        elif commented is not None:
            lines[commented] = new
        else:
            lines.append(new)
    out = "\n".join(lines) + "\n"
    try:
        tomllib.loads(out)
    except tomllib.TOMLDecodeError as exc:
        raise DeviceError(f"the device's settings.toml is not valid TOML ({exc}); fix it by "
                          "hand or delete it") from None
    return out
