"""Regenerate docs/demo.svg: run `unknot demo --auto` for real (fresh temporary UNKNOT_HOME)
and export its colored output with rich (Console(record=True).save_svg).

    python tools/capture_demo.py [--speed 60] [--out docs/demo.svg]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

REPO = Path(__file__).resolve().parent.parent
WIDTH = 100


def capture(speed: float) -> str:
    """The demo's stdout, with ANSI colors (no live panel: stdout is a pipe)."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, UNKNOT_HOME=home, FORCE_COLOR="1", COLUMNS=str(WIDTH),
                   TZ=os.environ.get("TZ", "UTC"))
        env.pop("NO_COLOR", None)
        r = subprocess.run(
            [sys.executable, "-m", "unknot", "demo", "--auto", "--speed", f"{speed:g}"],
            env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        )
        if r.returncode != 0:
            sys.exit(f"unknot demo failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r.stdout.replace(home, "~/.local/share/unknot")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "demo.svg")
    args = ap.parse_args()
    out = capture(args.speed)
    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True)
    console.print(Text.from_ansi(out), soft_wrap=True)
    console.save_svg(str(args.out), title="unknot demo --auto")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
