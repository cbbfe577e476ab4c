"""`unknot follow` end to end: the real firmware App on a scaled clock, its STATUS frames over
the real BLE stack (bumble, with the paced link model), the host's Follower.

The drift test compares the cue times the host predicts (the countdown it shows) with the
firmware's own cue log (`app.cue_log`: send deadline and send time of every cue)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

from bleapp import consent
from click.testing import CliRunner
from unknot import follow
from unknot.ble import open_device
from unknot.cli import cli
from unknot.device.keys import KeyStore
from unknot.routine import overview
from unknot.routine.compile import compile_routine, file_name
from unknot.routine.parse import load_file
from unknot.sim.device import SimDevice
from unknot.sim.engine import Engine
from unknot.sim.link import LinkModel
from unknot.sim.radio import SimRadio
from unknot.sim.scaledclock import ScaledClock

SPEED = 2.0  # device clock x real time: 100 device ms = 50 real ms, harsher than a board
ROUTINE = """\
id = "follow-test"
name = "Follow test"
safety = "Stop if it hurts."
countdown = 2

[source]
file = "002_17c44f48d25a7800.txt"
title = "Stretches to Relieve Back and Neck Pain"

[numbers]
text = []
chosen = ["short timings for a test"]

[[exercises]]
name = "Breathe"
say = "Sit tall and breathe."
position = "sitting"

[[exercises.steps]]
kind = "breathe"
label = "Breaths"
breaths = 2
inhale = 1.5
exhale = 1.5

[[exercises]]
name = "Reach"
say = "Reach up, one arm then the other."
position = "sitting"

