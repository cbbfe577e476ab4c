"""The board bring-up self-test (firmware/lib/unknot/selftest.py): on the simulated device
(CLI, real bumble radio, the SELFTEST control op over real ATT), its entry gesture, and the
same logic under the MicroPython VM."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from authed import Authed
from click.testing import CliRunner
from unknot import core
from unknot import selftest as st
from unknot.core import wire
from unknot.sim import simadapters as sa
from unknot.sim.device import SimDevice

REPO = Path(__file__).resolve().parents[2]
CHECKS = ["motor", "nvm", "battery", "ble", "cues", "button", "sleep"]


def _sim(tmp_path: Path, **kw: Any) -> tuple[SimDevice, sa.SimChecks]:
    dev = SimDevice(tmp_path / "dev", **kw)
    checks = sa.SimChecks()
    dev.app.checks = checks
    return dev, checks


def test_simulated_device_self_test_passes(tmp_path: Path) -> None:
    lines: list[str] = []
    report = st.run_sim(tmp_path / "dev", lines.append)
    assert [c.name for c in report.checks] == CHECKS and report.complete
    status = {c.name: c.status for c in report.checks}
    assert status == {"motor": "PASS", "nvm": "PASS", "battery": "SKIP", "ble": "PASS",
                      "cues": "PASS", "button": "PASS", "sleep": "PASS"}
    assert "advertising as Unknot-SIM" in report.checks[3].detail
    # every cue of the vocabulary was named on the console, in table order
    cues = [ln.split(":")[0].removeprefix("cue ") for ln in lines if ln.startswith("cue ")]
    assert cues == list(core.patterns.CUES)
    st.verdict(report)  # no exception


def test_self_test_plays_every_cue_on_the_motor(tmp_path: Path) -> None:
    dev, checks = _sim(tmp_path)
    dev.advance(10)
    assert dev.app.start_selftest(dev.clock.now_ms(), lambda _l: None)
    sa.drive_selftest(dev.app, checks)
    names = core.patterns.CUES
    played = [c for c in dev.motor.cues()]
    assert played == list(names)
    # each cue is played after the previous one has ended (no cue cut short)
    times = [t for t, _n, _c in dev.motor.played]
    durations = [core.patterns.duration_ms(n) for n in names]
    assert all(b - a >= d for a, b, d in zip(times, times[1:], durations, strict=False))


def test_nobody_presses_the_button(tmp_path: Path) -> None:
    dev, _sleep = _sim(tmp_path)
    lines: list[str] = []
    dev.advance(10)
    dev.app.start_selftest(dev.clock.now_ms(), lines.append)
    dev.advance(120_000)  # nobody at the bench
    report = st.parse(lines)
    status = {c.name: c.status for c in report.checks}
    assert status["button"] == "FAIL" and status["sleep"] == "SKIP" and report.complete
    assert dev.app.selftest.done and not dev.app.selftest_running()
    try:
        st.verdict(report)
    except st.SelftestFailed as exc:
        assert "button" in str(exc)
    else:
        raise AssertionError("a FAIL must fail the verdict")


def test_cli_exits_non_zero_on_fail(tmp_path: Path, monkeypatch: Any) -> None:
    from unknot.cli import cli

    home = ["--home", str(tmp_path / "home")]
    monkeypatch.setattr(sa, "PRESS_AFTER_MS", 60_000)  # the hand never comes: button FAIL
    res = CliRunner().invoke(cli, [*home, "device", "selftest", "--sim"])
    assert res.exit_code == 1 and "button   FAIL" in res.output, res.output
    assert "Error: self-test failed: button" in res.output
    monkeypatch.setattr(sa, "PRESS_AFTER_MS", 3000)
    res = CliRunner().invoke(cli, [*home, "device", "selftest", "--sim"])
    assert res.exit_code == 0 and "sleep    PASS" in res.output, res.output
    res = CliRunner().invoke(cli, [*home, "device", "selftest"])
    assert res.exit_code == 1 and "choose one of" in res.output


def test_entry_gesture_long_press_after_boot(tmp_path: Path) -> None:
    dev, _ = _sim(tmp_path)
    dev.advance(2000)
    dev.button.long_press()  # starts 2 s after boot
    dev.advance(1600)
    assert dev.app.selftest is not None and dev.app.selftest_running()
    assert "ack" not in dev.motor.cues()


def test_hold_through_reset_or_late_long_press_is_not_the_gesture(tmp_path: Path) -> None:
    """Outside the self-test gesture a long press opens the pairing window (pair_open)."""
    dev, _ = _sim(tmp_path / "a")
    dev.button.push(True, 0)  # held at boot: boot.py's serial-mode hold
    dev.button.push(False, 1500)
    dev.advance(2000)
    assert dev.app.selftest is None and dev.motor.played[-1][1:] == ("ack", 3)  # pair_open
    dev, _ = _sim(tmp_path / "b")
    dev.advance(12_000)
    dev.button.long_press()  # more than 10 s after boot: the pairing window
    dev.advance(2000)
    assert dev.app.selftest is None and dev.motor.played[-1][1:] == ("ack", 3)  # pair_open


def test_no_self_test_during_a_routine(tmp_path: Path) -> None:
    dev, _ = _sim(tmp_path)
    dev.button.press()
    dev.advance(1000)
    assert dev.app.player is not None
    assert not dev.app.start_selftest(dev.clock.now_ms())


def _request(proto: Any, app: Any, payload: bytes) -> tuple[int, bytes]:
    p = core.proto
    proto.control(payload)
    frame = proto.next_frame()
    assert frame[0] == p.F_RESP and frame[1] == p.OP_SELFTEST
    return frame[2], frame[wire.size(p.RESP):]


def test_selftest_op_start_busy_and_report_by_offset(tmp_path: Path) -> None:
    p, t = core.proto, core.selftest
    dev, checks = _sim(tmp_path)
    proto = Authed(p.Protocol(dev.app))  # MTU 23: the report takes many reads
    report_req = wire.pack(t.REQ_SELFTEST_REPORT, p.OP_SELFTEST, t.SELFTEST_REPORT, 0)
    status, payload = _request(proto, dev.app, report_req)
    assert status == p.ST_OK and wire.unpack(t.RESP_SELFTEST, payload) == (t.SELFTEST_NONE, 0)
    start = wire.pack(t.REQ_SELFTEST, p.OP_SELFTEST, t.SELFTEST_START)
    assert _request(proto, dev.app, start)[0] == p.ST_OK
    assert _request(proto, dev.app, start)[0] == p.ST_BUSY
    status, payload = _request(proto, dev.app, report_req)
    assert wire.unpack(t.RESP_SELFTEST, payload) == (t.SELFTEST_RUNNING, 0)
    assert _request(proto, dev.app, bytes([p.OP_SELFTEST, 7]))[0] == p.ST_BAD_ARG
    assert _request(proto, dev.app, bytes([p.OP_SELFTEST]))[0] == p.ST_BAD_LENGTH
    sa.drive_selftest(dev.app, checks)
    text = b""
    while True:
        req = wire.pack(t.REQ_SELFTEST_REPORT, p.OP_SELFTEST, t.SELFTEST_REPORT, len(text))
        _s, payload = _request(proto, dev.app, req)
        state, total = wire.unpack(t.RESP_SELFTEST, payload)
        chunk = payload[wire.size(t.RESP_SELFTEST):]
        assert state == t.SELFTEST_DONE and len(chunk) <= 23 - 9
        text += chunk
        if len(text) >= total:
            break
    assert text.decode().split("\n") == dev.app.selftest.report()


def test_selftest_over_ble_with_the_real_stack(tmp_path: Path) -> None:
    """The host's BLE path: SELFTEST over a bumble link (ATT writes, notifications)."""
    from unknot.ble import open_device
    from unknot.ble.pair import pair
    from unknot.device.keys import KeyStore
    from unknot.sim.radio import SimRadio, SimWearer

    dev, _checks = _sim(tmp_path)
    lines: list[str] = []

    async def main() -> st.Report:
        radio = await SimRadio(dev.app, keys_dir=None).start()
        dev.app.checks = radio_checks = st.SimRadioChecks(radio)

        async def bench(_s: float) -> None:  # the device's loop runs while the host waits
            sa.drive_selftest(dev.app, radio_checks)

        try:
            keys = KeyStore(tmp_path / "keys")  # SELFTEST needs a paired host, like sync
            dev.app.keyring.open()  # the wearer opens the pairing window
            async with open_device(radio=radio, timeout=5.0, authenticate=False) as session:
                await pair(session, SimWearer.stepping(dev), keys)  # compares and presses
                return await st.selftest_over(session, lines.append, wait=bench)
        finally:
            await radio.stop()

    report = asyncio.run(main())
    assert [c.name for c in report.checks] == CHECKS and report.complete
    assert not report.failed, report.lines()
    assert lines[-1].startswith("SELFTEST end")


