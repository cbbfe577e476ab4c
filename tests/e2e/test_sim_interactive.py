"""`unknot sim` in a pty: keys are the button, and other processes reach the running
simulated device over HCI-on-TCP (flash, device info, sync)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
from unknot.history import HistoryStore
from unknot.sim import interproc


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, UNKNOT_HOME=str(home))


def test_sim_keys_and_second_process(home: Path) -> None:
    env = _env(home)
    t_begin = time.time()
    child = pexpect.spawn(sys.executable, ["-m", "unknot", "sim", "--speed", "50"], env=env,
                          dimensions=(40, 110), encoding="utf-8", timeout=20)

    def unknot(*args: str) -> subprocess.CompletedProcess[str]:
        # keep reading the TUI while the other process runs (a full pty would block it)
        p = subprocess.Popen([sys.executable, "-m", "unknot", *args], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while p.poll() is None:
            child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.05)
        out, err = p.communicate()
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)

    try:
        child.expect(r"0 records")
        link = json.loads((home / "sim" / "default" / "link.json").read_text())
        assert link["pid"] == child.pid and link["port"] > 0

        refused = unknot("flash", "--sim", "micro-break")  # not paired yet
        assert refused.returncode == 1 and "not paired" in refused.stderr
        # `unknot pair` first, then the wearer's 1 s hold (key b): at x50 the 60 s window
        # lasts 1.2 s of real time, so the host waits for it to open
        p = subprocess.Popen([sys.executable, "-m", "unknot", "pair", "--sim"], env=env,
                             text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        assert p.stdin is not None
        t_end = time.time() + 3
        while time.time() < t_end:
            child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.05)
        child.send("b")
        child.expect("ack x3")  # pair_open
        # the wearer feels three numbers (the TUI prints each number as `count xN`), types
        # them into `unknot pair`, then presses the device's button (key p)
        felt: dict[str, str] = {}  # device time -> count: the TUI may show a line again
        while len(felt) < 3:
            child.expect(r"(\d+:\d\d\.\d)  count(?: x(\d))?\b")  # a felt line: n taps
            felt[child.match.group(1)] = child.match.group(2) or "1"
        felt_sas = [felt[t] for t in sorted(felt, key=lambda t: (len(t), t))]
        p.stdin.write(" ".join(felt_sas) + "\n")
        p.stdin.flush()
        child.send("p")
        while p.poll() is None:
            child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.05)
        _out, err = p.communicate()
        assert p.returncode == 0, err
        child.expect("ack x2")  # pair_ok
        flashed = unknot("flash", "--sim", "micro-break")
        assert flashed.returncode == 0, flashed.stderr
        assert "1 copied" in flashed.stdout
        child.expect("selected: Micro-break")  # the firmware reloaded its routines

        child.send("d")  # double press when idle: select the next routine (buzzes its number)
        child.expect("count")  # the routine number in taps
        child.send("p")  # press: start the selected routine
        child.expect("go")
        child.expect("breathe_in")
        # the one count: exercise and step as the host counts them (2 exercises, 2 steps)
        child.expect(r"exercise 1/2 . step 1/2\s+breathe: Slow breaths")
        child.expect(r"1 record,", timeout=30)  # the session is in the journal

        info = unknot("device", "info", "--sim")
        assert info.returncode == 0, info.stderr
        device_id = (home / "sim" / "default" / "device_id").read_text().strip()
        assert device_id in info.stdout
        assert "Journal:" in info.stdout and "1 of" in info.stdout
        # not synced yet: the clock message is about the running sim, not a command's
        assert "the running `unknot sim` has not been synced" in info.stdout, info.stdout

        synced = unknot("sync", "--sim")
        assert synced.returncode == 0, synced.stderr
        assert "1 new" in synced.stdout

        child.send("l")  # long press when idle: the pairing window again
        child.expect("ack x3")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert not (home / "sim" / "default" / "link.json").exists()
    with HistoryStore.open() as store:
        sessions = store.sessions(include_sim=True)
    assert [(s.routine_slug, s.completed, s.device_id.startswith(device_id)) for s in sessions] \
        == [("micro-break", True, True)]
    # the device clock ran at x50 and was never set: its start is rebuilt at that rate
    assert sessions[0].start_approx
    assert t_begin - 2 <= sessions[0].start.timestamp() <= time.time()

    # state persists: the next run sees the same journal and routine
    again = pexpect.spawn(sys.executable, ["-m", "unknot", "sim", "--headless"], env=env,
                          encoding="utf-8", timeout=20)
    try:
        again.expect(r"serving Unknot-SIM \(device " + device_id)
        info = unknot_info(env)
        assert device_id in info and "1 of" in info  # same device, same journal
        again.sendintr()
        again.expect(pexpect.EOF)
    finally:
        again.close(force=True)


def unknot_info(env: dict[str, str]) -> str:
    r = subprocess.run([sys.executable, "-m", "unknot", "device", "info", "--sim"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_stale_link_file_is_ignored(home: Path) -> None:
    d = interproc.sim_dir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (d / interproc.LINK_FILE).write_text(json.dumps({"port": 1, "pid": int(dead)}))
    assert interproc.running_link(d) is None
    assert not (d / interproc.LINK_FILE).exists()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        interproc.write_link(d, port)
        got = interproc.running_link(d)
        assert got is not None and got.port == port and got.pid == os.getpid()
    # a live pid that does not listen there (e.g. a reused pid) is stale too
    assert interproc.running_link(d) is None
    assert not (d / interproc.LINK_FILE).exists()
    interproc.write_link(d, port)
    interproc.remove_link(d)
    assert not (d / interproc.LINK_FILE).exists()


def test_selftest_sim_runs_on_the_running_sim(home: Path, consent_sim: Any) -> None:
    """Issue 20: `device selftest --sim` with `unknot sim` running opened the same state
    folder in its own process (nvm.bin rewritten, the boot count rising under the running
    sim); now the running device runs it, and its wearer presses its keys when asked."""
    consent_sim(home)
    env = _env(home)
    sim = pexpect.spawn(sys.executable, ["-m", "unknot", "sim", "--headless", "--speed", "20"],
                        env=env, encoding="utf-8", timeout=30)
    try:
        sim.expect(r"serving Unknot-SIM")
        time.sleep(1.0)
        p = subprocess.Popen([sys.executable, "-m", "unknot", "device", "selftest", "--sim"],
                             env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sim.expect("selftest: start")  # in the running sim's process
        sim.expect("press the button now")
        sim.send("p")
        while p.poll() is None:
            sim.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.05)
        out, err = p.communicate()
    finally:
        sim.sendintr()
        sim.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=20)
        sim.close(force=True)
    assert "Using the running `unknot sim`" in out, out + err
    report = out.split("Self-test report:")[1]
    assert "button   PASS" in report
    assert "boot 1" in report  # the running device's boot, not a second one in this process
