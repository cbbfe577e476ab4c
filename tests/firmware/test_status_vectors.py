"""STATUS frames (docs/protocol.md "Status"): the firmware App + protocol handler produce the
frames pinned in tests/vectors/protocol/status.json, and the host decodes each to the fields
written next to it. Scenario: a fresh simulated device on the virtual clock (the built-in
routine), a host asks FOLLOW at t = 1 s, the routine starts just after 1 s, is paused at 15 s and
resumed at 16 s, passes its side switch, and ends; then a break nudge.

Regenerate after a deliberate change: UNKNOT_REGEN_VECTORS=1 pytest this file."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from authed import Authed
from unknot import core
from unknot.core import wire
from unknot.follow import decode
from unknot.sim.device import SimDevice

VEC = Path(__file__).resolve().parents[1] / "vectors" / "protocol" / "status.json"


def _drain(p: Any) -> list[bytes]:
    out = []
    while (f := p.next_frame()) is not None:
        out.append(bytes(f))
    return out


def scenario(tmp: Path) -> list[bytes]:
    dev = SimDevice(tmp / "dev")
    app = dev.app
    raw = core.proto.Protocol(app)
    app.protocol = raw  # the loop polls it; no sender: frames stay for next_frame()
    frames: list[bytes] = []
    dev.run_until(1000)
    raw.control(bytes([core.proto.OP_FOLLOW, 1]))  # STATUS is private: not before AUTH
    assert _drain(raw) == [bytes([core.proto.F_RESP, core.proto.OP_FOLLOW,
                                  core.proto.ST_AUTH_REQUIRED])] and not app.following
    p = Authed(raw)  # answers and STATUS frames opened (tags checked, decrypted)
    p.control(bytes([core.proto.OP_FOLLOW, 1]))
    frames += _drain(p)
    app.post(("start", 0))
    dev.run_until(2000)
    frames += _drain(p)
    for t, gesture in ((15000, "press"), (16000, "press"), (None, None)):
        while app.player is not None and (t is None or dev.clock.now_ms() < t):
            dev.advance(100)
            frames += _drain(p)
        if gesture is not None:
            app.post(("gesture", gesture))
            dev.advance(1)
            frames += _drain(p)
    frames += _drain(p)
    app.post(("remind",))
    dev.advance(1)
    frames += _drain(p)
    raw.reset()  # the link dropped: following ends with the authentication
    assert not app.following and not raw.authenticated
    app.post(("start", 0))
    dev.advance(1000)
    assert _drain(raw) == []
    return frames


def test_status_frames_match_the_vector(tmp_path: Path) -> None:
    frames = scenario(tmp_path)
    statuses = [f for f in frames if f[0] == core.status.F_STATUS]
    got = [{"hex": f.hex(), "decoded": dataclasses.asdict(decode(f))} for f in statuses]
    if os.environ.get("UNKNOT_REGEN_VECTORS"):
        VEC.write_text(json.dumps({"frames": got}, indent=1) + "\n")
    assert frames[0].hex() == "030a00"  # RESP FOLLOW OK, then the state (HELLO)
    assert got == json.loads(VEC.read_text())["frames"]
    events = [g["decoded"]["event"] for g in got]
    assert events[:3] == ["hello", "start", "step"]
    assert {"paused", "resumed", "side", "done", "nudge"} <= set(events)


MP_SCRIPT = r"""
import simadapters
from unknot import proto
from unknot.app import App
app = simadapters.make_app(App)
from unknot import auth, seal, wire
p = proto.Protocol(app)
app.protocol = p
app.step()
hid, key, nh = b"h" * 8, b"k" * 16, b"n" * 16
app.keyring.keep(hid, key)
p.control(wire.pack(REQ_AUTH_BEGIN, OP_AUTH_BEGIN, nh, seal.blind(key, nh)))
nd = bytes(p.next_frame())[3:19]
p.control(wire.pack(REQ_AUTH, OP_AUTH, seal.host_proof(key, nh, nd)))
p.next_frame()
s = seal.Session(key, nh, nd)
p.control(s.seal(auth.REQUEST_LABEL, 0, 0, bytes([OP_FOLLOW, 1]), 1))
out = []
app.post(("start", 0))
for i in range(40):
    f = p.next_frame()
    while f is not None:
        out.append(bytes(f))
        f = p.next_frame()
    app.clock.t += 100
    app.step()
opened = [s.open(auth.STATUS_LABEL, 0, i, o, 1) for i, o in enumerate(x for x in out if x[0] == 4)]
print("EVENTS", " ".join(str(o[1]) for o in opened))
"""


def test_status_frames_under_micropython(tmp_path: Path) -> None:
    """The App's announce and proto's packing (both import status.py on first use) in the
    real MicroPython VM: HELLO, START, then STEP frames."""
    import subprocess

    repo = VEC.parents[3]
    script = tmp_path / "s.py"
    # opcodes and formats private in proto.py (no name on MicroPython): the host's values
    p = core.proto
    names = ("OP_AUTH_BEGIN", "OP_AUTH", "OP_FOLLOW", "REQ_AUTH_BEGIN", "REQ_AUTH")
    script.write_text("".join(f"{n} = {getattr(p, n)!r}\n" for n in names) + MP_SCRIPT)
    path = os.pathsep.join([str(repo / "firmware" / "lib"), str(repo / "host" / "unknot" / "sim"),
                            ".frozen"])
    out = subprocess.run(["micropython", "-X", "heapsize=256k", str(script)], capture_output=True,
                         text=True, env=dict(os.environ, MICROPYPATH=path), timeout=60)
    s = core.status
    want = [s.EVENTS.index(e) for e in ("hello", "start", "step")]
    assert f"EVENTS {' '.join(map(str, want))}" in out.stdout, out.stdout + out.stderr


def test_status_frame_layout_is_twelve_bytes() -> None:
    s = core.status

    frame = wire.pack(s.STATUS, s.F_STATUS, s.EVENTS.index("step"), 3,
                        s.FL_SIDE2 | s.FL_PAUSED, 0xBEEF, 123456, s.NO_BREAK)
    assert len(frame) == s.STATUS_SIZE == 12
    assert frame.hex() == "04020303efbe40e20100ffff"
    st = decode(frame)
    assert (st.event, st.step, st.side2, st.paused, st.nudge, st.routine_id, st.pos_ms,
            st.next_break_s) == ("step", 3, True, True, False, 0xBEEF, 123456, None)
