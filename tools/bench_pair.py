"""Pairing and record-MAC costs on the board model (run by tools/bench.py; docs/security.md
"CPU budget").

Counted with the board model's meter (tools/board/cpu.py: wasmtime fuel of the firmware's
own code on a 32-bit MicroPython, converted at cpu.FUEL_PER_MS). `aesio` is C on the board
(tiny-AES-c): the model runs it on the host and charges its board cost per block and per
key expansion in fuel (tools/board/scenario.py CCalls), so the figures include it.

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

# The meter runs the unspilled VM, where a collection is unsafe (and, in its 32 MiB heap
# (cpu.BIG_HEAP_KIB), far dearer than the board's): mods.drop (pairing drops sha256 after
# the reveal, which collects) is made a no-op, so sha256 stays loaded and neither its load
# nor the collection is counted.
_PAIR_SETUP = """
from unknot import mods, pairing
mods._DROPS = False
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


def _cost(meter: Any, snippet: str, setup: str, n: int) -> tuple[float, int]:
    """(board ms, AES blocks) of one run of `snippet`."""
    before = meter.c_calls.blocks
    ms = meter.ms(snippet, setup, n)
    return ms, (meter.c_calls.blocks - before) // (n + 1)  # the setup's: about one run's


def run() -> dict[str, float | int]:
    import cpu

    meter = cpu.Meter()
    x_ms, _ = _cost(meter, _X25519, _PAIR_SETUP, 2)
    pair_ms, pair_blocks = _cost(meter, _PAIR, _PAIR_SETUP, 2)
    auth_ms, _ = _cost(meter, _AUTH, _AUTH_SETUP, 5)
    mac_ms, mac_blocks = _cost(meter, _MAC, _MAC_SETUP, 20)
    return {
        "fw_cpu_ms_x25519": round(x_ms, 1),
        "fw_cpu_ms_pair": round(pair_ms, 1),
        "fw_aes_blocks_pair": pair_blocks,
        "fw_cpu_ms_auth": round(auth_ms, 1),
        "fw_cpu_ms_mac_1000_records": round(_FRAMES_1000 * mac_ms, 1),
        "fw_aes_blocks_mac_1000_records": _FRAMES_1000 * mac_blocks,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))
