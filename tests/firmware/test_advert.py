"""The advertisement's tag (firmware advert.py, docs/protocol.md "Advertisement"): the shared
vectors hold under CPython (the host's facade) and the MicroPython VM, and the host's
judge tells "same", "new" (and how many), "unknown" and "untagged" apart."""

from __future__ import annotations

import json
import os
import struct
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC
from unknot import core
from unknot.ble.advert import Known, judge

REPO = Path(__file__).resolve().parents[2]
VECTORS = json.loads((REPO / "tests" / "vectors" / "advert" / "tags.json").read_text())


def test_vectors_under_cpython() -> None:
    adv = core.advert
    assert VECTORS["version"] == adv.VERSION and VECTORS["label"] == adv.LABEL.decode()
    for v in VECTORS["tags"]:
        key = bytes.fromhex(v["device_secret"])
        secret = adv.secret(key, v["epoch"])
        assert secret.hex() == v["secret"]
        assert adv.tag(secret, v["counter"], v["head"]).hex() == v["tag"]
        # recomputed independently (cryptography's AES-CMAC), as docs/protocol.md
        # "Advertisement" says
        msg = adv.LABEL + struct.pack("<HII", v["counter"] & 0x0FFF, v["head"], v["epoch"])
        c = CMAC(algorithms.AES(key))
        c.update(msg)
        assert c.finalize()[:4].hex() == v["tag"]
        ad = bytes.fromhex(v["ad"])
        assert ad[0] == len(ad) - 1 and ad[1] == adv.AD_TYPE
        assert int.from_bytes(ad[2:4], "little") == adv.COMPANY
        assert adv.parse(ad[4:]) == (adv.VERSION, v["counter"], bytes.fromhex(v["tag"]))


def test_vectors_under_micropython() -> None:
    script = (
        "import json\nfrom unknot import advert\n"
        f"for v in json.loads({json.dumps(json.dumps(VECTORS['tags']))}):\n"
        "    s = advert.secret(bytes.fromhex(v['device_secret']), v['epoch'])\n"
        "    t = advert.tag(s, v['counter'], v['head'])\n"
        "    print(''.join('%02x' % b for b in t))\n"
        "a = advert.Advert()\n"
        "k = advert.secret(bytes(16), 1)\n"
        "print(a.update(k, 3, 0), a.update(k, 3, 1), a.update(k, 4, 2), a.updates)\n"
    )
    # firmware/lib, and the stand-in `aesio` (host/unknot/sim: cryptolib under MicroPython)
    sim = REPO / "host" / "unknot" / "sim"
    env = {**os.environ, "MICROPYPATH": f"{REPO / 'firmware' / 'lib'}:{sim}"}
    out = subprocess.run(["micropython", "-X", "heapsize=64k", "-c", script], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert out[:-4] == [v["tag"] for v in VECTORS["tags"]]
    assert out[-4:] == ["True", "False", "True", "2"]  # only a new head (or the timer) updates


def test_judge() -> None:
    adv = core.advert
    me = Known("0102030405060708", adv.secret(b"m" * 16, 0x0B1E), 10)
    other = Known("1112131415161718", adv.secret(b"o" * 16, 0x77), 3)
    new_journal = adv.secret(b"m" * 16, 0x0B1F)  # the same device, its journal made anew

    def payload(secret: bytes, counter: int, head: int) -> bytes:
        return (adv.VERSION << 12 | counter).to_bytes(2, "little") + adv.tag(secret, counter,
                                                                                 head)

    assert judge(payload(me.secret, 7, 10), [other, me]) == ("same", me, 0)
    assert judge(payload(me.secret, 8, 13), [other, me]) == ("new", me, 3)
    assert judge(payload(me.secret, 8, 9), [me]) == ("unknown", None, 0)  # went backwards
    assert judge(payload(b"s" * 16 + b"\x1e\x0b\x00\x00", 8, 10), [me]) == ("unknown", None, 0)
    assert judge(payload(new_journal, 8, 10), [me]) == ("unknown", None, 0)
    assert judge(None, [me]) == ("untagged", None, 0)
    future = (15 << 12 | 7).to_bytes(2, "little") + adv.tag(me.secret, 7, 10)
    assert judge(future, [me]) == ("untagged", None, 0)  # a version this host cannot read


def test_the_real_scanner_accepts_the_passive_scan_arguments() -> None:
    """On Linux, bleak's BlueZ backend takes a passive scan only with an or-pattern (ours:
    the company id at the start of the manufacturer data); built, not started (no D-Bus)."""
    import sys

    from bleak import BleakScanner
    from unknot.ble.advert import scanner_kwargs

    kw = scanner_kwargs()
    if sys.platform.startswith("linux"):
        assert kw["scanning_mode"] == "passive"
        (pattern,) = kw["bluez"]["or_patterns"]
        assert pattern.content_of_pattern == core.advert.COMPANY.to_bytes(2, "little")
    BleakScanner(lambda _d, _a: None, None, **kw)
