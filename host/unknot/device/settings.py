"""settings.toml on the device: which keys exist, validating KEY=VALUE, editing in place.

The documented keys are the firmware's own DEFAULTS table (firmware/lib/unknot/settings.py,
read through unknot.core; described in docs/firmware.md, and the example
firmware/settings.toml is checked against it by tests/host/test_core_facade.py).
CircuitPython's settings.toml holds only strings and integers, so a key whose default is an
integer takes integers, and a string key takes any text.
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
    """key -> default value: the firmware's own table (lib/unknot/settings.py DEFAULTS)."""
    return dict(core.settings.DEFAULTS)


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
        if isinstance(keys[key], int):
            try:
                out[key] = int(raw, 0)
            except ValueError:
                raise UnknotError(f"{key} takes a whole number, not {raw!r}") from None
            if out[key] < 0:  # type: ignore[operator]
                raise UnknotError(f"{key} must not be negative")
        else:
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
                raw = raw[1:-1]
            out[key] = raw
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
