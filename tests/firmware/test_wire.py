"""Wire formats are declared once, as field specs (firmware wire.py), and everyone packs them
with wire's functions: sizes the firmware keeps as constants match their specs, the codec
runs the same on MicroPython, the host calls no `struct` itself and keeps no aliases of the
core's facts (docs/architecture.md "Wire formats")."""

from __future__ import annotations

import ast
import os
import re
import struct
import subprocess
from pathlib import Path

import pytest
from unknot import core

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "firmware" / "lib" / "unknot"
HOST = REPO / "host" / "unknot"
wire = core.wire

# The pairing helper (issue 17) converts these when its protocol v3 lands: each entry must
# still use struct (the test fails when one no longer does: delete it then).
PENDING_STRUCT: set[str] = set()
_SIZE = re.compile(r"^_?([A-Z][A-Z0-9_]*)_SIZE$")


def _size_constants(path: Path) -> list[tuple[str, str, int]]:
    """(constant, format name, value) for each `X_SIZE = const(n)` / `_X_SIZE = const(n)` of
    a module that also has a format named X."""
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        m = _SIZE.match(node.targets[0].id)
        call = node.value
        if (m and isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "const" and isinstance(call.args[0], ast.Constant)
                and isinstance(call.args[0].value, int)):  # not a table (routine._STEP_SIZE)
            out.append((node.targets[0].id, m.group(1), int(call.args[0].value)))
    return out


def test_every_size_constant_is_its_format_size() -> None:
    checked = []
    for path in sorted(CORE.glob("*.py")):
        module = getattr(core, path.stem, None)
        for const, name, value in _size_constants(path):
            spec = getattr(module, name, None)
            if not isinstance(spec, str):
                continue  # a size with no format of that name (e.g. SETTINGS_MAX)
            size = wire.size(spec) if ":" in spec else struct.calcsize(spec)
            assert size == value, f"{path.name} {const} = {value}, {name} packs {size}"
            checked.append(f"{path.stem}.{const}")
    # the check sees them (a renamed constant would silently drop out)
    assert {"routine._HEADER_SIZE", "status.STATUS_SIZE", "info._INFO_SIZE",
            "upload._ARCHIVE_ENTRY_SIZE"} <= set(checked), checked
    j = core.journal  # the record: its body, then the crc; a synced record is the body less seq
    assert j.CRC_SPAN == wire.size(j.RECORD_BODY)
    assert j.RECORD_SIZE == j.CRC_SPAN + wire.size(j.RECORD_CRC)
    assert j.WIRE_RECORD_SIZE == j.CRC_SPAN - j.WIRE_START


def test_size_check_fails_on_a_wrong_size(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text('X = "a:B b:I"\n_X_SIZE = const(6)\n')
    ((const, name, value),) = _size_constants(f)
    assert (const, name) == ("_X_SIZE", "X") and wire.size("a:B b:I") != value


def test_pack_unpack_names_and_short_data() -> None:
    spec = "seq:I rid:H name:4s"
    assert wire.fmt(spec) == "<IH4s" and wire.size(spec) == 10
    assert wire.names(spec) == ("seq", "rid", "name")
    raw = wire.pack(spec, 7, 0xBEEF, b"ab")
    assert raw == (7).to_bytes(4, "little") + b"\xef\xbe" + b"ab\x00\x00"
    assert wire.unpack(spec, b"xx" + raw, 2) == (7, 0xBEEF, b"ab\x00\x00")
    buf = bytearray(12)
    wire.pack_into(spec, buf, 2, 7, 0xBEEF, b"ab")
    assert bytes(buf[2:]) == raw
    with pytest.raises(ValueError):
        wire.unpack(spec, raw[:9])


def test_the_same_codec_under_micropython(tmp_path: Path) -> None:
    script = tmp_path / "w.py"
    # the two specs are private in the firmware (no name on MicroPython): the host's values
    script.write_text(
        "from unknot import wire\n"
        "s = 'seq:I rid:H name:4s'\n"
        "print(wire.fmt(s), wire.size(s), wire.names(s))\n"
        "print(wire.pack(s, 7, 0xBEEF, b'ab').hex())\n"
        f"print(wire.size({core.journal.RECORD_BODY!r}), wire.size({core.routine.HEADER!r}))\n"
        "try:\n    wire.unpack(s, b'123')\nexcept ValueError:\n    print('short')\n")
    out = subprocess.run(["micropython", str(script)], capture_output=True, text=True,
                         env={"MICROPYPATH": str(CORE.parent), "PATH": os.environ["PATH"]},
                         check=True).stdout.split("\n")
    spec = "seq:I rid:H name:4s"
    assert out[0] == f"{wire.fmt(spec)} {wire.size(spec)} ('seq', 'rid', 'name')"
    assert out[1] == wire.pack(spec, 7, 0xBEEF, b"ab").hex()
    assert out[2] == f"{core.journal.CRC_SPAN} {core.routine.HEADER_SIZE}"
    assert out[3] == "short"


def _uses_struct(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name == "struct" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "struct":
            return True
    return False


def test_no_host_module_calls_struct() -> None:
    found = {str(p.relative_to(HOST)) for p in HOST.rglob("*.py") if _uses_struct(p)}
    assert found - PENDING_STRUCT == set(), "pack with unknot.core.wire instead"
    assert PENDING_STRUCT <= found, "a pending module no longer uses struct: delete it here"


def _aliases(path: Path) -> list[str]:
    """Module-level `NAME = <core module>.ATTR` (or `core.<module>.ATTR`) assignments."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mods: set[str] = set()
    cores: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "unknot.core":
            mods |= {a.asname or a.name for a in node.names}
        if isinstance(node, ast.ImportFrom) and node.module == "unknot":
            cores |= {a.asname or a.name for a in node.names if a.name == "core"}
    out = []
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if not isinstance(value, ast.Attribute):
            continue
        base = value.value
        if (isinstance(base, ast.Name) and base.id in mods) or (
                isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)
                and base.value.id in cores):
            out.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    return out


def test_the_host_keeps_no_aliases_of_core_facts(tmp_path: Path) -> None:
    assert [a for p in sorted(HOST.rglob("*.py")) for a in _aliases(p)] == []
    f = REPO / "tests" / "firmware" / "_alias_probe.py"
    try:
        f.write_text("from unknot import core\nfrom unknot.core import journal as fmt\n"
                     "RECORD_SIZE = fmt.RECORD_SIZE\nSIDES = core.routine.SIDES\n"
                     "_S = core.status\n")
        assert len(_aliases(f)) == 2  # the module itself (`_S`) is no fact
    finally:
        f.unlink()