[[exercises.steps]]
kind = "repeat"
label = "Reach"
count = 2
seconds = 1
gap = 0.5
sides = "each"
"""


class Rig:
    """A simulated device running in real time (x SPEED) with the routine installed, and a
    Follower following it over BLE."""

    def __init__(self, tmp: Path) -> None:
        src = tmp / "follow-test.toml"
        src.write_text(ROUTINE)
        routine = load_file(src)
        self.clock = ScaledClock(SPEED)
        self.device = SimDevice(tmp / "dev", clock=self.clock)
        self.device.install_routine(file_name(routine.slug), compile_routine(routine))
        self.app = self.device.app
        self.keys = KeyStore(tmp / "keys")
        consent(self.app, self.keys)  # STATUS frames go to a paired host only
        self.follower = follow.Follower(follow.Library([overview.of(routine)]), rate=SPEED)
        self.events: list[dict[str, Any]] = []
        self.links: list[str] = []
        self.stop = asyncio.Event()

    async def start(self) -> None:
        self.engine = Engine(self.device)
        self.engine.start()
        self.radio = await SimRadio(self.app, keys_dir=None, model=LinkModel()).start()
        self.task = asyncio.ensure_future(follow.run(
            lambda: open_device(radio=self.radio, keys=self.keys), self.follower,
            self.events.append, self.links.append, self.stop, backoff=(0.05, 0.2)))
        await self.until(lambda: any(e["event"] == "hello" for e in self.events))

    async def until(self, cond: Any, limit_s: float = 30.0) -> None:
        t0 = time.monotonic()
        while not cond():
            assert time.monotonic() - t0 < limit_s, self.events[-3:]
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self.stop.set()
        await self.task
        await self.radio.stop()
        await self.engine.stop()


def test_follow_countdown_stays_within_100ms_of_the_device_cues(tmp_path: Path) -> None:
    async def go() -> tuple[list[float], list[float]]:
        rig = Rig(tmp_path)
        await rig.start()
        app = rig.app
        app.cue_log = []
        mono0, dev0 = time.monotonic(), rig.clock.now_ms()  # host s -> device ms
        app.post(("start", 0))
        rig.engine.wake()
        await rig.until(lambda: any(e["event"] == "done" for e in rig.events))
        await rig.close()
        latency = app.settings["UNKNOT_MOTOR_LATENCY_MS"]
        vs_schedule, vs_sent = [], []
        played = app.cue_log
        predicted = rig.follower.plan
        assert len(played) == len(rig.follower._cues)  # one timeline, the firmware's
        for i, (deadline, sent, _cue) in enumerate(played):
            if i not in predicted:  # cues at t=0 are played before the START frame
                continue
            host = dev0 + (predicted[i] - mono0) * 1000.0 * SPEED
            vs_schedule.append(host - (deadline + latency))  # when the device means it felt
            vs_sent.append(host - (sent + latency))  # when the device really sent it
        assert len(vs_schedule) >= len(played) - 1
        names = [e["event"] for e in rig.events]
        assert names[:2] == ["hello", "start"] and "side" in names and names[-1] == "done"
        return vs_schedule, vs_sent

    vs_schedule, vs_sent = asyncio.run(go())
    print(f"drift vs device schedule: max {max(map(abs, vs_schedule)):.1f} ms; "
          f"vs device send times: max {max(map(abs, vs_sent)):.1f} ms (device ms)")
    assert max(map(abs, vs_schedule)) < 100
    assert max(map(abs, vs_sent)) < 100


def test_follow_shows_exercise_pause_and_reconnects_after_link_loss(tmp_path: Path) -> None:
    async def go() -> None:
        rig = Rig(tmp_path)
        await rig.start()
        rig.app.post(("start", 0))
        rig.engine.wake()
        await rig.until(lambda: any(e["event"] == "step" and e["exercise"] for e in rig.events))
        step = next(e for e in rig.events if e["event"] == "step" and e["exercise"])
        assert step["exercise"] == {"number": 1, "name": "Breathe",
                                    "say": "Sit tall and breathe.", "position": "sitting",
                                    "props": []}
        assert step["next_exercise"]["name"] == "Reach"
        rig.engine.gesture("press")  # pause
        await rig.until(lambda: rig.events[-1]["event"] == "paused")
        frozen = rig.follower.view(time.monotonic()).step_left_ms
        await asyncio.sleep(0.3)
        assert rig.follower.view(time.monotonic()).step_left_ms == frozen  # stands still
        # the link drops: the follower reconnects by itself and gets the state (HELLO)
        hellos = sum(e["event"] == "hello" for e in rig.events)
        rig.radio.peripheral.drop_link()
        await rig.until(lambda: sum(e["event"] == "hello" for e in rig.events) > hellos)
        assert rig.events[-1]["state"] == "paused" and rig.events[-1]["routine"] == "follow-test"
        assert any("reconnecting" in m for m in rig.links)
        rig.engine.gesture("long")  # stop the routine
        await rig.until(lambda: rig.events[-1]["event"] == "stopped")
        assert rig.events[-1]["next_break_s"] is not None
        rig.app.post(("remind",))
        rig.engine.wake()
        await rig.until(lambda: rig.events[-1]["event"] == "nudge")
        assert rig.follower.view(time.monotonic()).state == "nudge"
        await rig.close()

    asyncio.run(go())


def test_a_forget_stops_the_status_frames_at_once(tmp_path: Path) -> None:
    """Forget (issue 17): the wearer's 10 s hold mid-session ends the follower's session at
    once: a routine started after it sends no STATUS frame to the forgotten laptop."""
    async def go() -> list[dict[str, Any]]:
        rig = Rig(tmp_path)
        await rig.start()
        seen = len(rig.events)
        rig.app.keyring.forget()  # the 10 s hold
        rig.app.post(("start", 0))
        rig.engine.wake()
        await rig.until(lambda: rig.app.player is not None)
        await asyncio.sleep(1.5)  # the routine plays: steps would be announced
        after = rig.events[seen:]
        rig.stop.set()
        with contextlib.suppress(Exception):  # the follower may end with "not paired"
            await rig.task
        await rig.radio.stop()
        await rig.engine.stop()
        return after

    after = asyncio.run(go())
    assert not [e for e in after if e["event"] in ("start", "step", "side")], after


def test_follow_cli_json_prints_one_event_a_line(tmp_path: Path, consent_sim: Any) -> None:
    import os
    import signal
    import subprocess
    import sys

    consent_sim(tmp_path)  # follow, like sync, needs a paired host
    env = dict(os.environ, UNKNOT_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "unknot", "follow", "--sim", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    lines = [proc.stdout.readline(), proc.stdout.readline()]
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    events = [json.loads(line) for line in lines]
    assert events[0]["event"] == "link" and events[1]["event"] == "hello"
    assert events[1]["state"] == "idle" and events[1]["next_break_s"] > 0
    assert proc.returncode == 130 and "Traceback" not in err


def test_follow_notify_without_the_library_is_one_clear_error(tmp_path: Path) -> None:
    try:
        import desktop_notifier  # noqa: F401
    except ImportError:
        pass
    else:
        return  # installed here: nothing to check
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "follow", "--sim", "--notify"])
    assert result.exit_code != 0
    assert "desktop-notifier" in str(result.exception) or "desktop-notifier" in result.output
