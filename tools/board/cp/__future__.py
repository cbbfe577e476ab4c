"""Stand-in for `__future__` (built into CircuitPython, absent from the wasm VM)."""

annotations = None
