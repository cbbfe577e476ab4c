"""A history you can trust (issue 13 item 4): simulated devices kept apart, `devices
forget`, one device-id form with unique prefixes, rebuilt times that follow the device's
clock rate and do not depend on READ batch boundaries, overflow and corrupt slots apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from unknot.cli import cli
from unknot.core import journal as record
from unknot.history import DeviceSeen, HistoryError, HistoryStore
from unknot.history.records import device_id_hex, short_ids
from unknot.journal import SessionRecord

NOW = 1767225600 + 30 * 86400
REAL = "a1b2c3d4e5f60708"
SIM = "b026085d210d0000"
UNSET = record.COMPLETED | record.CLOCK_UNSET


def unset(seq: int, uptime: int, boot: int) -> SessionRecord:
    return SessionRecord(seq, uptime, 7, 3, 3, 60, UNSET, boot)


def put(store: HistoryStore, dev: str, recs: list[SessionRecord], *, uptime: int, boot: int,
        rate: float = 1.0, sim: bool = False, tail: int | None = None,
        resume: int | None = None, now: float = NOW) -> tuple[int, int, int, int]:
    seen = DeviceSeen(dev, "dev", "0.1.0", unix=None, uptime_s=uptime, boot=boot,
                      tail_seq=recs[0].seq if tail is None and recs else (tail or 1),
                      resume_seq=resume, simulated=sim, clock_rate=rate)
    r = store.ingest(seen, recs, now)
    return r.new, r.known, r.lost, r.corrupt


def starts(store: HistoryStore, dev: str) -> dict[int, int]:
    return {s.seq: int(s.start.timestamp()) for s in store.sessions(device_id=dev)}


# ------------------------------------------------------------------ clock rate, batches


def test_rebuilt_times_follow_the_clock_rate(tmp_path: Path) -> None:
    # a simulated device at x10: 10000 device seconds since boot = 1000 host seconds
    with HistoryStore.open(tmp_path / "h.sqlite3") as st:
        put(st, SIM, [unset(1, 2000, 3), unset(2, 9000, 3)], uptime=10000, boot=3, rate=10)
        got = starts(st, SIM)
    assert got == {1: NOW - 800, 2: NOW - 100}


def _journal() -> list[SessionRecord]:
    # boot 1 (an earlier boot, never synced while it ran): 9 sessions; boot 2 (current): 6
    old = [unset(s, 3600 * s, 1) for s in range(1, 10)]
    cur = [unset(s, 600 * (s - 9), 2) for s in range(10, 16)]
    return old + cur


@pytest.mark.parametrize("batch", [1, 2, 4, 7, 15])
def test_one_offset_per_boot_whatever_the_batches(tmp_path: Path, batch: int) -> None:
    recs = _journal()
    with HistoryStore.open(tmp_path / "h.sqlite3") as st:
        for i in range(0, len(recs), batch):
            put(st, REAL, recs[i:i + batch], uptime=6000, boot=2)
        got = starts(st, REAL)
    raw = {r.seq: r.start for r in recs}
    offsets = {b: {got[s] - raw[s] for s in got if recs[s - 1].boot == b} for b in (1, 2)}
    assert len(offsets[1]) == 1 and len(offsets[2]) == 1  # one offset per boot
    assert offsets[2] == {NOW - 6000}  # the current boot: from INFO, the same every batch
    order = [got[s] for s in sorted(got)]
    assert order == sorted(order)  # later sessions never sort before earlier ones
    # every later sync reuses the stored boot starts: nothing moves
    with HistoryStore.open(tmp_path / "h.sqlite3") as st:
        put(st, REAL, recs, uptime=6000 + 500, boot=2, now=NOW + 500)
        assert starts(st, REAL) == got


def test_current_boot_same_for_every_batching(tmp_path: Path) -> None:
    recs = [unset(s, 100 * s, 4) for s in range(1, 31)]
    results = []
    for batch in (1, 5, 30):
        with HistoryStore.open(tmp_path / f"h{batch}.sqlite3") as st:
            for i in range(0, 30, batch):
                put(st, REAL, recs[i:i + batch], uptime=4000, boot=4, rate=2.5)
            results.append(starts(st, REAL))
    assert results[0] == results[1] == results[2]
    assert results[0][30] == NOW - int((4000 - 3000) / 2.5)


# ------------------------------------------------------------------ overflow vs corrupt


def test_overflow_and_corrupt_counted_apart(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite3") as st:
        put(st, REAL, [unset(1, 10, 1)], uptime=100, boot=1)
        # device overwrote 2..4 (tail is 5); slots 8 and 9 failed their CRC (resume at 10)
        res = put(st, REAL, [unset(s, 10 * s, 1) for s in (5, 6, 7)], uptime=100, boot=1,
                  tail=5, resume=10)
        assert res == (3, 0, 3, 2)
        assert st.cursor(REAL).next_seq == 10
        res = put(st, REAL, [unset(s, 10 * s, 1) for s in (10, 11)], uptime=200, boot=1,
                  tail=10, resume=12)
        assert res == (2, 0, 0, 0)
        log = st.sync_log(REAL)
    assert [(x["lost"], x["corrupt"]) for x in log] == [(0, 0), (3, 2), (0, 0)]


# ------------------------------------------------------------------ simulated devices


def run(home: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["--home", str(home), *args], input=input)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def mixed(home: Path) -> Path:
    with HistoryStore.open() as st:
        put(st, REAL, [unset(1, 10, 1), unset(2, 20, 1)], uptime=100, boot=1)
        put(st, SIM, [unset(1, 30, 1), unset(2, 40, 1), unset(3, 50, 1)], uptime=100, boot=1,
            sim=True)
    return home


def test_simulated_sessions_kept_out_unless_asked(mixed: Path) -> None:
    def seqs(*args: str) -> list[str]:
        code, out, _ = run(mixed, *args)
        assert code == 0
        return sorted(f"{r['device_id'][:4]}{r['seq']}" for r in json.loads(out))

    assert seqs("history", "--json") == ["a1b21", "a1b22"]
    assert seqs("export", "--format", "json") == ["a1b21", "a1b22"]
    assert len(seqs("history", "--json", "--include-sim")) == 5
    assert len(seqs("export", "--format", "json", "--include-sim")) == 5
    assert seqs("history", "--json", "--device", "b02") == ["b0261", "b0262", "b0263"]
    _, out, _ = run(mixed, "stats", "--json")
    assert json.loads(out)["sessions"] == 2
    _, out, _ = run(mixed, "stats", "--json", "--include-sim")
    assert json.loads(out)["sessions"] == 5
    _code, out, _ = run(mixed, "devices")
    assert "b026085d (sim)" in out and "a1b2c3d4 " in out


def test_devices_forget_confirms(mixed: Path) -> None:
    code, _, _ = run(mixed, "devices", "forget", "b026", input="n\n")
    assert code == 1
    assert len(json.loads(run(mixed, "devices", "--json")[1])) == 2
    code, out, _ = run(mixed, "devices", "forget", "b026", input="y\n")
    assert code == 0 and "3 sessions removed" in out
    code, out, _ = run(mixed, "devices", "forget", REAL, "--yes")
    assert code == 0 and "2 sessions removed" in out
    assert json.loads(run(mixed, "devices", "--json")[1]) == []
    assert json.loads(run(mixed, "history", "--json", "--include-sim")[1]) == []
    code, _, err = run(mixed, "devices", "forget", "a1b2", "--yes")
    assert code == 1 and err.startswith("Error: no known device with id 'a1b2'")


# ------------------------------------------------------------------ one id form


def test_short_ids_and_ambiguous_prefix(home: Path) -> None:
    a, b = "a1b2c3d4e5f60708", "a1b2c3d4ffff0000"
    assert short_ids([a, b]) == {a: "a1b2c3d4e", b: "a1b2c3d4f"}
    assert short_ids([a]) == {a: "a1b2c3d4"}
    assert device_id_hex(bytes.fromhex("b026085d210d")) == "b026085d210d0000"
    with HistoryStore.open() as st:
        put(st, a, [unset(1, 10, 1)], uptime=100, boot=1)
        put(st, b, [unset(1, 10, 1)], uptime=100, boot=1)
        with pytest.raises(HistoryError, match="ambiguous: it matches a1b2c3d4e, a1b2c3d4f"):
            st.sessions(device_id="a1b2")
        assert len(st.sessions(device_id="A1:B2:C3:D4:F")) == 1
    code, _, err = run(home, "history", "--device", "a1b2c3")
    assert code == 1 and err.strip().count("\n") == 0 and "ambiguous" in err
    code, out, _ = run(home, "history")
    assert "a1b2c3d4e " in out and "a1b2c3d4f " in out


@pytest.mark.slow
def test_sync_sim_marks_the_device_simulated(home: Path, consent_sim: Any) -> None:
    consent_sim(home)
    env_home = str(home)
    r = subprocess.run([sys.executable, "-m", "unknot", "--home", env_home, "sync", "--sim"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("Unknot-SIM (")
    assert "0 corrupt slots skipped" in r.stdout
    (dev,) = json.loads(run(home, "devices", "--json")[1])
    assert dev["simulated"] is True and len(dev["device_id"]) == 16


def test_a_guessed_start_is_marked_as_such(tmp_path: Path) -> None:
    """Issue 20 (the demo after `devices forget`): a record of a boot no sync saw running
    can only be placed to end before the next boot began, the latest it can have been; it
    is marked `?` (start_guessed), not `~` like a start rebuilt from a running boot."""
    home = tmp_path / "home"
    with HistoryStore.open(home / "history.sqlite3") as store:
        # boot 1's session, then a reboot: the sync sees boot 2 running (uptime 500 s)
        put(store, REAL, [unset(1, 100, 1), unset(2, 200, 2)], uptime=500, boot=2)
        first, second = store.sessions()
    assert first.start_approx and first.start_guessed
    assert second.start_approx and not second.start_guessed
    assert abs(second.start.timestamp() - (NOW - 500 + 200)) < 1  # rebuilt from boot 2
    assert first.start.timestamp() + 60 <= NOW - 500  # ended before boot 2 began
    res = CliRunner().invoke(cli, ["--home", str(home), "history", "--json"])
    assert [s["start_guessed"] for s in json.loads(res.output)] == [True, False]
    res = CliRunner().invoke(cli, ["--home", str(home), "history"])
    rows = [line for line in res.output.splitlines() if line.startswith("│")]
    assert rows[0].split("│")[1].strip().startswith("?")
    assert rows[1].split("│")[1].strip().startswith("~")
    assert "? guessed" in " ".join(res.output.split())



def test_a_guessed_start_runs_at_the_device_clock_rate(tmp_path: Path) -> None:
    """The guess "ends before the next boot began" counts the session's active seconds at
    the device clock's rate too (a demo at x60: 60 device seconds are 1 s; it subtracted
    60 s, and the demo's re-synced session came out earlier than it really was)."""
    with HistoryStore.open(tmp_path / "h.sqlite3") as store:
        put(store, SIM, [unset(1, 600, 1), unset(2, 1200, 2)], uptime=6000, boot=2, rate=60.0,
            sim=True)
        first, second = store.sessions(include_sim=True)
    boot2 = NOW - 6000 / 60
    assert first.start_guessed and not second.start_guessed
    assert abs(second.start.timestamp() - (boot2 + 1200 / 60)) < 1
    # boot 1's session ended (600 + 60 device s after its boot) just before boot 2 began
    assert abs(first.start.timestamp() + 60 / 60 - boot2) < 1.01
