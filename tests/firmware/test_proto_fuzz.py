"""The firmware sync-protocol handler under CPython: 10,000 random control writes never raise
and the handler keeps serving; the record stream matches the journal."""

from __future__ import annotations

import random
import zlib

from authed import Authed
from unknot import fwload
from unknot.core import wire
from unknot.sim.simadapters import VirtualClock, new_nvm


class _App:
    def __init__(self) -> None:
        self.journal = fwload.module("journal").Journal(new_nvm())
        for i in range(40):
            self.journal.append(1000 + i, 1, 2, 3, 4, 1, 1)
        self.clock = VirtualClock(1000)
        self.device_id = b"\x01" * 8
        self.boot = 1
        self.storage = None
        self.routines: list[int] = []
        self.battery = None
        self.keyring = fwload.module("keyring").Keyring(self.clock)
        self.following = False
        self.announced: list[tuple[int, ...]] = []

    def announce(self, event: str) -> None:  # the App's: one idle STATUS when following
        if self.following:
            self.announced.append((0, 0, 0xFF, 0, 60, -1, -1))

    def apply_settings(self, v: dict[str, object]) -> dict[str, object]:
        raise ValueError("no")

    def reload_routines(self) -> None:
        pass


def _read_all(p: object, proto: object, from_seq: int) -> tuple[bytes, tuple[int, ...]]:
    p.control(wire.pack(proto.REQ_READ, proto.OP_READ, from_seq, 0))  # type: ignore[attr-defined]
    stream = b""
    while (f := p.next_frame()) is not None:  # type: ignore[attr-defined]
        if f[0] == proto.F_DATA:  # type: ignore[attr-defined]
            stream += f[1:]
        elif f[0] == proto.F_END:  # type: ignore[attr-defined]
            return stream, wire.unpack(proto.END, f)  # type: ignore[attr-defined]
    raise AssertionError("no END frame")


def test_random_writes_never_raise_and_stream_is_right() -> None:
    proto = fwload.module("proto")
    app = _App()
    p = Authed(proto.Protocol(app))  # v2: the random writes come from an authenticated host
    p.set_mtu(23)
    rng = random.Random(7)
    for _ in range(10_000):
        data = bytes([rng.randrange(0, 10)]) + rng.randbytes(rng.randrange(0, 30))
        p.control(data)
        for _ in range(200):
            if p.next_frame() is None:
                break
    assert p.authenticated  # every tag was right: the session held through 10,000 writes
    p.reset()  # link dropped: a new connection authenticates again
    assert not p.authenticated
    p = Authed(p.p)
    stream, (_, status, first, count, nxt, crc, _epoch) = _read_all(p, proto, 5)
    assert (status, first, count, nxt) == (0, 5, 36, 41)
    assert zlib.crc32(stream) == crc
    for i in range(count):
        assert stream[i * 12 : i * 12 + 12] == app.journal.read(5 + i)[4:16]
    # every data notification but the last is full (MTU - 3 bytes)
    p.control(wire.pack(proto.REQ_READ, proto.OP_READ, 1, 0))
    sizes = []
    while (f := p.next_frame()) is not None:
        sizes.append(len(f))
    # (opened: MTU - 3 bytes less the 8-byte tag, of which 1 is the frame type)
    assert all(s == 12 for s in sizes[:-2]) and len(sizes) == -(-40 * 12 // 11) + 1


def test_random_writes_of_a_stranger_are_all_refused() -> None:
    """No key: every write but the open ops (AUTH_BEGIN, AUTH, PAIR_*) answers AUTH_REQUIRED,
    the open ones fail, and nothing on the device changes."""
    proto = fwload.module("proto")
    app = _App()
    before = bytes(app.journal.nvm)
    p = proto.Protocol(app)
    p.set_mtu(247)
    rng = random.Random(11)
    open_ops = (proto.OP_AUTH_BEGIN, proto.OP_AUTH, proto.OP_PAIR_BEGIN, proto.OP_PAIR_REVEAL,
                proto.OP_PAIR_CHECK)
    for _ in range(2_000):
        op = rng.choice([*range(0, 0x16), *open_ops])
        p.control(bytes([op]) + rng.randbytes(rng.randrange(0, 60)))
        while (f := p.next_frame()) is not None:
            assert f[0] == proto.F_RESP
            if op not in open_ops:
                assert f[2] == proto.ST_AUTH_REQUIRED or (op == 0 and len(f) == 3)
            else:
                assert f[2] != proto.ST_OK
        assert not p.authenticated
    assert bytes(app.journal.nvm) == before and app.keyring.hosts == []
