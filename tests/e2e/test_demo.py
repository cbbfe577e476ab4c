"""`unknot demo`: the real firmware on the simulated device, flashed and synced over the
simulated BLE link, ending in the user's history database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from unknot import fwload
from unknot.history import HistoryStore
from unknot.routine import compile_routine
from unknot.routine.count import tally
from unknot.routine.library import load_all

SPEED = "60"


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, UNKNOT_HOME=str(home), COLUMNS="120", NO_COLOR="1")


def _expected_cues(slug: str) -> tuple[list[str], int]:
    """The cues the wearer feels for the library routine `slug`: each event of the firmware
    player, felt as its cue (patterns.felt)."""
    routine = next(r for r in load_all() if r.slug == slug)
    fw = fwload.module("routine").decode(compile_routine(routine))
    felt = fwload.module("patterns").felt
    return ([felt(e, arg)[0] for _t, e, arg, _i in fwload.module("player").expand(fw, True)],
            fw.work_steps())


def _played_cues(out: str) -> list[str]:
    lines = out.split("3. Routine", 1)[1].split("Journal record", 1)[0].splitlines()[1:]
    return [line.split()[1] for line in lines if line.strip()]


def test_demo_auto_then_interactive_land_in_history(home: Path) -> None:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "unknot", "demo", "--auto", "--speed", SPEED],
                       env=_env(home), capture_output=True, text=True, timeout=90,
                       stdin=subprocess.DEVNULL)
    auto_s = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    cues, work_steps = _expected_cues("micro-break")
    played = _played_cues(out)
    # every cue the firmware player emitted, in order, as the wearer feels it (the get-ready
    # is the exercise number in taps: docs/firmware.md "Haptic vocabulary")
    assert played == cues and "count" in played
    assert "nudge" in out.split("2. Break reminder", 1)[1].split("3. Routine", 1)[0]
    flat = " ".join(out.split())
    assert "1 new, 0 known, 0 lost" in flat
    with HistoryStore.open() as store:
        sessions = store.sessions(include_sim=True)
    assert len(sessions) == 1
    s = sessions[0]
    assert s.routine_slug == "micro-break"
    assert (s.steps_done, s.steps_total) == (work_steps, work_steps)
    # one count: the demo header and the history table count as the host does
    count = tally(next(r for r in load_all() if r.slug == "micro-break").ops())
    assert count == (2, 2) and count.steps == work_steps
    assert f"({count}), felt as:" in flat
    assert f"{work_steps}/{work_steps}" in flat
    assert s.completed and s.from_nudge and not s.aborted
    assert 55 <= s.active_s <= 90  # the 60 s routine on the device clock (x60: jitter grows)
    assert f"--device {s.device_id}" in flat and "1 session " in flat  # D's history table
    # the demo device has its own state; a user's `unknot sim` device is not touched
    assert (home / "sim" / "demo" / "nvm.bin").exists()
    assert not (home / "sim" / "default").exists()

    # Interactive: Enter is the button. Same demo device: its journal continues (seq 2).
    p = subprocess.Popen([sys.executable, "-m", "unknot", "demo", "--speed", SPEED],
                         env=_env(home), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdin is not None and p.stdout is not None
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        seen.append(line)
        if "press Enter = button" in line or not line:
            break
    assert any("press Enter = button" in line for line in seen), "".join(seen)
    assert p.poll() is None  # waiting for the wearer, not pressing by itself
    p.stdin.write("\n")
    p.stdin.flush()
    rest, err = p.communicate(timeout=60)
    assert p.returncode == 0, rest + err
    assert "--auto" not in "".join(seen) + rest
    with HistoryStore.open() as store:
        sessions = store.sessions(include_sim=True)
    assert [x.seq for x in sessions] == [1, 2]
    assert sessions[1].completed and sessions[1].from_nudge
    assert auto_s < 30
