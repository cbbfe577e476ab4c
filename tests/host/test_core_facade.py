"""One fact, one place (docs/architecture.md "Where facts live").

The firmware core owns every format the device reads or writes; the host reaches it through
the typed facade unknot.core, whose stubs (host/stubs/unknot_fw) mypy's stubtest proves
equal to the runtime. These tests fail when a stub drifts from the firmware, when host code
restates a fact the core owns, or when the example settings.toml drifts from the table.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from unknot import core

REPO = Path(__file__).resolve().parents[2]
STUBS = REPO / "host" / "stubs"
HOST_CODE = [*sorted((REPO / "host" / "unknot").rglob("*.py")),
             *sorted((REPO / "tools").rglob("*.py"))]  # tools/mp, tools/board included

_STUBTEST = """
import sys
from unknot import fwload
fwload.core()
from mypy.stubtest import main
sys.argv = ["stubtest", "--ignore-missing-stub", "unknot_fw"]
sys.exit(main())
"""


def _stubtest(stubs: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # this tree's host package (so this tree's firmware), not whichever one is installed
    env = {"MYPYPATH": str(stubs), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "host")}
    return subprocess.run([sys.executable, "-c", _STUBTEST], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_stubs_match_the_firmware_core(tmp_path: Path) -> None:
    proc = _stubtest(STUBS, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stubtest_catches_a_drifted_stub(tmp_path: Path) -> None:
    stubs = tmp_path / "stubs"
    shutil.copytree(STUBS, stubs)
    gatt = stubs / "unknot_fw" / "gatt.pyi"
    gatt.write_text(gatt.read_text() + "NOT_IN_FIRMWARE: Final[int]\n")
    routine = stubs / "unknot_fw" / "routine.pyi"
    routine.write_text(routine.read_text().replace("VERSION: Final[int]", "VERSION: Final[str]"))
    proc = _stubtest(stubs, tmp_path)
    assert proc.returncode != 0
    assert "NOT_IN_FIRMWARE" in proc.stdout and "routine.VERSION" in proc.stdout


def _core_literals() -> dict[str | bytes, str]:
    """Literal values the core owns (formats, magic, UUIDs) -> where they are defined. A
    wire format counts as its field spec and (3 fields or more) as the struct format derived
    from it."""
    facts: dict[str | bytes, str] = {
        core.routine.MAGIC: "routine.MAGIC",
        core.routine.MAGIC.decode(): "routine.MAGIC",
        core.gatt.NAME_PREFIX: "gatt.NAME_PREFIX",
        core.library.SUFFIX: "library.SUFFIX",
    }
    for mod in ("routine", "journal", "proto", "status", "selftest", "blenote"):
        for name, value in vars(getattr(core, mod)).items():
            if isinstance(value, str) and ":" in value and name.isupper():
                facts[value] = f"{mod}.{name}"
                spec = all(":" in f for f in value.split())  # not a text (boot.py's line)
                if spec and len(core.wire.names(value)) >= 3:  # "<I" alone is no one's fact
                    facts[core.wire.fmt(value)] = f"{mod}.{name}"
    for name in ("SERVICE", "INFO", "CONTROL", "DATA"):
        uuid = getattr(core.gatt, name)
        facts[uuid] = facts[uuid.upper()] = f"gatt.{name}"
    return facts


def _kind_table(node: ast.AST) -> bool:
    """A dict literal that names step kinds (the one table is routine.model.KIND_NAMES)."""
    if not isinstance(node, ast.Dict):
        return False
    names = {v.value for v in node.values if isinstance(v, ast.Constant)}
    return {"breathe", "hold", "repeat"} <= names and any(
        isinstance(k, ast.Constant) and isinstance(k.value, int) for k in node.keys)


def _flag_literal(node: ast.AST) -> bool:
    """`flags & 1`: a record or step flag bit spelled as a number."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd)):
        return False
    sides = (node.left, node.right)
    named = any((isinstance(s, ast.Name) and "flag" in s.id.lower())
                or (isinstance(s, ast.Attribute) and "flag" in s.attr.lower()) for s in sides)
    return named and any(isinstance(s, ast.Constant) and isinstance(s.value, int) for s in sides)


def test_host_code_restates_no_core_fact() -> None:
    facts = _core_literals()
    found = []
    for path in HOST_CODE:
        tree = ast.parse(path.read_text(), str(path))
        where = path.relative_to(REPO)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                if node.value in facts:
                    found.append(f"{where}:{node.lineno}: {node.value!r} is {facts[node.value]}")
            elif _kind_table(node) and path.name != "model.py":
                found.append(f"{where}:{node.lineno}: kind names (use model.KIND_NAMES)")
            elif _flag_literal(node):
                found.append(f"{where}:{node.lineno}: flag bit as a number (use core.journal)")
    assert not found, "facts restated in host code:\n" + "\n".join(found)


def test_the_check_sees_a_restated_fact(tmp_path: Path) -> None:
    tree = ast.parse('H = "<4sBBHHHI"\nF = f"{slug}.unk"\n'
                     'K = {3: "breathe", 4: "hold", 5: "repeat"}\ndone = rec.flags & 1\n')
    facts = _core_literals()
    nodes = list(ast.walk(tree))
    spelled = [n.value for n in nodes if isinstance(n, ast.Constant) and n.value in facts]
    assert spelled == ["<4sBBHHHI", ".unk"]
    assert any(_kind_table(n) for n in nodes) and any(_flag_literal(n) for n in nodes)


def test_host_loads_shared_modules_only_through_the_facade() -> None:
    shared = ("crc", "gatt", "journal", "library", "patterns", "player", "proto", "routine",
              "settings")
    found = [f"{p.relative_to(REPO)}: fwload.module({m!r})" for p in HOST_CODE
             for m in shared if f'fwload.module("{m}")' in p.read_text()]
    assert not found, "use unknot.core instead:\n" + "\n".join(found)


def test_example_settings_toml_is_the_table() -> None:
    """firmware/settings.toml lists every key of the settings table with its default."""
    example = tomllib.loads((REPO / "firmware" / "settings.toml").read_text())
    assert example == core.settings.defaults()


def test_settings_doc_table_is_the_table() -> None:
    """docs/firmware.md "Settings" has one row per key with the table's default."""
    text = (REPO / "docs" / "firmware.md").read_text()
    rows = dict(re.findall(r"^\| `(UNKNOT_[A-Z_]+)` \| ([^|]*?) \|", text, re.M))
    documented = {k: int(v) if v.isdigit() else v.strip("`").strip('"') for k, v in rows.items()}
    assert documented == core.settings.defaults()


def test_private_firmware_constants_are_public_on_the_host() -> None:
    """A firmware module's `_NAME = const(v)` (an int, str or bytes: no name on the board) is
    `NAME` on the host (unknot.fwload.publish), which the stubs declare; a module's own
    `NAME` is kept."""
    import types

    from unknot import fwload

    assert core.proto.OP_READ == vars(core.proto)["_OP_READ"]
    assert core.routine.HEADER_SIZE == vars(core.routine)["_HEADER_SIZE"] == 16
    assert fwload.module("hw.drv2605").ADDRESS == 0x5A  # loaded by name, not by the facade
    mod = types.ModuleType("m")
    mod.__dict__.update(_A=1, _B=2, B=3, _c=4, _D="x", _E=True, _F=b"f", _G=[1])
    fwload.publish(mod)
    assert (mod.A, mod.B, mod.D, mod.F) == (1, 3, "x", b"f")
    assert not {"c", "E", "G"} & set(vars(mod))
