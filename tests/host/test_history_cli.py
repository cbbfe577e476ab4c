from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from unknot.cli import COMMANDS, cli
from unknot.core import journal as record
from unknot.history import DeviceSeen, HistoryStore
from unknot.journal import SessionRecord

DEV = "c0ffee0012345678"


@pytest.fixture
def filled(home: Path) -> Path:
    now = time.time()
    day = 86400
    recs = [
        SessionRecord(1, int(now - 3 * day), 7, 4, 4, 240, record.COMPLETED, 1),
        SessionRecord(2, int(now - 2 * day), 7, 1, 4, 30, record.ABORTED, 1),
        SessionRecord(3, int(now - 1 * day), 9, 5, 5, 300, record.COMPLETED, 1),
        SessionRecord(4, 100, 9, 5, 5, 300, record.COMPLETED | record.CLOCK_UNSET, 2),
    ]
    with HistoryStore.open() as s:
        s.ingest(DeviceSeen(DEV, "Unknot-A", "0.1.0", unix=None, uptime_s=1000, boot=2,
                            tail_seq=1), recs, now)
    return home


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_commands_registered_with_help() -> None:
    for name in ("history", "stats", "export", "devices"):
        assert COMMANDS[name][1]
        code, out, _ = run(name, "--help")
        assert code == 0 and "Usage" in out


def test_history_json(filled: Path) -> None:
    code, out, _ = run("history", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["start"].endswith("Z") and rows[0]["completed"] and not rows[0]["start_approx"]
    assert rows[1]["aborted"] and not rows[1]["completed"]
    assert rows[3]["start_approx"] and rows[3]["start"] >= "2020"


def test_history_table_and_filters(filled: Path) -> None:
    code, out, _ = run("history")
    assert code == 0 and "4 sessions" in out and "~" in out and "aborted" in out
    code, out, _ = run("history", "--since", "36h", "--json")
    assert [r["seq"] for r in json.loads(out)] == [3, 4]
    code, out, err = run("history", "--since", "2d", "--device", "ffff", "--json")
    assert code == 1 and err.startswith("Error: no known device with id 'ffff'")
    code, out, _ = run("history", "--since", "36h", "--device", DEV[:5], "--json")
    assert [r["seq"] for r in json.loads(out)] == [3, 4]
    code, out, _ = run("history", "--since", "1999-01-01", "--json")
    assert len(json.loads(out)) == 4


@pytest.mark.parametrize("bad", ["yesterday", "7x", "2026-13-01"])
def test_bad_since_is_one_error_line(filled: Path, bad: str) -> None:
    code, _, err = run("history", "--since", bad)
    assert code == 1
    assert err.strip().count("\n") == 0 and err.startswith("Error: bad --since value")


def test_stats_output_and_json(filled: Path) -> None:
    code, out, _ = run("stats", "--days", "7")
    assert code == 0
    assert "4 sessions" in out and "3 completed (75%)" in out and "Streak:" in out and "█" in out
    code, out, _ = run("stats", "--json")
    st = json.loads(out)
    assert st["sessions"] == 4 and st["completed"] == 3 and st["active_minutes"] == 14.5


def test_stats_png(filled: Path, tmp_path: Path) -> None:
    png = tmp_path / "chart.png"
    code, _, err = run("stats", "--png", str(png))
    assert code == 0, err
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    assert not list(tmp_path.glob(".chart.png.*"))  # temp file renamed away


def test_export_csv_json_and_file(filled: Path, tmp_path: Path) -> None:
    code, out, _ = run("export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["seq"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[1]["aborted"] == "True" and rows[3]["start_approx"] == "True"
    code, out, _ = run("export", "--format", "json")
    assert len(json.loads(out)) == 4
    target = tmp_path / "out.json"
    target.write_text("old")
    code, _, err = run("export", "--format", "json", "-o", str(target))
    assert code == 0 and "Wrote 4 sessions" in err
    assert len(json.loads(target.read_text())) == 4
    code, _, err = run("export", "--format", "csv", "-o", str(tmp_path / "nope" / "x.csv"))
    assert code == 1 and err.startswith("Error: cannot write")


def test_devices(filled: Path) -> None:
    code, out, _ = run("devices")
    assert code == 0 and DEV[:8] in out and DEV not in out and "Unknot-A" in out
    code, out, _ = run("devices", "--json")
    (d,) = json.loads(out)
    assert d["sessions"] == 4 and d["next_seq"] == 5 and d["last_sync"].endswith("Z")


def test_empty_database(home: Path) -> None:
    assert run("history", "--json")[1].strip() == "[]"
    code, out, _ = run("stats")
    assert code == 0 and "0 sessions" in out
    assert run("devices")[0] == 0
