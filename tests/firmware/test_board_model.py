"""The board model itself (tools/board/): its VM's garbage collector, its drive as
`unknot device install` writes it, and its scenario. The heap guard is test_fw_heap.py."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "board"))

import model  # noqa: E402
import scenario  # noqa: E402
import vm  # noqa: E402


@pytest.fixture(scope="module")
def board_model() -> model.Model:
    return model.Model()


def test_gc_selftest_fails_unspilled_and_passes_spilled() -> None:
    """As shipped, the wasm VM's collector frees objects held only in wasm locals; the
    spilled artifact (wasm-opt --spill-pointers, the model's build step) keeps them."""
    shipped = vm.gc_selftest(vm.Guest(spilled=False))
    assert not shipped.ok, shipped.stdout[-300:]
    spilled = vm.gc_selftest(vm.Guest(spilled=True))
    assert spilled.ok, spilled.stdout[-300:] + spilled.stderr[-1000:] + spilled.error


def test_vm_is_32_bit_and_honours_the_heap_size(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("import gc, sys\nprint(sys.maxsize, gc.mem_free() + "
                                   "gc.mem_alloc())\n")
    res = vm.Guest().run(["/t.py"], 48, root=tmp_path)
    assert res.ok, res.stderr
    maxsize, total = map(int, res.stdout.split())
    assert maxsize == 2**31 - 1 and 46 * 1024 <= total <= 48 * 1024


def test_installed_mpy_files_load_on_the_32_bit_vm(tmp_path: Path) -> None:
    """`unknot device install` (CircuitPython 10) writes .mpy with header byte 'C'; patched
    back to MicroPython's 'M' (unknot.device.mpy.as_micropython) the same bytecode imports."""
    from unknot.device.install import install
    from unknot.device.mpy import as_micropython
    from unknot.paths import firmware_dir

    drive = tmp_path / "CIRCUITPY"
    drive.mkdir()
    (drive / "boot_out.txt").write_text("Adafruit CircuitPython 10.0.3 on 2025-10-01; "
                                        "Seeed XIAO nRF52840 with nRF52840\n")
    install(drive, firmware_dir())
    mpys = sorted(drive.rglob("*.mpy"))
    assert mpys and all(f.read_bytes()[:1] == b"C" for f in mpys)
    for f in mpys:
        f.write_bytes(as_micropython(f.read_bytes()))
    (drive / "t.py").write_text("import unknot.routine, unknot.journal, unknot.player\n"
                                "print(unknot.routine.__file__)\n")
    res = vm.Guest().run(["/t.py"], 96, root=drive, env={"MICROPYPATH": "/lib"})
    assert res.ok, res.stderr
    assert res.stdout.strip().endswith("routine.mpy")


def test_scenario_runs_every_phase_and_sees_the_firmware(board_model: model.Model) -> None:
    run = board_model.run("xiao_nrf52840", model.MAX_KIB)
    assert run.ok, run.error
    rec = run.record
    assert rec.done == list(board_model.phases)
    assert rec.cues > 5  # the routine played on the motor
    assert rec.marks["read_records"] > 100  # READ checked records and stream CRC
    assert "unknot.app" in rec.modules and "unknot.hw.ble" in rec.modules
    # the last measurement is after the disconnection: the protocol stack is dropped
    assert rec.done[-1] == "disconnect" and "unknot.proto" not in rec.modules
    assert "unknot.seal" not in rec.modules and "unknot.pairing" not in rec.modules
    # code.py's heap marks (the self-test reports them): each import group takes heap, and
    # the last mark is the free heap the model measures after boot (both after a collection;
    # the loop's first steps run in between: over the 1260-name line the qstr pool's
    # 1280-entry table, ~9 KiB, comes then)
    marks = rec.heap_marks
    assert list(marks) == ["start", "core", "app", "ble"]
    assert marks["start"] - marks["core"] > 20_000 and marks["core"] > marks["app"] > marks["ble"]
    assert 0 <= marks["ble"] - rec.heap["boot"][1] < 16384


def test_a_firmware_error_fails_the_run(board_model: model.Model) -> None:
    """A run fails when the App's loop catches an exception, even if it goes on."""
    settings = board_model.drive.root / "settings.toml"
    good = board_model.run("cpb", model.MAX_KIB, seed=0)
    assert good.ok, good.error
    code = board_model.drive.root / "code.py"
    original = code.read_text()
    try:
        code.write_text(original.replace("app.run()", "app.protocol = 1\napp.run()"))
        bad = board_model.run("cpb", model.MAX_KIB)
        assert not bad.ok and "caught" in bad.error
    finally:
        code.write_text(original)
    assert settings.is_file()


def test_without_ble_the_wearer_feels_the_error_cue_and_device_info_says_why() -> None:
    """A board whose radio part cannot load (here `_bleio` raises MemoryError on import, as
    an import in a full heap does) plays the error cue three times, still plays a routine on
    a press, and keeps the reason in the nvm: boot.py prints it into boot_out.txt at the next
    reset, where `unknot device info --drive` shows it; a later start with BLE clears it."""
    from click.testing import CliRunner
    from unknot.cli import cli
    from unknot.core import blenote
    from unknot.device.circuitpy import ble_status, parse_boot_out

    board = "feather_nrf52840"
    m = model.Model(phases=("noradio", "routine"))
    bleio = m.drive.root / ".model" / "_bleio.mpy"
    good = bleio.read_bytes()
    src = m.tmp / "_bleio.py"
    src.write_text('raise MemoryError("memory allocation failed, allocating 4096 bytes")\n')
    model._compile(src, bleio, "cp/_bleio.py")
    run = m.run(board, model.MAX_KIB)  # "not ok": the console says "BLE unavailable: ..."
    assert run.record.done == ["noradio", "routine"], run.error  # the loop plays routines
    assert run.error.startswith("MemoryError")  # only the console's "BLE unavailable: ..."
    assert run.record.cues > 3
    text = m.boot_py(board)
    why = "MemoryError: memory allocation failed, allocating 4096 bytes"
    assert f"{blenote.BOOT_BLE}{blenote.BOOT_BLE_FAILED}: {why}\n" in text
    assert "[truncated" not in text
    out = CliRunner().invoke(cli, ["device", "info", "--drive", str(m.drive.root)])
    assert out.exit_code == 0, out.output
    assert f"BLE:           unavailable at the last start: {why}" in out.output
    nvm = (m.drive.root / ".model" / "nvm.bin").read_bytes()
    # the same failure at the next start writes no page (flash wear): the nvm is unchanged
    m.phases = ("noradio",)
    assert m.run(board, model.MAX_KIB, keep_nvm=True).record.done == ["noradio"]
    assert (m.drive.root / ".model" / "nvm.bin").read_bytes() == nvm
    bleio.write_bytes(good)
    m.phases = ("boot",)
    assert m.run(board, model.MAX_KIB, keep_nvm=True).ok  # BLE starts: the reason goes
    assert ble_status(parse_boot_out(m.boot_py(board))) == f"ok ({blenote.BOOT_BLE_OK})"


def test_heap_budget_table_is_read_and_checked() -> None:
    """tools/bench_board.py checks docs/firmware.md's "Heap budget" table: every group of
    tools/board/groups.py has a budget there, and a figure above it is reported."""
    import groups

    limits = groups.budget()
    assert set(groups.GROUPS) | {"objects"} == set(limits)
    within = {g: kib - 0.1 for g, kib in limits.items()}
    assert groups.check(within) == []
    assert groups.check({**within, "ble": limits["ble"] + 1}) == ["ble"]
    assert groups.check({"new_group": 1.0}) == ["new_group"]  # a group needs a budget


def test_the_central_checks_what_the_board_advertises() -> None:
    """scenario._check_advertisement (what the model's central checks in every "adv" the
    `_bleio` stand-in reports): legacy size, the service UUID, the advert payload, the name
    in the scan response; each broken part is named."""
    from unknot import core

    uuid = bytes.fromhex(core.gatt.SERVICE.replace("-", ""))[::-1]
    payload = struct.pack(core.advert.PAYLOAD, core.advert.COMPANY, 1 << 12, 0)
    data = bytes([2, 1, 6, 17, 6]) + uuid + bytes([9, 0xFF]) + payload
    scan = bytes([12, 9]) + b"Unknot-0102"

    def check(d: bytes, s: bytes = scan) -> str:
        return scenario._check_advertisement(bytes([len(d)]) + d + s)

    assert len(data) == 31 and check(data) == ""
    assert "not legacy" in check(data + bytes([2, 0x0A, 0]))  # 34 bytes: extended
    assert check(data[:3] + bytes([17, 7]) + data[5:]) == "no service UUID"
    assert check(data[:21]) == "no advert payload"
    assert check(data, b"") == "no name in the scan response"
