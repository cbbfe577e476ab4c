"""`unknot device install` onto a temporary CIRCUITPY drive: the copied tree is complete."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot import paths
from unknot.cli import cli
from unknot.device.install import CIRCUITPYTHON_BUILTINS, install
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
        "import adafruit_drv2605\n"
        "from adafruit_ble import BLERadio\n"
        "from adafruit_ble.services.nordic import UARTService\n"
        "try:\n    from typing import Optional\n    import circuitpython_typing\n"
        "except ImportError:\n    pass\n")
    return fw


def assert_imports_complete(drive: Path) -> None:
    """Every unconditional import in every .py on the drive is built in or on the drive."""
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
                ok = (drive / "lib" / f"{rel}.py").is_file() or (
                    drive / "lib" / rel / "__init__.py").is_file()
                assert ok, f"{src.relative_to(drive)} imports {name}, missing on the drive"


def test_install_synthetic_firmware(tmp_path: Path) -> None:
    drive = _drive(tmp_path)
    (drive / "settings.toml").write_text("UNKNOT_MICRO_MIN = 45\n")  # the user's own
    r = install(drive, _firmware(tmp_path))
    assert r.settings_kept and (drive / "settings.toml").read_text() == "UNKNOT_MICRO_MIN = 45\n"
    assert (drive / "lib" / "adafruit_drv2605.py").is_file()
    assert (drive / "lib" / "adafruit_ble" / "services" / "nordic.py").is_file()
    assert (drive / "lib" / "adafruit_bus_device" / "i2c_device.py").is_file()
    assert not (drive / "lib" / "circuitpython_typing").exists()  # optional: not copied
    assert not list(drive.rglob("__pycache__")) and not list(drive.rglob("*.pyi"))
    assert "adafruit_ble" in r.plan.distributions
    assert r.plan.distributions["adafruit_ble"].startswith("adafruit-circuitpython-ble ")
    assert_imports_complete(drive)
    n = len(r.summary.copied)
    again = install(drive, _firmware(tmp_path))
    assert again.summary.copied == [] and len(again.summary.unchanged) == n


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
    assert "copied" in r.output and "adafruit-circuitpython" in r.output
    assert (drive / "code.py").read_bytes() == (paths.firmware_dir() / "code.py").read_bytes()
    assert (drive / "boot.py").is_file()
    assert_imports_complete(drive)
    r = CliRunner().invoke(cli, ["device", "install", "--drive", str(drive)])
    assert "0 copied" in r.output
