"""Protocol v2 vectors (tests/vectors/protocol/v2.json, made by tools/make_protocol_vectors.py)
checked against the firmware handler (CPython and the real MicroPython VM) and against the
host client (unknot.ble.auth), with the proofs recomputed by Python's own hmac."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import struct
import subprocess
from pathlib import Path

from unknot import core
from unknot.ble.auth import HostAuth
from unknot.core import wire

REPO = Path(__file__).resolve().parents[2]
PATH = os.pathsep.join([str(REPO / "firmware" / "lib"), str(REPO / "host" / "unknot" / "sim")])
VEC = REPO / "tests" / "vectors" / "protocol" / "v2.json"

SCRIPT = r"""
import json, struct
from unknot import auth, proto
from unknot.journal import Journal
from simadapters import VirtualClock, new_nvm
vec = json.load(open(VEC))
auth.nonce = lambda: bytes.fromhex(vec["device_nonce"])
class A:
    def __init__(s):
        s.journal = Journal(new_nvm(1456, page=728))  # two 728-byte slots
        s.journal.epoch = vec["epoch"]
        s.clock = VirtualClock(42000); s.clock.set_unix(1700000000)
        s.device_id = bytes(range(8)); s.boot = 3; s.storage = None
        s.routines = [1, 2]; s.battery = None; s.announced = []
        s.keyring = auth.Keyring(s.clock)
        s.keyring.keep(bytes.fromhex(vec["host_id"]), bytes.fromhex(vec["key"]))
    def apply_settings(s, v): return v
    def reload_routines(s): pass
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


def _mac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def test_vectors_host_client() -> None:
    """The host client makes the same requests and accepts the same answers; the proofs and
    tags are what Python's hmac computes from docs/protocol.md's recipe."""
    vec = json.loads(VEC.read_text())
    p = core.proto
    key, nh, nd = (bytes.fromhex(vec[k]) for k in ("key", "host_nonce", "device_nonce"))
    reqs = [bytes.fromhex(c["request"]) for c in vec["requests"]]
    frames = [[bytes.fromhex(f) for f in c["frames"]] for c in vec["requests"]]
    a = HostAuth(bytes.fromhex(vec["host_id"]), key, host_nonce=nh)
    assert a.begin() == reqs[0]
    status = a.check_begin(frames[0][0][3:])
    assert status.epoch == vec["epoch"] and (status.head, status.tail) == (4, 1)
    assert _mac(key, b"unknot2 device" + nh + nd + frames[0][0][19:46]) == frames[0][0][46:]
    assert a.prove() == reqs[1] == bytes([p.OP_AUTH]) + _mac(key, b"unknot2 host" + nh + nd)
    a.accepted()
    session = _mac(key, b"unknot2 session" + nh + nd)
    assert a.session == session
    for n, i in enumerate(range(2, 6)):
        body = reqs[i][: -8]
        assert a.wrap(body) == (n, reqs[i])
        assert reqs[i][-8:] == _mac(session, b"H" + struct.pack("<I", n) + body)[:8]
        last = frames[i][-1]
        assert a.unwrap(n, last) == last[:-8]
        assert last[-8:] == _mac(session, b"D" + struct.pack("<I", n) + last[:-8])[:8]
        assert a.unwrap(n + 1, last) is None  # bound to its request
    end = wire.unpack(p.END, frames[4][-1][:-8])
    assert end[1:5] == (0, 1, 3, 4) and end[6] == vec["epoch"]  # READ 1..: 3 records, epoch
    past = wire.unpack(p.END, frames[5][-1][:-8])
    assert past[1:5] == (0, 4, 0, 4)  # past the head: nothing, next_seq = head
    assert frames[6] == [bytes([p.F_RESP, reqs[6][0], p.ST_AUTH_FAILED])]  # replayed
    assert frames[7] == [bytes([p.F_RESP, reqs[7][0], p.ST_AUTH_REQUIRED])]


def test_firmware_hmac_matches_python_hmac() -> None:
    rng = random.Random(3)
    for _ in range(200):
        key = rng.randbytes(rng.choice([0, 1, 16, 32, 63, 64, 65, 100]))
        msg = rng.randbytes(rng.randrange(0, 300))
        assert core.auth.hmac_sha256(key, msg) == _mac(key, msg)


MP_HMAC = r"""
from unknot import auth
import json
for key, msg, want in json.load(open(CASES)):
    if auth.hmac_sha256(bytes.fromhex(key), bytes.fromhex(msg)).hex() != want:
        print("MISMATCH"); break
else:
    from unknot import sha256
    print("OK", "native" if sha256._native else "pure")
"""


def test_firmware_hmac_under_micropython_native_and_pure(tmp_path: Path) -> None:
    """The same HMAC under MicroPython, with its hashlib and with the firmware's own SHA-256
    (unknot.sha256), which boards without hashlib use."""

    rng = random.Random(5)
    cases = []
    for _ in range(20):
        key, msg = rng.randbytes(rng.choice([16, 32, 70])), rng.randbytes(rng.randrange(0, 200))
        cases.append((key.hex(), msg.hex(), _mac(key, msg).hex()))
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    (tmp_path / "nohash").mkdir()  # as on the nRF port: no hashlib module
    (tmp_path / "nohash" / "hashlib.py").write_text("raise ImportError('no hashlib')\n")
    path = ":".join([str(REPO / "firmware" / "lib"), ".frozen"])
    kinds = []
    for pure in (False, True):
        script = tmp_path / f"h{int(pure)}.py"
        script.write_text(f"CASES = {str(tmp_path / 'cases.json')!r}\n" + MP_HMAC)
        full = (str(tmp_path / "nohash") + ":" + path) if pure else path
        out = _run(["micropython", "-X", "heapsize=512k", str(script)],
                   dict(os.environ, MICROPYPATH=full))
        assert out.startswith("OK"), out
        kinds.append(out)
    assert [k.split()[1] for k in kinds] == ["native", "pure"]
