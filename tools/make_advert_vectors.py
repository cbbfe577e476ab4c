#!/usr/bin/env python3
"""Write tests/vectors/advert/tags.json: the advertisement's tag (firmware advert.py) for a
few (device secret, epoch, counter, head), and each one's manufacturer-data AD structure
(docs/protocol.md "Advertisement"). The firmware computes them; tests check the host, an
independent AES-CMAC (cryptography) and MicroPython agree."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from unknot import core

OUT = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "advert" / "tags.json"
DEVICE_SECRET = bytes(range(16))
CASES = [(DEVICE_SECRET, 0x0B1E, 0x123, 5), (DEVICE_SECRET, 0x0B1E, 0x124, 5),
         (DEVICE_SECRET, 0x0B1E, 0x123, 6), (DEVICE_SECRET, 0x0B1F, 0x123, 5),
         (bytes([0xFF]) * 16, 0xFFFFFFFF, 0, 1), (b"unknot-vector-16", 0x12345678, 0xFFF, 197)]


def main() -> None:
    adv = core.advert
    rows = []
    for device_secret, epoch, counter, head in CASES:
        secret = adv.secret(device_secret, epoch)
        tag = adv.tag(secret, counter, head)
        payload = struct.pack(adv.PAYLOAD, adv.COMPANY, adv.VERSION << 12 | counter,
                              struct.unpack("<I", tag)[0])
        rows.append({"device_secret": device_secret.hex(), "epoch": epoch, "counter": counter,
                     "head": head, "secret": secret.hex(),
                     "tag": tag.hex(), "ad": bytes([1 + len(payload), adv.AD_TYPE]).hex()
                     + payload.hex()})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"version": adv.VERSION, "label": adv.LABEL.decode(),
                               "tags": rows}, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
