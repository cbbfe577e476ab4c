"""Words for numbers in what the CLI prints: one rule, so no "1 sessions" or "1 days"."""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "row id": "row ids", "host(s)": "hosts"}


def plural(n: int, word: str) -> str:
    """`plural(1, "session")` -> "1 session", `plural(2, "session")` -> "2 sessions"."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {_IRREGULAR.get(word, word + 's')}"
