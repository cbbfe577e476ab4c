"""`unknot routines ...` and `unknot preview` through click's CliRunner (and one real
subprocess for Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from unknot.cli import cli
from unknot.routine import decode

REPO = Path(__file__).resolve().parents[2]
LIB = REPO / "routines"
BAD = ('id = "bad"\nname = "Bad"\nsafety = "s"\n\n'
       '[[steps]]\nkind = "hold"\nlabel = "x"\nseconds = 0\n')


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_list(home: Path) -> None:
    code, out, _ = run("routines", "list")
    assert code == 0
    for slug in ("micro-break", "rest-break", "neck-stretches", "self-massage"):
        assert slug in out
    assert "1:01.8" in out and "5:19" in out and "(002)" in out


def test_check_library_and_user_folder(home: Path) -> None:
    code, out, _ = run("routines", "check")
    assert code == 0 and "routines OK" in out
    (home / "routines" / "mine.toml").write_text((LIB / "micro-break.toml").read_text())
    code, _, err = run("routines", "check")
    assert code == 1
    assert f"{home / 'routines' / 'mine.toml'}:" in err and "duplicate routine id" in err


def test_check_reports_every_file(home: Path, tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(BAD)
    (tmp_path / "b.toml").write_text(BAD.replace('"bad"', '"bad2"').replace("= 0", "= 700"))
    code, _, err = run("routines", "check", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"))
    assert code == 1
    assert f"{tmp_path / 'a.toml'}:8: 'seconds' = 0 s must be greater than 0 s" in err
    assert f"{tmp_path / 'b.toml'}:8: 'seconds' = 700 s is too long (at most 600 s)" in err
    assert "2 problems found." in err


def test_build_writes_nothing_when_any_input_is_bad(home: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(BAD)
    out_dir = tmp_path / "out"
    code, _, _ = run("routines", "build", str(LIB / "micro-break.toml"),
                     str(tmp_path / "bad.toml"), "-o", str(out_dir))
    assert code == 1 and not out_dir.exists()


def test_build_library(home: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = run("routines", "build", "-o", str(out_dir))
    assert code == 0
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == sorted(f"{p.stem}.unk" for p in LIB.glob("*.toml"))
    data = (out_dir / "micro-break.unk").read_bytes()
    assert f"micro-break.unk  {len(data)} bytes" in out
    assert decode(data).slug == "micro-break"
    code, _, _ = run("routines", "build", "--no-labels", "-o", str(out_dir))
    assert decode((out_dir / "micro-break.unk").read_bytes()).slug is None


def test_show_id_toml_and_unk(home: Path, tmp_path: Path) -> None:
    code, out, _ = run("routines", "show", "micro-break")
    assert code == 0
    assert "Safety:" in out and "Chin to chest" in out and "0:35.5" in out and "1:01.8" in out
    code, out2, _ = run("routines", "show", str(LIB / "micro-break.toml"))
    assert code == 0 and out2 == out
    run("routines", "build", str(LIB / "micro-break.toml"), "-o", str(tmp_path))
    code, out3, _ = run("routines", "show", str(tmp_path / "micro-break.unk"), "--cues")
    assert code == 0 and "hold_start" in out3 and "done" in out3 and "0:35" in out3


def test_show_errors_are_one_line(home: Path, tmp_path: Path) -> None:
    code, _, err = run("routines", "show", "no-such-routine")
    assert code == 1 and err.startswith("Error: no routine with id 'no-such-routine'")
    (tmp_path / "x.unk").write_bytes(b"UNKX" + bytes(20))
    code, _, err = run("routines", "show", str(tmp_path / "x.unk"))
    assert code == 1 and "bad magic" in err and err.count("\n") == 1


def test_preview_fast(home: Path) -> None:
    start = time.monotonic()
    code, out, _ = run("preview", "micro-break", "--speed", "300")
    elapsed = time.monotonic() - start
    assert code == 0, out
    assert "Safety:" in out and "Done." in out
    assert 60 / 300 * 0.9 <= elapsed < 5  # real time, scaled


def test_preview_draws_the_firmware_envelope(home: Path) -> None:
    from unknot import fwload
    from unknot.routine.view import sparkline

    done = fwload.module("patterns").envelope("done")
    assert done
    _, out, _ = run("preview", "micro-break", "--speed", "1000")
    assert "motor " + sparkline(done) in out


def test_preview_ctrl_c_stops_cleanly(home: Path) -> None:
    env = dict(os.environ, UNKNOT_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "unknot", "preview", "rest-break"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, (out, err)
    assert err.strip().endswith("Stopped.")  # from the CLI entry, as for every command
    assert "Traceback" not in err
