#!/usr/bin/env python3
"""Type-check the firmware against circuitpython-stubs, once per supported board.

For each board: a temporary stubs dir gets `board/__init__.pyi` copied from
circuitpython-stubs' `board_definitions/<board>/`, plus a generated module that touches every
pin the firmware's board table (firmware/lib/unknot/hw/boards.py) names for that board; then
mypy checks firmware/code.py, boot.py and firmware/lib/unknot against the CircuitPython API.

Blinka (installed here as a dependency of adafruit-circuitpython-busdevice) ships top-level
`board`, `digitalio`, `keypad`, ... modules. They are not PEP 561 typed, so mypy prefers the
`*-stubs` packages of circuitpython-stubs for all of them, and `board` comes from the stubs
dir on MYPYPATH, which mypy searches before site-packages. `self_test()` proves it: a file
with a wrong CircuitPython call must fail.

    python tools/check_firmware_types.py [--board NAME]   -> exit 0 when all boards pass
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"

# firmware board key -> circuitpython-stubs board_definitions directory
BOARDS = {
    "feather_nrf52840": "feather_nrf52840_express",
    "xiao_nrf52840": "Seeed_XIAO_nRF52840_Sense",  # same pins as the plain XIAO nRF52840
    "cpb": "circuitplayground_bluefruit",
}

MYPY_INI = """\
[mypy]
python_version = 3.11
check_untyped_defs = True
warn_unused_ignores = False
follow_imports = normal
explicit_package_bases = True
namespace_packages = True
# misc: the `try: from micropython import const / except ImportError: def const` idiom;
# var-annotated: untyped firmware code has no annotations to give
disable_error_code = misc, var-annotated
"""


def board_definitions() -> Path:
    spec = importlib.util.find_spec("board_definitions")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("circuitpython-stubs is not installed (pip install circuitpython-stubs)")
    return Path(next(iter(spec.submodule_search_locations)))


def _board_table() -> dict[str, dict[str, object]]:
    spec = importlib.util.spec_from_file_location("_boards", FIRMWARE / "lib/unknot/hw/boards.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return dict(mod.BOARDS)


def _pins_module(conf: dict[str, object]) -> str:
    lines = ['"""Generated: every pin the board table names must exist on this board."""',
             "import board", "import microcontroller", ""]
    for key in ("button", "motor_pin", "scl", "sda", "battery", "battery_enable"):
        name = conf.get(key)
        if name:
            lines.append(f"_{key}: microcontroller.Pin = board.{name}")
    return "\n".join(lines) + "\n"


def run_mypy(stubs: Path, targets: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "mypy.ini").write_text(MYPY_INI)
    env_path = f"{stubs}:{FIRMWARE / 'lib'}"
    import os

    env = dict(os.environ, MYPYPATH=env_path)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(cwd / "mypy.ini"),
         "--cache-dir", str(cwd / ".mypy_cache"), "--no-error-summary", *targets],
        cwd=cwd, env=env, capture_output=True, text=True,
    )


def check_board(key: str, workdir: Path) -> tuple[bool, str]:
    stubs = workdir / key / "stubs"
    (stubs / "board").mkdir(parents=True)
    src = board_definitions() / BOARDS[key] / "__init__.pyi"
    (stubs / "board" / "__init__.pyi").write_text(src.read_text())
    pins = workdir / key / "unknot_board_pins.py"
    pins.write_text(_pins_module(_board_table()[key]))
    core = sorted(str(f) for f in (FIRMWARE / "lib" / "unknot").rglob("*.py"))
    targets = [str(FIRMWARE / "code.py"), str(FIRMWARE / "boot.py"), *core, str(pins)]
    proc = run_mypy(stubs, targets, workdir / key)
    out = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0, out


def self_test(workdir: Path) -> tuple[bool, str]:
    """A wrong CircuitPython call and a pin the board lacks must both be reported."""
    stubs = workdir / "self" / "stubs"
    (stubs / "board").mkdir(parents=True)
    src = board_definitions() / BOARDS["cpb"] / "__init__.pyi"
    (stubs / "board" / "__init__.pyi").write_text(src.read_text())
    bad = workdir / "self" / "bad.py"
    bad.write_text(
        "import alarm\nimport board\nimport keypad\n"
        "alarm.light_sleep_until_alarms(5)\n"
        "keys = keypad.Keys((board.BUTTON_A,), value_when_pressed=True, bogus=1)\n"
        "x = board.VOLTAGE_MONITOR\n"
    )
    proc = run_mypy(stubs, [str(bad)], workdir / "self")
    out = proc.stdout
    ok = (proc.returncode != 0 and "light_sleep_until_alarms" in out and "bogus" in out
          and "VOLTAGE_MONITOR" in out)
    return ok, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", action="append", choices=sorted(BOARDS))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="fwtypes-") as tmp:
        work = Path(tmp)
        if args.self_test:
            ok, out = self_test(work)
            print("self-test:", "ok" if ok else "FAILED\n" + out)
            return 0 if ok else 1
        for key in args.board or sorted(BOARDS):
            ok, out = check_board(key, work)
            print(f"{key}: {'ok' if ok else 'FAILED'}")
            if not ok:
                print(out)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
