"""The firmware's own SHA-256 and HMAC (unknot.sha256, for boards without hashlib) against
CPython's hashlib / hmac, on every length around the block and padding edges, and the kept
HMAC key states."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest
from unknot import fwload

sha = fwload.module("sha256")


@pytest.mark.parametrize("n", [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000])
def test_digest_matches_hashlib(n: int) -> None:
    data = random.Random(n).randbytes(n)
    assert sha._Sha256(data).digest() == hashlib.sha256(data).digest()
    h = sha._Sha256()
    for i in range(0, n, 7):  # fed in odd pieces, with a copy() taken half way
        h.update(data[i : i + 7])
        if i == 28:
            assert h.copy().digest() == hashlib.sha256(data[:35]).digest()
    assert h.digest() == h.digest() == hashlib.sha256(data).digest()


def test_pure_hmac_matches_python_hmac(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sha, "_native", False)
    monkeypatch.setattr(sha, "_keyed", [])
    rng = random.Random(7)
    keys = [rng.randbytes(n) for n in (0, 16, 32, 64, 65, 100)]
    for _ in range(60):
        key, msg = rng.choice(keys), rng.randbytes(rng.randrange(0, 200))
        assert sha.hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).digest()
    assert len(sha._keyed) == sha._KEYS  # the states of the last keys only
