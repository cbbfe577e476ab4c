"""USB drive backend against real directories and real (tmpfs) mounts."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot.cli import cli
from unknot.device import settings
from unknot.device.circuitpy import check_version, find_drives, parse_boot_out, resolve_drive
from unknot.errors import DeviceError, UnknotError
from unknot.transport import open_transport
from unknot.transport.drive import DriveBackend

BOOT = ("Adafruit CircuitPython 9.2.1 on 2024-11-20; Adafruit Feather nRF52840 Express with "
        "nRF52840\nBoard ID:feather_nrf52840_express\n")


def make_drive(root: Path, boot: str = BOOT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "boot_out.txt").write_text(boot)
    return root


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    return make_drive(tmp_path / "CIRCUITPY")


@pytest.fixture
def small_drive(tmp_path: Path, tmpfs_mount: Callable[[Path, str], None]) -> Iterator[Path]:
    """A real 64 KiB filesystem: writes past that fail with ENOSPC."""
    root = tmp_path / f"SMALL-{uuid.uuid4().hex[:6]}"
    tmpfs_mount(root, "size=64k")
    try:
        yield make_drive(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def test_boot_out_parsing_and_version_range() -> None:
    info = parse_boot_out(BOOT)
    assert (info.version, info.major_minor, info.mcu) == ("9.2.1", (9, 2), "nRF52840")
    assert info.board == "Adafruit Feather nRF52840 Express"
    check_version(info)
    check_version(parse_boot_out(BOOT.replace("9.2.1", "10.0.0-beta.2")))
    for bad in ("8.2.10", "11.0.0"):
        with pytest.raises(DeviceError, match=r"supports 9\.0 to 10\.x"):
            check_version(parse_boot_out(BOOT.replace("9.2.1", bad)))
    with pytest.raises(DeviceError, match="does not look like"):
        parse_boot_out("MicroPython v1.22 on 2024-01-01; some board\n")


def test_resolve_drive_explicit_and_errors(tmp_path: Path, drive: Path) -> None:
    assert resolve_drive(drive) == drive
    (tmp_path / "plain").mkdir()
    with pytest.raises(DeviceError, match=r"has no boot_out\.txt"):
        resolve_drive(tmp_path / "plain")
    with pytest.raises(DeviceError, match="not a directory"):
        resolve_drive(tmp_path / "missing")


def test_find_drives_scans_mounts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from unknot.device import circuitpy as drive_mod

    a, b = make_drive(tmp_path / "m" / "CIRCUITPY"), make_drive(tmp_path / "m" / "CIRCUITPY1")
    (tmp_path / "m" / "USBSTICK").mkdir()
    monkeypatch.setattr(drive_mod, "_candidates",
                        lambda: [*sorted((tmp_path / "m").glob("*")), a])
    assert find_drives() == [a, b]
    with pytest.raises(DeviceError, match=r"several CircuitPython drives.*--drive"):
        resolve_drive(None)
    monkeypatch.setattr(drive_mod, "_candidates", lambda: [tmp_path / "m" / "USBSTICK"])
    with pytest.raises(DeviceError, match=r"no CircuitPython drive found.*--drive"):
        resolve_drive(None)
    monkeypatch.setattr(drive_mod, "_candidates", lambda: [b])
    with open_transport() as t:
        assert isinstance(t, DriveBackend) and t.root == b


def _lib() -> dict[str, bytes]:
    from unknot.routine.selection import compile_selection

    return dict(compile_selection(()))


def _on_drive(drive: Path) -> dict[str, bytes]:
    """The set the board would load from this drive (the firmware's own loader)."""
    from unknot import core

    store = core.sets.SetStore(core.sets.OsFS(str(drive)), "/routines")
    return {n: store.read(n) for n in store.list()}


def test_write_skip_prune_and_verify(drive: Path) -> None:
    lib = _lib()
    a, b, c = sorted(lib)[:3]
    t = DriveBackend(drive)
    seen: list[tuple[str, int, int]] = []
    s = t.write_routines({a: lib[a], b: lib[b]}, lambda n, d, tot: seen.append((n, d, tot)))
    assert s.copied == [f"routines/{a}", f"routines/{b}"]
    assert s.bytes_written == len(lib[a]) + len(lib[b])
    assert _on_drive(drive) == {a: lib[a], b: lib[b]}
    assert seen[-1] == (f"routines/{b}", len(lib[b]), len(lib[b]))
    s = t.write_routines({a: lib[a], b: lib[c]})
    assert s.unchanged == [f"routines/{a}"] and s.copied == [f"routines/{b}"]
    s = t.write_routines({c: lib[c]})  # without prune the others stay in the set
    assert s.removed == [] and _on_drive(drive) == {a: lib[a], b: lib[c], c: lib[c]}
    s = t.write_routines({a: lib[a]}, prune=True)
    assert sorted(s.removed) == [f"routines/{b}", f"routines/{c}"]
    assert _on_drive(drive) == {a: lib[a]}
    # one set folder left: the old ones went after the switch
    assert len([p for p in (drive / "routines").iterdir() if p.is_dir()]) == 1
    with pytest.raises(DeviceError, match="bad routine file name"):
        t.write_routines({"../code.py": b"x"})
    with pytest.raises(DeviceError, match="not a valid routine"):
        t.write_routines({"junk.unk": b"UNKR" + bytes(20)})
    with pytest.raises(DeviceError, match="at most 16"):
        t.write_routines({f"r{i}.unk": lib[a] for i in range(17)})
    assert _on_drive(drive) == {a: lib[a]}


def test_read_only_drive(tmp_path: Path, tmpfs_mount: Callable[[Path, str], None]) -> None:
    lib = _lib()
    a, b = sorted(lib)[:2]
    root = tmp_path / f"RO-{uuid.uuid4().hex[:6]}"
    tmpfs_mount(root, "size=256k")
    try:
        make_drive(root)
        DriveBackend(root).write_routines({a: lib[a]})
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        with pytest.raises(DeviceError, match="read-only"):
            DriveBackend(root).write_routines({a: lib[b]})
        assert _on_drive(root) == {a: lib[a]}
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def test_full_drive_keeps_old_set(small_drive: Path) -> None:
    lib = _lib()
    names = sorted(lib)
    t = DriveBackend(small_drive)
    t.write_routines({names[0]: lib[names[0]]})
    filler = small_drive / "filler.bin"
    free = os.statvfs(small_drive).f_bavail * os.statvfs(small_drive).f_frsize
    filler.write_bytes(bytes(max(0, free - 2048)))
    with pytest.raises(DeviceError, match="drive is full"):
        t.write_routines({n: lib[n] for n in names})
    assert _on_drive(small_drive) == {names[0]: lib[names[0]]}


def test_info_and_config_on_drive(drive: Path, tmp_path: Path) -> None:
    (drive / "lib" / "unknot").mkdir(parents=True)
    (drive / "lib" / "unknot" / "__init__.py").write_text('"""x"""\nFIRMWARE_VERSION = "1.2.3"\n')
    lib = _lib()
    first = sorted(lib)[0]
    DriveBackend(drive).write_routines({"neck.unk": lib[first]})
    (drive / "settings.toml").write_text(
        '# mine\nUNKNOT_MICRO_MIN = 30  # keep\nCIRCUITPY_X = "y"\n')
    r = CliRunner().invoke(cli, ["device", "info", "--drive", str(drive)])
    assert r.exit_code == 0, r.output
    assert "1.2.3" in r.output and f"neck.unk ({len(lib[first])} bytes)" in r.output
    assert "CircuitPython: 9.2.1" in r.output and "n/a over USB" in r.output
    r = CliRunner().invoke(cli, ["device", "config", "--drive", str(drive),
                                 "UNKNOT_MICRO_MIN=45", "UNKNOT_REST_ROUTINE=neck"])
    assert r.exit_code == 0, r.output
    text = (drive / "settings.toml").read_text()
    assert text == ('# mine\nUNKNOT_MICRO_MIN = 45  # keep\nCIRCUITPY_X = "y"\n'
                    'UNKNOT_REST_ROUTINE = "neck"\n')
    r = CliRunner().invoke(cli, ["device", "config", "--drive", str(drive), "UNKNOT_MICRO_MIN=x"])
    assert r.exit_code == 1 and "whole number" in r.output
    r = CliRunner().invoke(cli, ["device", "config", "--drive", str(drive), "NOPE=1"])
    assert r.exit_code == 1 and "unknown setting 'NOPE'" in r.output
    assert (drive / "settings.toml").read_text() == text


def test_settings_keys_are_the_firmware_table() -> None:
    from unknot import fwload

    assert settings.documented() == fwload.module("settings").defaults()
    keys = {"UNKNOT_A": 3, "UNKNOT_B": "x"}
    assert settings.parse_assignments(["UNKNOT_B='hi there'"], keys) == {"UNKNOT_B": "hi there"}
    assert settings.parse_assignments(["UNKNOT_A=0x10"], keys) == {"UNKNOT_A": 16}
    with pytest.raises(UnknotError, match="KEY=VALUE"):
        settings.parse_assignments(["UNKNOT_A"], keys)


def test_one_transport_choice(drive: Path) -> None:
    with pytest.raises(DeviceError, match="choose one"):
        open_transport(drive=drive, port="/dev/null")


def test_flash_cli_to_drive(drive: Path, home: Path) -> None:
    from unknot.routine.selection import compile_selection

    files = compile_selection(())
    r = CliRunner().invoke(cli, ["flash", "--drive", str(drive)])
    assert r.exit_code == 0, r.output
    assert _on_drive(drive) == dict(files)
    r = CliRunner().invoke(cli, ["flash", "--drive", str(drive)])
    assert f"0 copied, {len(files)} unchanged" in r.output
    r = CliRunner().invoke(cli, ["flash", "--drive", str(drive), "no-such-routine"])
    assert r.exit_code == 1 and "no-such-routine" in r.output
