"""The heap guard, on the board model (tools/board/model.py): on every supported board the
firmware as `unknot device install` writes it passes every phase (boot, routine, BLE session
with a full READ, upload, pairing, disconnect) in the VM's floor + model.CEILING_KIB, for two
allocation orders; a change that needs more fails. (The benchmark scans 5 orders upward:
tools/bench_board.py, fw_board_heap_peak_kb.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "board"))

import model  # noqa: E402


@pytest.fixture(scope="module")
def board_model() -> model.Model:
    return model.Model()


@pytest.mark.parametrize("board", model.BOARDS)
def test_firmware_fits_the_heap_ceiling_on_the_board(board_model: model.Model,
                                                     board: str) -> None:
    big = board_model.run(board, model.MAX_KIB)
    assert big.ok, big.error
    board_model.learn(board, big)
    # modules loaded for one mode were dropped after it (unknot/mods.py): the journal's
    # recovery after boot, the player after the routine, the upload handler after COMMIT;
    # the board table after make_app, the self-test's checks never loaded without one, the
    # host records (auth.py) and the MACs after the connection and the advert's tags, the
    # routines' decoder and loader, the routine sets' code and the settings table after use
    left = {"unknot.recover", "unknot.player", "unknot.upload", "unknot.hw.boards",
            "unknot.hw.checks", "unknot.auth", "unknot.seal", "unknot.routine",
            "unknot.library", "unknot.builtin", "unknot.sets",
            "unknot.settings"} & set(big.record.modules)
    assert not left, left
    floor_kib, floor_live = model.floor(board_model, board, runs=1)
    for seed in (0, 3):
        run = board_model.run(board, floor_kib + model.CEILING_KIB, seed)
        assert run.ok, f"{board} seed {seed}: {run.error}"
    # the guard sees what it guards: below the live heap after boot the firmware fails
    live_kib = (big.record.heap["boot"][0] - floor_live) // 1024
    assert not board_model.run(board, floor_kib + live_kib - 4).ok


def test_the_floor_holds_no_firmware(board_model: model.Model) -> None:
    """The floor subtracted from every figure is the VM and the stand-ins only: no firmware
    or library module is imported in it."""
    board = "feather_nrf52840"
    board_model.learn(board, board_model.run(board, model.MAX_KIB))
    run = board_model.run(board, model.MAX_KIB, floor=True)
    assert run.ok, run.error
    assert "_bleio" in run.record.modules
    assert not [m for m in run.record.modules if m.startswith(("unknot", "adafruit"))]
