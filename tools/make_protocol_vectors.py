"""Write tests/vectors/protocol/v2.json: one protocol v2 exchange with fixed key and nonces,
run through the firmware's own handler (docs/protocol.md "Test vectors").

    python tools/make_protocol_vectors.py

The vector pins: INFO; the key exchange (AUTH_BEGIN, AUTH) with its proofs and session key;
tagged requests and answers (SET_CLOCK, STATE, READ); a replayed request (AUTH_FAILED);
a stranger's READ on a fresh connection (AUTH_REQUIRED). tests/firmware/test_proto_vectors.py
replays it against the firmware (CPython and MicroPython) and the host client.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "vectors" / "protocol" / "v2.json"

HOST_ID = bytes.fromhex("486f73742d303031")  # "Host-001"
KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
HOST_NONCE = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")
DEVICE_NONCE = bytes.fromhex("d0d1d2d3d4d5d6d7d8d9dadbdcdddedf")
EPOCH = 0x1234ABCD
MTU = 247


def build() -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "host"))
    from unknot import core
    from unknot.sim.simadapters import VirtualClock, new_nvm

    proto, auth, jmod, wire = core.proto, core.auth, core.journal, core.wire

    class _App:
        def __init__(self) -> None:
            self.journal = jmod.Journal(new_nvm(1456, page=728))  # two 728-byte slots
            self.journal.epoch = EPOCH
            for i in range(3):
                self.journal.append(1700000000 + i * 600, 2, 4, 4, 120, 1, 3)
            self.clock = VirtualClock(42000)
            self.clock.set_unix(1700000000)
            self.device_id = bytes(range(8))
            self.boot = 3
            self.battery = None
            self.storage = None
            self.routines = [1, 2]
            self.keyring = auth.Keyring(self.clock)
            self.keyring.keep(HOST_ID, KEY)

        def reload_routines(self) -> None:
            pass

    real_nonce = auth.nonce
    auth.nonce = lambda: DEVICE_NONCE
    try:
        app = _App()
        p = proto.Protocol(app)
        p.set_mtu(MTU)

        def frames() -> list[str]:
            out = []
            while (f := p.next_frame()) is not None:
                out.append(bytes(f).hex())
            return out

        session = auth.session_key(KEY, HOST_NONCE, DEVICE_NONCE)

        def tagged(n: int, body: bytes) -> bytes:
            return body + auth.tag(session, auth.REQUEST_LABEL, n, body)

        steps: list[tuple[str, bytes]] = [
            ("auth_begin", struct.pack(proto.REQ_AUTH_BEGIN, proto.OP_AUTH_BEGIN, HOST_ID,
                                       HOST_NONCE)),
            ("auth", struct.pack(proto.REQ_AUTH, proto.OP_AUTH,
                                 auth.host_proof(KEY, HOST_NONCE, DEVICE_NONCE))),
            ("set_clock #0", tagged(0, wire.pack(proto.REQ_SET_CLOCK, proto.OP_SET_CLOCK,
                                                   1700000100))),
            ("state #1", tagged(1, bytes([proto.OP_STATE]))),
            ("read #2", tagged(2, wire.pack(proto.REQ_READ, proto.OP_READ, 1, 0))),
            ("read past the head #3", tagged(3, wire.pack(proto.REQ_READ, proto.OP_READ, 9, 0))),
        ]
        steps.append(("replay of #3 (fails, the connection is no longer authenticated)",
                      steps[-1][1]))
        steps.append(("read without a session", tagged(4, wire.pack(proto.REQ_READ,
                                                                      proto.OP_READ, 1, 0))))
        info = bytes(p.info()).hex()
        requests = []
        for name, req in steps:
            p.control(req)
            requests.append({"step": name, "request": req.hex(), "frames": frames()})
    finally:
        auth.nonce = real_nonce
    return {
        "mtu": MTU,
        "host_id": HOST_ID.hex(),
        "key": KEY.hex(),
        "host_nonce": HOST_NONCE.hex(),
        "device_nonce": DEVICE_NONCE.hex(),
        "epoch": EPOCH,
        "device_proof": auth.device_proof(KEY, HOST_NONCE, DEVICE_NONCE,
                                          bytes.fromhex(requests[0]["frames"][0])[19:46]).hex(),
        "host_proof": auth.host_proof(KEY, HOST_NONCE, DEVICE_NONCE).hex(),
        "session_key": session.hex(),
        "info": info,
        "requests": requests,
    }


def main() -> int:
    OUT.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