def _mp_run(args: list[str], mpy: Any | None) -> list[str]:
    if mpy is not None:
        # the App (96k for a trace) plus the self-test and the pattern table, and one 4 KiB
        # journal image write. This checks the logic under the VM, not the heap (the heap
        # guard is test_fw_heap.py): near its least heap (108-128k on the 64-bit unix port)
        # success flips with the build path's length, so it runs with room to spare
        return str(mpy(args, heap="160k")).splitlines()
    env = {"PYTHONPATH": ":".join(str(REPO / d) for d in ("tools/mp/shims", "firmware/lib",
                                                          "tools/mp", "host/unknot/sim")),
           "UNKNOT_MP_NVM": str(Path(__file__).parent / ".nvm-cpython.bin")}
    out = subprocess.run([sys.executable, str(REPO / "tools/mp/run_core.py"), *args],
                         capture_output=True, text=True, env=env, check=True).stdout
    (Path(__file__).parent / ".nvm-cpython.bin").unlink(missing_ok=True)
    return out.splitlines()


def test_self_test_logic_under_micropython(mpy: Any) -> None:
    """The same report under MicroPython and CPython, but the heap line: figures on the VM
    (gc.mem_free), SKIP on CPython."""
    heap = core.selftest.PREFIX + core.selftest.HEAP + " "
    for press in ("1", "0"):
        got = _mp_run(["selftest", press], mpy)
        cpython = _mp_run(["selftest", press], None)
        assert [ln for ln in got if not ln.startswith(heap)] == [
            ln for ln in cpython if not ln.startswith(heap)], press
        report = st.parse(got)
        assert report.complete and [c.name for c in report.checks] == CHECKS
        assert report.version == core.selftest.REPORT_VERSION
        assert report.heap["now"] > 10_000 and not report.heap_note
        assert st.parse(cpython).heap == {} and "no free-heap" in st.parse(cpython).heap_note
        status = {c.name: c.status for c in report.checks}
        if press == "1":
            assert status["button"] == status["sleep"] == "PASS"
        else:
            assert status["button"] == "FAIL"
        assert got[-1] == f"E 0 {len(core.patterns.CUES)}"


