"""The nordic builds have no `hashlib` (CIRCUITPY_HASHLIB follows CIRCUITPY_WEB_WORKFLOW:
py/circuitpy_mpconfig.mk; only wifi ports): the board model hides MicroPython's."""

raise ImportError("no module named 'hashlib'")
