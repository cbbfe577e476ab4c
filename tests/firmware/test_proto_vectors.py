"""Protocol vectors (tests/vectors/protocol/v1.json) replayed against the firmware handler,
in CPython and in the real MicroPython VM."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PATH = os.pathsep.join([str(REPO / "firmware" / "lib"), str(REPO / "host" / "unknot" / "sim")])
VEC = REPO / "tests" / "vectors" / "protocol" / "v1.json"

SCRIPT = r"""
import json, struct
from unknot import proto
from unknot.journal import Journal
from simadapters import VirtualClock, new_nvm
class A:
    def __init__(s):
        s.journal = Journal(new_nvm(1456, page=728))  # two 728-byte slots: capacity 29
        s.clock = VirtualClock(42000); s.clock.set_unix(1700000000)
        s.device_id = bytes(range(8)); s.boot = 3; s.storage = None
        s.routines = [1, 2]; s.announced = []
    def apply_settings(s, v): return v
    def reload_routines(s): pass
vec = json.load(open(VEC))
a = A()
for i in range(3): a.journal.append(1700000000 + i * 600, 2, 4, 4, 120, 1, 3)
p = proto.Protocol(a); p.set_mtu(vec["mtu"])
ok = p.info().hex() == vec["info"]
for case in vec["requests"]:
    p.control(bytes.fromhex(case["request"]))
    got = []
    while True:
        f = p.next_frame()
        if f is None: break
        got.append(bytes(f).hex())
    ok = ok and got == case["frames"]
print("OK" if ok else "MISMATCH")
"""


def _run(cmd: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    return out.stdout + out.stderr


def test_vectors_cpython(tmp_path: Path) -> None:
    # firmware package under its device name, in a fresh interpreter
    script = tmp_path / "v.py"
    script.write_text(f"VEC = {str(VEC)!r}\n" + SCRIPT)
    env = dict(os.environ, PYTHONPATH=PATH)
    assert "OK" in _run(["python3", str(script)], env)


def test_vectors_micropython(tmp_path: Path) -> None:
    script = tmp_path / "v.py"
    script.write_text(f"VEC = {str(VEC)!r}\n" + SCRIPT)
    env = dict(os.environ, MICROPYPATH=PATH + ":.frozen")
    assert "OK" in _run(["micropython", "-X", "heapsize=256k", str(script)], env)
