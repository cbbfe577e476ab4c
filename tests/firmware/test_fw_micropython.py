"""The firmware core under the real MicroPython VM (unix port, capped heap): same cue trace
as CPython for every library routine, journal of 1000 records, decoder fuzz batch."""

from __future__ import annotations

from pathlib import Path


def _parse(out: str) -> dict[str, list[tuple[int, str]]]:
    traces: dict[str, list[tuple[int, str]]] = {}
    cur: list[tuple[int, str]] = []
    for line in out.splitlines():
        head, _, rest = line.partition(" ")
        if head == "R":
            cur = traces.setdefault(rest, [])
        elif head == "X":
            raise AssertionError(f"rejected under MicroPython: {rest}")
        elif head == "E":
            assert rest == "0", "errors in the MicroPython run"
        else:
            cur.append((int(head), rest))
    return traces


def _cpython(fw, library_dir: Path) -> dict[str, list[tuple[int, str]]]:
    return {p.name: fw.player.trace(fw.routine.decode(p.read_bytes()))
            for p in sorted(library_dir.glob("*.unk"))}


# decoder + player + the vocabulary (the player spaces cues by their length: issue 18) and
# the wire codec (issue 21): 36k measured, 38k for the edge that moves with the build path;
# success is not monotonic in the heap size (with the private constants, names: 37k and 39k
# passed where 38k failed at the test's build path), hence 40k
PTRACE_HEAP = "40k"


def test_player_trace_capped_heap(fw, mpy, library_dir):
    got = _parse(mpy(["ptrace", str(library_dir)], heap=PTRACE_HEAP))
    assert got == _cpython(fw, library_dir) and len(got) >= 1


def _felt(fw, library_dir: Path) -> dict[str, list[tuple[int, str]]]:
    """What the App plays into the motor: each event's cue (patterns.felt)."""
    return {p.name: [(t, fw.patterns.felt(e, arg)[0]) for t, e, arg, _i in
                     fw.player.expand(fw.routine.decode(p.read_bytes()))]
            for p in sorted(library_dir.glob("*.unk"))}


def test_app_trace_under_micropython(fw, mpy, library_dir):
    # the whole App (gestures, reminders, journal, player) as on the board; 64-bit unix
    # port objects are about twice their size on the nRF52840, hence the larger heap
    # (tools/bench_firmware.py measures the minimum: fw_unix64_min_heap_kb)
    # +sets, settings ranges; +the vocabulary (the App plays events through it, issue 18);
    # protocol v3 keyring (issue 17); +the RAM hold (issue 19); +the firmware's SHA-256
    # (issue 16); near the least heap success flips with the build path:
    # this checks the logic (the heap guard is the board model, test_fw_heap.py)
    got = _parse(mpy(["trace", str(library_dir)], heap="144k"))
    assert got == _felt(fw, library_dir)


def test_hand_built_samples_under_micropython(fw, mpy, unkbuild, tmp_path):
    for name, steps in unkbuild.SAMPLES.items():
        (tmp_path / f"{name}.unk").write_bytes(unkbuild.build(steps, slug=name))
    assert _parse(mpy(["ptrace", str(tmp_path)], heap=PTRACE_HEAP)) == _cpython(fw, tmp_path)


def test_vectors_v1_v2_v3_under_micropython(fw, mpy):
    # the shared vectors (v1, v2 and v3, tests/vectors) decode and play the same under the VM
    vectors = Path(__file__).resolve().parents[1] / "vectors"
    valid = vectors / "routines"
    assert _parse(mpy(["ptrace", str(valid)], heap=PTRACE_HEAP)) == _cpython(fw, valid)
    versions = {p.read_bytes()[4] for p in valid.glob("*.unk")}
    assert versions == {1, 2, 3}
    import json

    want = json.loads((vectors / "invalid" / "reasons.json").read_text())
    got = {name: reason for name, reason in
           (line.split(" ", 1) for line in mpy(["reasons", str(vectors / "invalid")],
                                               heap=PTRACE_HEAP)
            .splitlines())}
    assert got == want


# 34k: the wire-format codec (wire.py, issue 21) added 2 KiB on this 64-bit port (30 -> 32k
# the least that passes, and the edge moves with the build path); the RAM hold and its boot
# loading (issue 19) about 2 more: 36k; the recovery as a module loaded at boot and dropped
# (recover.py, issue 16: its .mpy is read while the image buffer is held) failed at 36k in a
# full suite run: 38k. The image made per write, not held (journal.py _write, issue 16: -4 KiB
# live on the board model) needs a 3.6 KiB block late in a heap that 1000 appends without a
# RAM hold (one write each) have churned: 40k passes, 42k for the edge. The board model
# (tools/board/model.py) is the heap guard, these check the VM runs the code.
def test_journal_1000_records_42k(fw, mpy):
    from unknot.sim.simnvm import new_nvm

    out = mpy(["journal", "1000"], heap="42k").split()
    capacity = fw.journal.Journal(new_nvm()).capacity
    assert out == ["J", "1001", str(1001 - capacity), str(1000 - capacity)]


def test_journal_power_cut_under_micropython(mpy):
    # 11 cut points in one append of 200 records (the full journal): nothing committed lost
    assert mpy(["journalcut", "200"], heap="96k").split()[-2:] == ["C", "11"]


def test_fuzz_batch_under_micropython(mpy, library_dir):
    out = mpy(["fuzz", str(library_dir), "1500", "99"], heap=PTRACE_HEAP).split()  # as ptrace
    assert out[0] == "F" and out[3] == "0", out  # no exception escaped
    assert int(out[1]) + int(out[2]) == 1500


def test_mods_drop_gives_the_code_back_under_micropython(mpy):
    """unknot.mods on the MicroPython VM: a dropped module leaves sys.modules and its
    package, and most of its heap comes back (its interned names stay: qstrs are never
    freed)."""
    out = mpy(["mods", "selftest"], heap="96k").split()
    assert out[0] == "M", out
    loaded, dropped = int(out[1]), int(out[2])
    assert loaded > 3000, out  # the self-test's code is KiBs
    assert dropped < loaded // 2, out
    assert out[3:] == ["0", "0"], out


def test_finished_selftest_drops_its_code_under_micropython(mpy):
    """The App keeps a finished self-test's report, not its module (app.py _work)."""
    out = mpy(["stdrop"], heap="160k").split()
    assert out[:3] == ["D", "1", "0"], out
    assert int(out[3]) > 3, out  # the report's lines are still there


def test_board_checks_live_only_while_a_selftest_runs_under_micropython(mpy):
    """On the board `app.checks` names hw/checks.py: the self-test loads it when it starts
    and the App drops it with the self-test (not resident after boot)."""
    out = mpy(["stdrop", "board"], heap="160k").split()
    assert out[:3] == ["D", "1", "0"], out
    assert out[4:] == ["1", "0"], out
