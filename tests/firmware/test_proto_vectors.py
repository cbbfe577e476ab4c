"""Protocol v3 vectors (tests/vectors/protocol/v3.json, made by tools/make_protocol_vectors.py)
checked against the firmware handler (CPython and the real MicroPython VM, with the `aesio`
stand-in), against the host client (unknot.ble.auth), and recomputed from docs/protocol.md's
recipes with independent code: `cryptography` (X25519, AES-CMAC, AES-CTR) and `hashlib`."""

from __future__ import annotations

import hashlib
import json
import os
import random
import struct
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from unknot import core
from unknot.ble.auth import HostAuth, HostPairing
from unknot.core import wire

REPO = Path(__file__).resolve().parents[2]
PATH = os.pathsep.join([str(REPO / "firmware" / "lib"), str(REPO / "host" / "unknot" / "sim")])
VEC = REPO / "tests" / "vectors" / "protocol" / "v3.json"

SCRIPT = r"""
import json, struct
from unknot import auth, keyring, pairing, proto
from unknot.keyring import Keyring
from unknot.journal import Journal
from simadapters import VirtualClock, new_nvm
vec = json.load(open(VEC))
def counter():
    n = 0
    while True:
        yield n
        n += 1
keyring.random = eval(vec["drbg"], {"_c": counter()})
class A:
    def __init__(s):
        s.journal = Journal(new_nvm(1456, page=728), page=728)  # two 728-byte slots
        s.journal.epoch = vec["epoch"]
        s.clock = VirtualClock(42000); s.clock.set_unix(1700000000)
        s.device_id = bytes(range(8)); s.boot = 3; s.storage = None; s.player = None
        s.routines = [1, 2]; s.battery = None; s.announced = []
        s.keyring = Keyring(s.clock)
    def reload_routines(s): pass
a = A()
for i in range(3): a.journal.append(1700000000 + i * 600, 2, 4, 4, 120, 1, 3)
p = proto.Protocol(a, None, lambda: pairing); p.set_mtu(vec["mtu"]); p.connect(0)
ok = True
for case in vec["steps"]:
    if case["step"] == "pair_begin": a.keyring.open()
    if case["step"] == "pair_check after the press": a.keyring.answer(True)
    p.control(bytes.fromhex(case["request"]))
    got = []
    while True:
        f = p.next_frame()
        if f is None: break
        got.append(bytes(f).hex())
    if got != case["frames"]:
        ok = False; print("MISMATCH", case["step"])
ok = ok and p.info().hex() == vec["info"]
print("OK" if ok else "MISMATCH")
"""


