"""`unknot sync --watch` end to end: the real watch loop, the real sync entry point
(sync_device, with its lock) over the bumble link into SQLite; time is virtual."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from bleapp import App, consent, db_seqs, run
from unknot import paths
from unknot.ble.sync import SyncSummary, sync_device
from unknot.ble.watch import Watcher, WatchPolicy
from unknot.errors import SyncBusy
from unknot.history import HistoryStore
from unknot.lock import held
from unknot.sim.radio import SimRadio

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import bench_watch


class VirtualTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return 1_800_000_000.0 + self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


@pytest.fixture
def home(tmp_path: Path) -> Any:
    paths.set_home(tmp_path / "home")
    yield tmp_path / "home"
    paths.set_home(None)


def drop_on_data_frame(radio: SimRadio, n: int) -> list[bool]:
    """Cut the link at the n-th data notification, once; returns [dropped]."""
    per = radio.peripheral
    real_notify = per.device.notify_subscriber
    sent = 0
    dropped = [False]

    async def notify(conn: Any, char: Any, value: bytes) -> None:
        nonlocal sent
        if char is per.data_char and value[0] == 1 and not dropped[0]:
            sent += 1
            if sent == n:
                dropped[0] = True
                per.drop_link()
                return
        await real_notify(conn, char, value)

    per.device.notify_subscriber = notify  # type: ignore[method-assign]
    return dropped


def test_link_drop_mid_watch_loses_and_duplicates_nothing(home: Path) -> None:
    app = App(1200)  # three batches of 500: the drop lands in the second
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=home / "keys").start()
        dropped = drop_on_data_frame(radio, 40)  # 500 records at MTU 247 are ~25 frames
        clock = VirtualTime()
        lines: list[str] = []

        def attempt(scan_s: float) -> Any:
            return sync_device(radio=radio, scan_s=2.0, lock_wait_s=0.0)

        watcher = Watcher(attempt, lines.append, clock=clock)
        # the first attempt fails mid-stream; the second resumes; then the laptop "sleeps"
        # 8 hours while the wearer does 5 more sessions; the third attempt gets just those.
        await watcher.run(until=lambda: watcher.wakeups == 2)
        assert dropped[0]
        for i in range(5):
            app.journal.append(1_800_000_000 + i, 1, 3, 3, 60, 1, 3)
        await clock.sleep(8 * 3600)
        await watcher.run(until=lambda: watcher.wakeups == 3)
        await radio.stop()
        assert "sync failed: the BLE link was lost; retrying with backoff from 5 s" in lines[0]
        assert [s.new for _, s in watcher.syncs] == [700, 5]  # 500 kept before the drop
        assert clock.slept == [5.0, 8 * 3600]  # run() returns before its sleep
        with HistoryStore.open() as store:
            assert db_seqs(store) == list(range(1, 1206))
        assert len(lines) == 3  # one line per sync and per failure, none per scan

    run(go)


def test_backoff_while_away_and_back(home: Path) -> None:
    """Advertising stops: scans back off 5 s -> 5 min, one "away" line; it resumes: one
    "back" line, a sync, and the backoff starts again from 5 s."""
    app = App(3)
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=home / "keys").start()
        per = radio.peripheral
        clock = VirtualTime()
        lines: list[str] = []

        def attempt(scan_s: float) -> Any:
            return sync_device(radio=radio, scan_s=0.3, lock_wait_s=0.0)

        watcher = Watcher(attempt, lines.append, clock=clock)
        await watcher.run(until=lambda: watcher.wakeups == 1)
        await per.device.stop_advertising()
        await clock.sleep(watcher.policy.after_sync_s)
        await watcher.run(until=lambda: watcher.wakeups == 10)
        await per.device.start_advertising(advertising_data=per.advertising_data(),
                                           auto_restart=True)
        await watcher.run(until=lambda: watcher.wakeups == 11)
        await radio.stop()
        assert clock.slept == [120, 5, 10, 20, 40, 80, 160, 300, 300]
        assert watcher.retry_s == watcher.policy.first_retry_s  # reset by the sync
        assert [line.split("  ", 1)[1] for line in lines[1:]] == [
            "device away: not advertising nearby; scanning with backoff",
            "device back in range",
            "Unknot-SIM (0102030405060708): synced, 0 new, 0 lost",
        ]

    run(go)


def test_lock_keeps_syncs_apart(home: Path) -> None:
    app = App(4)
    consent(app)

    async def go() -> None:
        radio = await SimRadio(app, keys_dir=home / "keys").start()
        lines: list[str] = []
        clock = VirtualTime()

        def attempt(scan_s: float) -> Any:
            return sync_device(radio=radio, scan_s=2.0, lock_wait_s=0.0)

        watcher = Watcher(attempt, lines.append, clock=clock)
        async with held(paths.sync_lock()):  # another `unknot sync` is running
            await watcher.run(until=lambda: watcher.wakeups == 1)
            waited: list[int | None] = []
            t0 = time.monotonic()
            with pytest.raises(SyncBusy, match=f"pid {os.getpid()}"):
                await sync_device(radio=radio, lock_wait_s=0.5, on_wait=waited.append)
            assert time.monotonic() - t0 >= 0.5 and waited == [os.getpid()]
        assert "sync already running" in lines[0] and clock.slept == []
        # a manual sync that waits gets its turn when the holder lets go
        async def holder() -> None:
            async with held(paths.sync_lock()):
                await asyncio.sleep(0.4)

        task = asyncio.create_task(holder())
        await asyncio.sleep(0.05)
        summary: SyncSummary = await sync_device(radio=radio, lock_wait_s=5.0)
        await task
        assert summary.new == 4
        await radio.stop()

    run(go)


def test_ctrl_c_exits_130_and_releases_the_lock(tmp_path: Path, consent_sim: Any) -> None:
    consent_sim(tmp_path)
    env = {**os.environ, "UNKNOT_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "unknot", "sync", "--watch", "--sim"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the first sync's log line
    assert ": synced, 0 new, 0 lost" in line, line
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "Stopped." and "Traceback" not in err

    async def free() -> None:
        async with held(tmp_path / "sync.lock"):
            pass

    asyncio.run(free())


def test_bench_watch_figures() -> None:
    m = asyncio.run(bench_watch.measure(present_h=0.6, away_h=1.0, back_h=0.1))
    assert m["sessions"] >= 3 and m["stored"] == m["sessions"]
    # sessions finished in range arrive within one after-sync interval
    assert all(0 <= a <= WatchPolicy().after_sync_s + 1 for a in m["arrivals"])
    # the first away hour: 5+10+...+160 s ramp, then one scan per 5 min (+ 10 s scan)
    assert 12 <= m["away_attempts"] <= 20
    assert m["return_s"] <= WatchPolicy().max_retry_s + WatchPolicy().scan_s


def test_manual_sync_reports_a_sync_running_in_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from unknot.ble import sync as sync_mod
    from unknot.cli import cli

    lock = tmp_path / "sync.lock"
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import asyncio, sys\n"
         "from pathlib import Path\n"
         "from unknot.lock import held\n"
         "async def main():\n"
         "    async with held(Path(sys.argv[1])):\n"
         "        print('held', flush=True)\n"
         "        await asyncio.sleep(60)\n"
         "asyncio.run(main())\n", str(lock)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        monkeypatch.setattr(sync_mod, "LOCK_WAIT_S", 0.5)
        res = CliRunner().invoke(cli, ["--home", str(tmp_path), "sync", "--sim"])
    finally:
        child.kill()
        child.wait()
        paths.set_home(None)
    assert res.exit_code == 1
    assert f"Another sync is running (pid {child.pid}); waiting" in res.output
    assert res.output.rstrip().endswith(f"Error: sync already running (pid {child.pid})")


def test_repeated_failure_is_logged_once() -> None:
    """No adapter (or the same error) again and again: one line, the backoff grows."""
    from unknot.errors import DeviceError

    clock = VirtualTime()
    lines: list[str] = []

    async def attempt(scan_s: float) -> SyncSummary:
        raise DeviceError("no Bluetooth adapter available")

    watcher = Watcher(attempt, lines.append, clock=clock)
    asyncio.run(watcher.run(until=lambda: watcher.wakeups == 8))
    assert clock.slept == [5, 10, 20, 40, 80, 160, 300]
    assert len(lines) == 1 and "sync failed: no Bluetooth adapter available" in lines[0]
