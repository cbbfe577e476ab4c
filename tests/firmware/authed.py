"""A firmware proto.Protocol driven through the host's own authentication (unknot.ble.auth):
the tests that exercise ops after AUTH use it the way they used the bare handler."""

from __future__ import annotations

from typing import Any

from unknot import core
from unknot.ble.auth import HostAuth

HOST_ID = b"testhost"
KEY = bytes(range(16))


class Authed:
    """`control()` tags each request, `next_frame()` checks and strips the answer tags."""

    def __init__(self, p: Any, host_id: bytes = HOST_ID, key: bytes = KEY) -> None:
        self.p = p
        p.app.keyring.keep(host_id, key)
        a = HostAuth(host_id, key)
        p.control(a.begin())
        frame = bytes(p.next_frame())
        assert frame[2] == core.proto.ST_OK, frame
        a.check_begin(frame[3:])
        p.control(a.prove())
        assert bytes(p.next_frame())[2] == core.proto.ST_OK
        a.accepted()
        assert p.authenticated
        self.auth = a
        self.pending: list[int] = []

    def control(self, data: bytes | bytearray | memoryview) -> None:
        n, wrapped = self.auth.wrap(bytes(data))
        self.pending.append(n)
        self.p.control(wrapped)

    def next_frame(self) -> bytes | None:
        f = self.p.next_frame()
        if f is None or f[0] == core.proto.F_DATA:
            return None if f is None else bytes(f)
        frame = bytes(f)
        for n in self.pending:
            body = self.auth.unwrap(n, frame)
            if body is not None:
                self.pending.remove(n)
                return body
        return frame  # untagged (e.g. an internal error while streaming)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.p, name)