def test_report_version_and_heap_line_are_parsed() -> None:
    """The report's version line and heap line (docs/protocol.md "Self-test report"): the
    figures by mark, the live heap after boot, a newer version said, a SKIP's reason kept."""
    t = r = core.selftest
    lines = [f"{t.PREFIX}report 2", f"{t.PREFIX}motor PASS ok",
             f"{t.PREFIX}{r.HEAP} {r.INFO} start=143056 core=79552 app=34400 "
             "ble=31776 now=30912", f"{t.PREFIX}end 1 pass 0 fail 0 skip"]
    report = st.parse(lines)
    assert report.version == 2 and report.complete and [c.name for c in report.checks] == [
        "motor"]
    assert list(report.heap) == [*r.MARKS.split(), "now"] and report.heap["ble"] == 31776
    text = "\n".join(report.lines())
    assert "live after boot (start - ble): 108.7 KiB" in text and "(-63504)" in text
    assert "newer" not in text
    newer = st.parse([f"{t.PREFIX}report {r.REPORT_VERSION + 1}", *lines[1:]])
    assert "newer than this unknot reads" in "\n".join(newer.lines())
    skip = st.parse([f"{t.PREFIX}{r.HEAP} {t.SKIP} no free-heap figures on this device"])
    assert skip.heap == {} and skip.lines() == ["heap: no free-heap figures on this device"]
    bad = st.parse([f"{t.PREFIX}{r.HEAP} {r.INFO} start=12x"])
    assert bad.heap == {} and "unreadable" in bad.heap_note
