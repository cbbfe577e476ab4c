#!/usr/bin/env python3
"""Write tests/vectors/advert/tags.json: the advertisement's tag (firmware advert.py) for a
few (epoch, counter, head), and one whole manufacturer-data payload (docs/protocol.md
"Advertisement"). The firmware computes them; tests check the host and MicroPython agree."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from unknot import core

OUT = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "advert" / "tags.json"
CASES = [(0x0B1E, 0x123, 5), (0x0B1E, 0x124, 5), (0x0B1E, 0x123, 6), (0xFFFFFFFF, 0, 1),
         (0x12345678, 0xFFF, 197)]


def main() -> None:
    adv = core.advert
    rows = []
    for epoch, counter, head in CASES:
        secret = adv.secret(epoch)
        tag = adv.tag(secret, counter, head)
        payload = struct.pack(adv.PAYLOAD, adv.COMPANY, adv.VERSION << 12 | counter,
                              struct.unpack("<I", tag)[0])
        rows.append({"epoch": epoch, "counter": counter, "head": head, "secret": secret.hex(),
                     "tag": tag.hex(), "ad": bytes([1 + len(payload), adv.AD_TYPE]).hex()
                     + payload.hex()})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"version": adv.VERSION, "label": adv.LABEL.decode(),
                               "tags": rows}, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
