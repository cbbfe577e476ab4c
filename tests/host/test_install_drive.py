"""`unknot device install` onto a temporary CIRCUITPY drive: the copied tree is complete."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot import paths
from unknot.cli import cli
from unknot.device.install import CIRCUITPYTHON_BUILTINS, install
from unknot.device.mpy import as_micropython, target_for
from unknot.errors import DeviceError, UnknotError

BOOT = ("Adafruit CircuitPython 9.2.1 on 2024-11-20; Adafruit Feather nRF52840 Express with "
        "nRF52840\n")


def _drive(tmp_path: Path, boot: str = BOOT) -> Path:
    d = tmp_path / "CIRCUITPY"
    d.mkdir()
    (d / "boot_out.txt").write_text(boot)
    return d


def _firmware(tmp_path: Path) -> Path:
    fw = tmp_path / "fw"
    (fw / "lib" / "unknot").mkdir(parents=True, exist_ok=True)
    (fw / "code.py").write_text("import board\nfrom unknot.app import run\nrun()\n")
    (fw / "settings.toml").write_text("UNKNOT_MICRO_MIN = 30\n")
    (fw / "lib" / "unknot" / "__init__.py").write_text('FIRMWARE_VERSION = "0.0.1"\n')
    (fw / "lib" / "unknot" / "app.py").write_text(
        "from micropython import const\nfrom .x import y\n"
        "from adafruit_bus_device.i2c_device import I2CDevice\n"
        "try:\n    from typing import Optional\n    import circuitpython_typing\n"
        "except ImportError:\n    pass\n")
    return fw


def assert_imports_complete(drive: Path) -> None:
    """Every unconditional import in every .py on the drive is built in or on the drive
    (as .py or .mpy)."""
    for src in drive.rglob("*.py"):
        tree = ast.parse(src.read_text())
        guarded = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try)
                   for b in t.body for n in ast.walk(b)}
        for node in ast.walk(tree):
            if id(node) in guarded:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in CIRCUITPYTHON_BUILTINS:
                    continue
                rel = name.replace(".", "/")
                ok = any((drive / "lib" / f"{rel}{ext}").is_file()
                         or (drive / "lib" / rel / f"__init__{ext}").is_file()
                         for ext in (".py", ".mpy"))
                assert ok, f"{src.relative_to(drive)} imports {name}, missing on the drive"


def test_install_synthetic_firmware(tmp_path: Path) -> None:
    drive = _drive(tmp_path)
    (drive / "settings.toml").write_text("UNKNOT_MICRO_MIN = 45\n")  # the user's own
    r = install(drive, _firmware(tmp_path), py=True)
    assert r.settings_kept and (drive / "settings.toml").read_text() == "UNKNOT_MICRO_MIN = 45\n"
    assert (drive / "lib" / "adafruit_bus_device" / "__init__.py").is_file()
    assert (drive / "lib" / "adafruit_bus_device" / "i2c_device.py").is_file()
    assert not (drive / "lib" / "adafruit_bus_device" / "spi_device.py").exists()  # not used
    assert not (drive / "lib" / "circuitpython_typing").exists()  # optional: not copied
    assert not list(drive.rglob("__pycache__")) and not list(drive.rglob("*.pyi"))
    assert "adafruit_bus_device" in r.plan.distributions
    assert r.plan.distributions["adafruit_bus_device"].startswith(
        "adafruit-circuitpython-busdevice ")
    assert_imports_complete(drive)
    n = len(r.summary.copied)
    again = install(drive, _firmware(tmp_path), py=True)
    assert again.summary.copied == [] and len(again.summary.unchanged) == n
    # the default: .mpy for the board's CircuitPython, and no .py left to shadow them
    mpy = install(drive, _firmware(tmp_path))
    assert mpy.mpy and (drive / "lib" / "adafruit_bus_device" / "__init__.mpy").is_file()
    assert not (drive / "lib" / "adafruit_bus_device" / "__init__.py").exists()
    assert (drive / "code.py").is_file() and not (drive / "code.mpy").exists()
    head = (drive / "lib" / "unknot" / "app.mpy").read_bytes()[:4]
    assert head == b"C\x06\x00\x1f"  # CircuitPython's header, mpy v6, bytecode, 31-bit ints


def test_install_refuses_unknown_import_and_old_circuitpython(tmp_path: Path) -> None:
    fw = _firmware(tmp_path)
    (fw / "lib" / "unknot" / "extra.py").write_text("import no_such_library_xyz\n")
    with pytest.raises(UnknotError, match="no_such_library_xyz"):
        install(_drive(tmp_path), fw)
    old = tmp_path / "old"
    old.mkdir()
    with pytest.raises(DeviceError, match=r"CircuitPython 8\.2\.0"):
        install(_drive(old, BOOT.replace("9.2.1", "8.2.0")), _firmware(old))


def test_install_cli_real_firmware(tmp_path: Path) -> None:
    drive = _drive(tmp_path)
    r = CliRunner().invoke(cli, ["device", "install", "--drive", str(drive)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Board: ")  # no stray blank line from the progress bar
    assert "copied" in r.output and "Libraries: none" in r.output  # BLE straight on _bleio
    assert not (drive / "lib" / "adafruit_ble").exists()
    assert (drive / "code.py").read_bytes() == (paths.firmware_dir() / "code.py").read_bytes()
    assert (drive / "boot.py").is_file()
    assert (drive / "lib" / "unknot" / "proto.mpy").is_file()
    assert_imports_complete(drive)
    r = CliRunner().invoke(cli, ["device", "install", "--drive", str(drive)])
    assert "0 copied" in r.output


def test_mpy_format_follows_the_circuitpython_version() -> None:
    """py/persistentcode.h at the release tags: 9.0/9.1 load mpy 6.1, 9.2 and 10.x 6.3; a
    major version the table does not know is refused, not guessed."""
    assert (target_for((9, 0)).sub_version, target_for((9, 1)).sub_version) == (1, 1)
    assert target_for((9, 2)).sub_version == 3 and target_for((10, 2)).sub_version == 3
    for unknown in ((8, 2), (11, 0)):
        with pytest.raises(DeviceError, match="--py"):
            target_for(unknown)
    with pytest.raises(ValueError):
        as_micropython(b"M\x06\x00\x1f")


def test_install_py_fallback_cli(tmp_path: Path) -> None:
    drive = _drive(tmp_path)
    r = CliRunner().invoke(cli, ["device", "install", "--py", "--drive", str(drive)])
    assert r.exit_code == 0, r.output
    assert "plain .py" in r.output
    assert (drive / "lib" / "unknot" / "proto.py").is_file()
    assert not list(drive.rglob("*.mpy"))


def test_mpy_drops_line_numbers_unless_asked() -> None:
    """The default .mpy (-O3) has no line-number table; `install --lines` keeps it, and the
    source name is the module's dotted name either way (unknot.device.mpy)."""
    from unknot.device.mpy import LATEST, compile_mpy, source_name

    src = b"def f(x):\n    y = x + 1\n    return y * 2\n" * 20
    assert source_name("lib/unknot/hw/ble.py") == "unknot.hw.ble"
    assert source_name("lib/unknot/hw/__init__.py") == "unknot.hw"
    plain = compile_mpy(src, "unknot.m", LATEST)
    lines = compile_mpy(src, "unknot.m", LATEST, lines=True)
    assert b"unknot.m" in plain and b"unknot.m" in lines
    assert len(lines) > len(plain) + 20
