"""Line numbers of the keys and tables of a routine source (TOML).

tomllib gives no line numbers, so a light scan of the text records the line of each table
header (`[source]`, `[[steps]]`) and each `key =` line; problems point at those lines.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")
_TABLE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")

Key = tuple[str | int, ...]


class LineMap:
    """Line numbers of keys and tables: ("id",), ("source", "file"), ("steps", 0, "kind"),
    ("exercises", 1, "steps", 0, "kind") for a nested array `[[exercises.steps]]`."""

    def __init__(self, text: str) -> None:
        self.keys: dict[Key, int] = {}
        self.tables: dict[Key, int] = {}
        self.array_counts: dict[str, int] = {}
        current: Key = ()
        in_multiline = False
        for lineno, raw in enumerate(text.splitlines(), 1):
            if in_multiline:
                if (raw.count('"""') + raw.count("'''")) % 2:
                    in_multiline = False
                continue
            table = _TABLE.match(raw)
            if table:
                name = table.group(2)
                parts = name.split(".")
                parent: Key = ()
                if len(parts) == 2 and parts[0] in self.array_counts:
                    # [[exercises.steps]] belongs to the last [[exercises]]
                    parent = (parts[0], self.array_counts[parts[0]] - 1)
                    name = parts[1]
                if table.group(1) == "[[":
                    counter = ".".join(str(x) for x in (*parent, name))
                    index = self.array_counts.get(counter, 0)
                    self.array_counts[counter] = index + 1
                    current = (*parent, name, index)
                else:
                    current = (*parent, name) if parent else tuple(parts)
                self.tables.setdefault(current, lineno)
                continue
            key = _KEY.match(raw)
            if key:
                name = key.group(1).strip("\"'")
                self.keys.setdefault((*current, name), lineno)
                if (raw.count('"""') + raw.count("'''")) % 2:
                    in_multiline = True

    def line(self, key: Key) -> int:
        """The line of a key, else of its table, else 1."""
        if key in self.keys:
            return self.keys[key]
        for n in range(len(key), 0, -1):
            if key[:n] in self.tables:
                return self.tables[key[:n]]
        return 1
