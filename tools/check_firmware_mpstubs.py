#!/usr/bin/env python3
"""Type-check the firmware core against MicroPython's own published stubs.

tools/check_firmware_types.py checks the firmware against the CircuitPython API (the board);
this checks the hardware-free core (firmware/lib/unknot/*.py, not hw/) against what the
MicroPython VM the tests run on offers: `micropython-stdlib-stubs` as mypy's typeshed (so a
CPython-only module such as dataclasses, functools or pathlib is not found) and the
`micropython-unix-stubs` port modules (binascii, gc, micropython, time...: a CPython-only
function such as time.perf_counter is not there). Both are pinned in the `test` extra.
`self_test()` proves it: a file with CPython-only calls, which passes against CPython's
typeshed, must fail here.

    python tools/check_firmware_mpstubs.py [--self-test]   -> exit 0 when the core passes
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "firmware" / "lib" / "unknot"

MYPY_INI = """\
[mypy]
python_version = 3.11
check_untyped_defs = True
warn_unused_ignores = False
# misc: the `try: from micropython import const / except ImportError: def const` idiom;
# var-annotated: untyped firmware code has no annotations to give
disable_error_code = misc, var-annotated

[mypy-_mpy_shed.*]
ignore_errors = True

"""


def _copy_dist(dist_name: str, dest: Path, keep: str = "") -> None:
    """Copy the .pyi files of an installed distribution (those under `keep`, if given)."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        raise SystemExit(f"{dist_name} is not installed (pip install -e '.[test]')") from None
    for f in dist.files or []:
        rel = str(f)
        if not (rel.endswith(".pyi") or rel.endswith("VERSIONS")) or ".dist-info" in rel:
            continue
        if keep and not rel.startswith(keep):
            continue
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(str(dist.locate_file(f))), out)


def prepare(work: Path) -> tuple[Path, Path]:
    """(typeshed dir, MYPYPATH stubs dir) built in `work` from the installed stubs."""
    typeshed = work / "typeshed"
    stubs = work / "stubs"
    _copy_dist("micropython-stdlib-stubs", typeshed, "stdlib/")
    _copy_dist("micropython-stdlib-stubs", stubs, "_mpy_shed/")
    _copy_dist("micropython-unix-stubs", stubs)
    # mypy needs its own third-party stubs dir (mypy-extensions) in a custom typeshed
    import mypy

    shutil.copytree(Path(mypy.__file__).parent / "typeshed" / "stubs", typeshed / "stubs")
    return typeshed, stubs


def run_mypy(work: Path, src: Path, packages: list[str]) -> subprocess.CompletedProcess[str]:
    typeshed, stubs = prepare(work)
    (work / "mypy.ini").write_text(MYPY_INI)
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(work / "mypy.ini"),
           "--custom-typeshed-dir", str(typeshed), "--cache-dir", str(work / ".mypy_cache"),
           "--no-error-summary"]
    for p in packages:
        cmd += ["-p", p]
    env = dict(os.environ, MYPYPATH=str(stubs))
    return subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)


def check_core(work: Path) -> tuple[bool, str]:
    src = work / "src"
    shutil.copytree(CORE, src / "unknot", ignore=shutil.ignore_patterns("hw", "__pycache__"))
    proc = run_mypy(work, src, ["unknot"])
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def self_test(work: Path) -> tuple[bool, str]:
    """CPython-only modules and functions must each be reported."""
    src = work / "src"
    (src / "bad").mkdir(parents=True)
    (src / "bad" / "__init__.py").write_text(
        "import binascii\nimport dataclasses\nimport gc\nimport time\n\n"
        "t = time.perf_counter()\ngc.get_objects()\nbinascii.crc_hqx(b'', 0)\n"
    )
    proc = run_mypy(work, src, ["bad"])
    out = proc.stdout
    ok = proc.returncode != 0 and all(
        word in out for word in ("dataclasses", "perf_counter", "get_objects", "crc_hqx")
    )
    return ok, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fwmpstubs-") as tmp:
        if args.self_test:
            ok, out = self_test(Path(tmp))
            print("self-test:", "ok" if ok else "FAILED\n" + out)
        else:
            ok, out = check_core(Path(tmp))
            print("core against MicroPython stubs:", "ok" if ok else "FAILED\n" + out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
