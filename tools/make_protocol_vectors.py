"""Write tests/vectors/protocol/v3.json: one protocol v3 pairing and one authenticated
session with fixed keys and nonces, run through the firmware's own handler (docs/protocol.md
"Test vectors").

    python tools/make_protocol_vectors.py

The device's randomness is `keyring.random` replaced by DRBG below (SHA-256 of a counter); the
host's X25519 secret and nonces are fixed. The vector pins: INFO; PAIR_BEGIN outside the
window (NOT_PAIRABLE); PAIR_BEGIN, PAIR_REVEAL, PAIR_CHECK before and after the wearer's
press (the SAS, the derived key and host id); AUTH_BEGIN, AUTH (sealed: device secret and
STATE); sealed requests and answers (SET_CLOCK, STATE, READ with its DATA and END, READ past
the head, HOSTS LIST); a replayed request (AUTH_FAILED); a READ without a session
(AUTH_REQUIRED). tests/firmware/test_proto_vectors.py replays it against the firmware
(CPython and MicroPython) and the host client, and recomputes every MAC, hash and X25519
with `cryptography` and `hashlib`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "vectors" / "protocol" / "v3.json"

HOST_SECRET = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
HOST_PAIR_NONCE = bytes.fromhex("b0b1b2b3b4b5b6b7b8b9babbbcbdbebf")
HOST_AUTH_NONCE = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")
EPOCH = 0x1234ABCD
MTU = 247
HOST_NAME = b"laptop"

# The device's randomness in the vector (the same in the replay scripts):
DRBG = "lambda n: __import__('hashlib').sha256(b'unknot vector %d' % next(_c)).digest()[:n]"


def build() -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "host"))
    from unknot import core
    from unknot.ble.auth import HostAuth, HostPairing
    from unknot.sim.simadapters import VirtualClock, new_nvm

    proto, jmod, wire = core.proto, core.journal, core.wire

    class _App:
        def __init__(self) -> None:
            self.journal = jmod.Journal(new_nvm(1456, page=728), page=728)  # two 728-byte slots
            self.journal.epoch = EPOCH
            for i in range(3):
                self.journal.append(1700000000 + i * 600, 2, 4, 4, 120, 1, 3)
            self.clock = VirtualClock(42000)
            self.clock.set_unix(1700000000)
            self.device_id = bytes(range(8))
            self.boot = 3
            self.battery = None
            self.storage = None
            self.player = None
            self.routines = [1, 2]
            self.keyring = core.keyring.Keyring(self.clock)

        def reload_routines(self) -> None:
            pass

    import itertools

    real_random = core.keyring.random
    scope = {"_c": itertools.count()}
    core.keyring.random = eval(DRBG, scope)  # a fixed expression, shared with the tests
    try:
        app = _App()
        p = proto.Protocol(app, None, lambda: core.pairing)
        p.set_mtu(MTU)
        p.connect(0)
        steps: list[dict[str, Any]] = []

        def step(name: str, req: bytes) -> list[bytes]:
            p.control(req)
            out = []
            while (f := p.next_frame()) is not None:
                out.append(bytes(f))
            steps.append({"step": name, "request": req.hex(), "frames": [f.hex() for f in out]})
            return out

        hp = HostPairing(HOST_SECRET, HOST_PAIR_NONCE)
        step("pair_begin, window closed", hp.begin())
        app.keyring.open()  # the wearer's 1 s hold
        begin = step("pair_begin", hp.begin())
        step("pair_reveal", hp.reveal(begin[0][3:]))
        step("pair_check before the press", hp.check())
        app.keyring.answer(True)  # the wearer's press
        step("pair_check after the press", hp.check())
        a = HostAuth(hp.host_id, hp.key, host_nonce=HOST_AUTH_NONCE)
        first = step("auth_begin", a.begin())
        a.check_begin(first[0][3:], bytes(p.info()))
        answer = step("auth", a.prove())
        a.accepted(answer[0])
        for name, body in [
            ("set_clock #0", wire.pack(proto.REQ_SET_CLOCK, proto.OP_SET_CLOCK, 1700000100)),
            ("state #1", bytes([proto.OP_STATE])),
            ("read #2", wire.pack(proto.REQ_READ, proto.OP_READ, 1, 0)),
            ("hosts name #3", wire.pack(proto.REQ_HOSTS, proto.OP_HOSTS, proto.HOSTS_NAME,
                                          HOST_NAME)),
            ("hosts list #4", bytes([proto.OP_HOSTS, proto.HOSTS_LIST])),
            ("read past the head #5", wire.pack(proto.REQ_READ, proto.OP_READ, 9, 0)),
        ]:
            step(name, a.wrap(body)[1])
        step("replay of #5 (fails, the session ends)", bytes.fromhex(steps[-1]["request"]))
        step("read without a session", a.wrap(wire.pack(proto.REQ_READ, proto.OP_READ,
                                                          1, 0))[1])
        info = bytes(p.info()).hex()
    finally:
        core.keyring.random = real_random
    return {
        "mtu": MTU,
        "epoch": EPOCH,
        "drbg": DRBG,
        "host_secret": HOST_SECRET.hex(),
        "host_pair_nonce": HOST_PAIR_NONCE.hex(),
        "host_auth_nonce": HOST_AUTH_NONCE.hex(),
        "key": hp.key.hex(),
        "host_id": hp.host_id.hex(),
        "sas": list(hp.sas),
        "info": info,
        "steps": steps,
    }


def main() -> int:
    OUT.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
