"""Interned names (qstrs) on the board model (docs/firmware.md "Interned names"): where the
qstr pool's 1280-entry doubling comes (model.NAMES_LINE, checked on the VM itself), what a
.mpy's source-file name costs, and the firmware's names through every mode and a self-test
kept at least model.NAMES_GUARD under that line (model.NAMES_MARGIN is the goal, not yet
reached on every board)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "board"))

import model  # noqa: E402
import pytest  # noqa: E402
import scenario  # noqa: E402
import vm  # noqa: E402

_INTERN = """
import micropython
o = object()
for i in range(%d):
    getattr(o, "q%%d" %% i, None)  # interns the name
    print("@qstr", i)
    micropython.qstr_info()
"""


def test_the_names_line_is_where_the_vm_makes_its_seventh_pool(tmp_path: Path) -> None:
    """model.NAMES_LINE names fill six pools; the next one allocates the seventh (1280
    entries)."""
    (tmp_path / "t.py").write_text(_INTERN % (model.NAMES_LINE + 40))
    res = vm.Guest().run(["/t.py"], 256, root=tmp_path)
    assert res.ok, res.stderr
    seen = [n for _, n in sorted(model.qstr_report(res.stdout).items(),
                                 key=lambda kv: int(kv[0]))]
    assert len(seen) == model.NAMES_LINE + 40
    first_of_7 = next(n for n in seen if n.pools == 7)
    assert first_of_7.names == model.NAMES_LINE + 1
    assert max(n.names for n in seen if n.pools == 6) == model.NAMES_LINE


def _traceback(drive: Path) -> str:
    (drive / "t.py").write_text("import sys, unknot.wire\ntry:\n"
                                "    unknot.wire.unpack('a:B', b'')\n"
                                "except ValueError as e:\n    sys.print_exception(e)\n")
    res = vm.Guest().run(["/t.py"], 96, root=drive, env={"MICROPYPATH": "/lib"})
    assert res.ok, res.stderr
    return res.stdout


def test_a_traceback_names_the_module_and_with_lines_its_line(tmp_path: Path) -> None:
    """The .mpy files store the module's dotted name as their source file
    (unknot.device.mpy.source_name): a traceback on the board reads `File "unknot.wire"`;
    the default install (-O3) has no line numbers (line 1), `install --lines` has them."""
    default = _traceback(model.build_drive(tmp_path / "drive").root)
    assert 'File "unknot.wire", line 1, in unpack' in default, default
    lines = _traceback(model.build_drive(tmp_path / "lines", lines=True).root)
    line = lines.split('File "unknot.wire", line ')[1].split(",")[0]
    assert int(line) > 1, lines


def test_a_private_constant_has_no_name_on_the_board(tmp_path: Path) -> None:
    """`_HEADER_SIZE = const(16)` (routine.py) leaves no global on the VM (BEGIN, which
    player.py imports, stays public); the host sees it as routine.HEADER_SIZE
    (unknot.fwload.publish)."""
    from unknot import core

    drive = model.build_drive(tmp_path / "drive").root
    (drive / "t.py").write_text("import unknot.routine as r\n"
                                "print(hasattr(r, 'HEADER_SIZE'), hasattr(r, '_HEADER_SIZE'), "
                                "hasattr(r, 'BEGIN'))\n")
    res = vm.Guest().run(["/t.py"], 96, root=drive, env={"MICROPYPATH": "/lib"})
    assert res.ok, res.stderr
    assert res.stdout.split() == ["False", "False", "True"]
    assert core.routine.HEADER_SIZE == 16


@pytest.fixture(scope="module")
def board_model() -> model.Model:
    return model.Model()


@pytest.mark.parametrize("board", model.BOARDS)
def test_the_firmware_names_stay_under_the_line(board_model: model.Model, board: str) -> None:
    """Every mode and a self-test (scenario.NAME_PHASES): the model's names stay
    model.NAMES_GUARD under the 1260-name line, so the qstr pool's 1280-entry doubling
    (~9 KiB in one block) never comes."""
    nf = model.names(board_model, board)
    assert list(nf.phases) == list(scenario.NAME_PHASES)
    assert nf.most.pools == 6 and nf.most.names > 900, nf.report()  # the run saw the firmware
    assert nf.margin >= model.NAMES_GUARD, (
        f"{board}: {nf.most.names} names, {nf.margin} under the {model.NAMES_LINE} line "
        f"(guard {model.NAMES_GUARD}); `python tools/board/model.py --names --board {board}` "
        "lists them (docs/firmware.md \"Interned names\")")