def _run(cmd: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    return out.stdout + out.stderr


def test_vectors_cpython(tmp_path: Path) -> None:
    # firmware package under its device name, in a fresh interpreter
    script = tmp_path / "v.py"
    script.write_text(f"VEC = {str(VEC)!r}\n" + SCRIPT)
    env = dict(os.environ, PYTHONPATH=PATH)
    assert _run(["python3", str(script)], env).strip().endswith("OK")


def test_vectors_micropython(tmp_path: Path) -> None:
    script = tmp_path / "v.py"
    script.write_text(f"VEC = {str(VEC)!r}\n" + SCRIPT)
    env = dict(os.environ, MICROPYPATH=PATH + ":.frozen")
    out = _run(["micropython", "-X", "heapsize=512k", str(script)], env)
    assert out.strip().endswith("OK"), out


# -- the recipes of docs/protocol.md, written again with other code -------------------------


def _cmac(key: bytes, msg: bytes) -> bytes:
    c = CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def _ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def _open(enc: bytes, mac: bytes, label: bytes, n: int, index: int, frame: bytes,
          head: int) -> bytes:
    """docs/protocol.md "Sealed frames": check the tag, then decrypt."""
    seal = label + struct.pack("<IH", n, index)
    body, tag = frame[:-8], frame[-8:]
    assert _cmac(mac, seal + body)[:8] == tag
    return body[:head] + _ctr(enc, seal + bytes(9), body[head:])


def test_vectors_recomputed_independently() -> None:
    vec = json.loads(VEC.read_text())
    steps = {s["step"]: s for s in vec["steps"]}
    req = {k: bytes.fromhex(s["request"]) for k, s in steps.items()}
    fr = {k: [bytes.fromhex(f) for f in s["frames"]] for k, s in steps.items()}
    secret = X25519PrivateKey.from_private_bytes(bytes.fromhex(vec["host_secret"]))
    hpub = secret.public_key().public_bytes_raw()
    nh = bytes.fromhex(vec["host_pair_nonce"])
    # pairing: commitment, the device's key, the digest -> key, host id, SAS
    assert req["pair_begin"] == b"\x12" + hashlib.sha256(b"unknot3 commit" + hpub + nh).digest()
    assert fr["pair_begin, window closed"] == [bytes([3, 0x12, 13])]
    dpub, nd = fr["pair_begin"][0][3:35], fr["pair_begin"][0][35:51]
    assert req["pair_reveal"] == b"\x15" + hpub + nh
    shared = secret.exchange(X25519PublicKey.from_public_bytes(dpub))
    d = hashlib.sha256(b"unknot3 pair" + shared + hpub + dpub + nh + nd).digest()
    key, host_id = d[:16], d[16:24]
    v = struct.unpack("<I", d[24:28])[0] % 125
    assert (key.hex(), host_id.hex()) == (vec["key"], vec["host_id"])
    assert [v // 25 + 1, v // 5 % 5 + 1, v % 5 + 1] == vec["sas"]
    assert fr["pair_reveal"] == [bytes([3, 0x15, 0])]
    enc, mac = _cmac(key, b"unknot3 enc" + nh + nd), _cmac(key, b"unknot3 mac" + nh + nd)
    assert _open(enc, mac, b"H", 0, 0, req["pair_check before the press"], 1) == b"\x16\x00"
    assert _open(enc, mac, b"D", 0, 0, fr["pair_check before the press"][0], 3) == b"\x03\x16\x0e"
    assert _open(enc, mac, b"D", 0, 0, fr["pair_check after the press"][0], 3) == b"\x03\x16\x00"
    # authentication: blinded id, the device's proof over INFO first, the host's, the session
    na = bytes.fromhex(vec["host_auth_nonce"])
    info = bytes.fromhex(vec["info"])
    assert req["auth_begin"] == b"\x10" + na + _cmac(key, b"unknot3 id" + na)[:8]
    first = fr["auth_begin"][0]
    nd = first[3:19]
    assert first[:3] == bytes([3, 0x10, 0])
    assert first[19:35] == _cmac(key, b"unknot3 device" + na + nd + info)
    assert req["auth"] == b"\x11" + _cmac(key, b"unknot3 host" + na + nd)
    enc, mac = _cmac(key, b"unknot3 enc" + na + nd), _cmac(key, b"unknot3 mac" + na + nd)
    answer = _open(enc, mac, b"D", 0xFFFFFFFF, 0, fr["auth"][0], 3)
    assert answer[:3] == bytes([3, 0x11, 0]) and len(answer) == 3 + 16 + 27
    state = wire.unpack(core.proto.STATE, answer[19:])
    assert state[0] == vec["epoch"] and state[1:3] == (4, 1)
    # sealed requests and answers, numbered
    for n, name in enumerate(["set_clock #0", "state #1", "read #2", "hosts name #3",
                              "hosts list #4", "read past the head #5"]):
        body = _open(enc, mac, b"H", n, 0, req[name], 1)
        assert body[0] == req[name][0]
        frames = fr[name]
        for i, f in enumerate(frames):
            head = 3 if f[0] == 3 else 1
            opened = _open(enc, mac, b"D", n, i if f[0] in (1, 2) else 0, f, head)
            assert opened[0] == f[0]
        if name == "read #2":
            data = _open(enc, mac, b"D", n, 0, frames[0], 1)[1:]
            end = wire.unpack(core.proto.END, _open(enc, mac, b"D", n, 1, frames[1], 1))
            assert len(data) == 36 and end[2:5] == (1, 3, 4) and end[6] == vec["epoch"]
            assert hashlib.sha256(data).digest() != b""  # records are now private on the air
            assert data[:4] not in frames[0]  # (encrypted: not the clear record bytes)
    assert fr["replay of #5 (fails, the session ends)"] == [bytes([3, 1, 12])]
    assert fr["read without a session"] == [bytes([3, 1, 11])]


def test_vectors_host_client() -> None:
    """The host client makes the same requests and accepts the same answers."""
    vec = json.loads(VEC.read_text())
    steps = vec["steps"]
    req = [bytes.fromhex(s["request"]) for s in steps]
    fr = [[bytes.fromhex(f) for f in s["frames"]] for s in steps]
    hp = HostPairing(bytes.fromhex(vec["host_secret"]), bytes.fromhex(vec["host_pair_nonce"]))
    assert hp.begin() == req[0] == req[1]
    assert hp.reveal(fr[1][0][3:]) == req[2]
    assert list(hp.sas) == vec["sas"] and hp.key.hex() == vec["key"]
    assert hp.check() == req[3] == req[4]
    p = core.proto
    assert hp.check_answer(fr[3][0]) == p.ST_PENDING and hp.check_answer(fr[4][0]) == p.ST_OK
    a = HostAuth(hp.host_id, hp.key, host_nonce=bytes.fromhex(vec["host_auth_nonce"]))
    assert a.begin() == req[5]
    a.check_begin(fr[5][0][3:], bytes.fromhex(vec["info"]))
    assert a.prove() == req[6]
    _secret, state = a.accepted(fr[6][0])
    assert state.epoch == vec["epoch"] and (state.head, state.tail) == (4, 1)
    for n, i in enumerate(range(7, 13)):
        assert a.wrap(_body(a, n, req[i])) == (n, req[i])
        last = fr[i][-1]
        assert a.unwrap(n, last, len(fr[i]) - 1 if last[0] == 2 else 0) is not None
        assert a.unwrap(n + 1, last) is None  # bound to its request
    hosts = a.unwrap(4, fr[11][0])
    assert hosts is not None and hosts[3] == 1 and hosts[4:12].hex() == vec["host_id"]
    assert hosts[12:20].rstrip(b"\0") == b"laptop"


def _body(a: HostAuth, n: int, sealed: bytes) -> bytes:
    """The clear request inside a sealed one (the session's own open)."""
    assert a.session is not None
    body = a.session.open(core.auth.REQUEST_LABEL, n, 0, sealed, 1)
    assert body is not None
    return bytes(body)


def test_cmac_matches_rfc4493_and_cryptography() -> None:
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    msg = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
    want = {0: "bb1d6929e95937287fa37d129b756746", 16: "070a16b46b4d4144f79bdd9dd04a287c",
            40: "dfa66747de9ae63030ca32611497c827", 64: "51f0bebf7e3b9d92fc49741779363cfe"}
    for n, tag in want.items():
        assert core.seal.cmac(key, msg[:n]).hex() == tag  # RFC 4493 section 4
    rng = random.Random(3)
    for _ in range(200):
        k, m = rng.randbytes(16), rng.randbytes(rng.randrange(0, 300))
        assert core.seal.cmac(k, m) == _cmac(k, m)


def test_x25519_matches_rfc7748_and_cryptography() -> None:
    """RFC 7748 section 6.1 (Alice and Bob), then random keys against `cryptography`."""
    x, base = core.pairing.x25519, core.pairing.BASE_POINT
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    bob = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    assert x(alice, base).hex() == (
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert x(bob, base).hex() == (
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    assert x(alice, x(bob, base)).hex() == x(bob, x(alice, base)).hex() == (
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    rng = random.Random(7)
    for _ in range(5):
        s = rng.randbytes(32)
        pub = X25519PrivateKey.from_private_bytes(s).public_key().public_bytes_raw()
        assert x(s, base) == pub
    # the ladder's lazy reduction (folds, negative differences) on u at the top of the field:
    # the top 28 bits set, some u >= p (non-canonical, reduced by the ladder)
    for low in (b"", b"\xff" * 28, b"\xf0" + b"\xff" * 27):  # random, p + 18, p + 3
        s = rng.randbytes(32)
        u = (low or rng.randbytes(28)) + b"\xff\xff\xff\x7f"
        want = X25519PrivateKey.from_private_bytes(s).exchange(X25519PublicKey.from_public_bytes(u))
        assert x(s, u) == want
