"""Pairing and record-MAC costs on the board model (run by tools/bench.py; docs/security.md
"CPU budget").

Counted with the board model's meter (tools/board/cpu.py: wasmtime fuel of the firmware's
own code on a 32-bit MicroPython, converted at cpu.FUEL_PER_MS), plus the AES blocks the
code asks `aesio` for: C on the board (tiny-AES-c), so the model runs them on the host and
they cost no fuel; each is charged AES_BLOCK_US here.

- fw_cpu_ms_x25519: one X25519 scalar multiplication (pairing.x25519, pure Python).
- fw_cpu_ms_pair: the device's whole part of a pairing: PAIR_BEGIN (its ephemeral X25519
  key and nonce) and PAIR_REVEAL (the commitment check, X25519 of the shared secret, the
  SHA-256 digest, the attempt's session keys). Goal (issue 17): <= 3000.
- fw_cpu_ms_auth: AUTH_BEGIN and AUTH on the device (the blinded id against 4 hosts, its
  proof over INFO, the host's proof, the session keys).
- fw_cpu_ms_mac_1000_records: sealing a READ stream of 1000 records at ATT MTU 247 (every
  DATA frame encrypted and tagged, and END), on top of reading them.
- fw_aes_blocks_pair / fw_aes_blocks_mac_1000_records: the AES blocks in those.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS / "board"))

# tiny-AES-c, AES-128 encryption of one block on the nRF52840 (64 MHz Cortex-M4): an upper
# bound of 10,000 cycles (the table-free byte-wise C of shared-module/aesio/aes.c; no
# measurement on hardware here): 156 us.
AES_BLOCK_US = 156

_PAIR_SETUP = """
from unknot import pairing
hs, hp = pairing.keypair()
nh = b"n" * 16
c = pairing.commitment(hp, nh)
"""
_PAIR = "a = pairing.Attempt(c, 0); a.reveal(hp, nh)"
_X25519 = "pairing.x25519(hs, hp)"
_AUTH_SETUP = """
from unknot import auth, seal
keys = [bytes([i]) * 16 for i in range(4)]
nh, nd, info = b"h" * 16, b"d" * 16, b"i" * 14
b = seal.blind(keys[3], nh)
"""
_AUTH = ("[seal.blind(k, nh) for k in keys]; seal.device_proof(keys[3], nh, nd, info); "
         "seal.host_proof(keys[3], nh, nd); seal.Session(keys[3], nh, nd)")
_MAC_SETUP = """
from unknot import seal
s = seal.Session(b"k" * 16, b"h" * 16, b"d" * 16)
frame = bytearray(244)
"""
_MAC = "s.seal_into(0x44, 2, 7, frame, 1, 236)"  # one full DATA frame at MTU 247
_FRAMES_1000 = -(-1000 * 12 // 235) + 1  # DATA frames of 235 record bytes, then END


class _Blocks:
    """Counts the AES blocks the model's aesio asks the host for."""

    def __init__(self) -> None:
        import scenario

        self.n = 0
        self._real = scenario.aes_call
        self._mod = scenario

    def __enter__(self) -> _Blocks:
        def counted(payload: bytes) -> str:
            self.n += -(-(len(payload) - 33) // 16)
            return str(self._real(payload))

        self._mod.aes_call = counted
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._mod.aes_call = self._real


def _cost(meter: Any, snippet: str, setup: str, n: int) -> tuple[float, int]:
    """(board ms of the Python part, AES blocks) of one run of `snippet`."""
    with _Blocks() as blocks:
        ms = meter.ms(snippet, setup, n)
    return ms, blocks.n // (n + 1)  # the setup's blocks are about one run's at most


def run() -> dict[str, float | int]:
    import cpu

    meter = cpu.Meter()
    x_ms, _ = _cost(meter, _X25519, _PAIR_SETUP, 2)
    pair_ms, pair_blocks = _cost(meter, _PAIR, _PAIR_SETUP, 2)
    auth_ms, auth_blocks = _cost(meter, _AUTH, _AUTH_SETUP, 5)
    mac_ms, mac_blocks = _cost(meter, _MAC, _MAC_SETUP, 20)
    aes_ms = AES_BLOCK_US / 1000
    return {
        "fw_cpu_ms_x25519": round(x_ms, 1),
        "fw_cpu_ms_pair": round(pair_ms + pair_blocks * aes_ms, 1),
        "fw_aes_blocks_pair": pair_blocks,
        "fw_cpu_ms_auth": round(auth_ms + auth_blocks * aes_ms, 1),
        "fw_cpu_ms_mac_1000_records": round(_FRAMES_1000 * (mac_ms + mac_blocks * aes_ms), 1),
        "fw_aes_blocks_mac_1000_records": _FRAMES_1000 * mac_blocks,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))
