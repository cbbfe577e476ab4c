"""A firmware proto.Protocol driven through the host's own authentication (unknot.ble.auth):
the tests that exercise ops after AUTH use it the way they used the bare handler."""

from __future__ import annotations

from typing import Any

from unknot import core
from unknot.ble.auth import HostAuth

HOST_ID = b"testhost"
KEY = bytes(range(16))


class Authed:
    """`control()` seals each request, `next_frame()` checks and opens the sealed answers
    (RESP, and the DATA and END frames of a READ stream by their index)."""

    def __init__(self, p: Any, host_id: bytes = HOST_ID, key: bytes = KEY) -> None:
        self.p = p
        p.app.keyring.keep(host_id, key)
        a = HostAuth(host_id, key)
        p.control(a.begin())
        frame = bytes(p.next_frame())
        assert frame[2] == core.proto.ST_OK, frame
        a.check_begin(frame[3:], bytes(p.info()))
        p.control(a.prove())
        frame = bytes(p.next_frame())
        assert frame[2] == core.proto.ST_OK
        a.accepted(frame)
        assert p.authenticated
        self.auth = a
        self.pending: list[int] = []
        self.index: dict[int, int] = {}  # request counter -> next DATA/END seal index
        self.last_body = b""  # the last RESP/END opened
        self.follow = (0, 0)  # (FOLLOW's counter, next STATUS index)

    def control(self, data: bytes | bytearray | memoryview) -> None:
        n, wrapped = self.auth.wrap(bytes(data))
        self.pending.append(n)
        if data[0] == core.proto.OP_FOLLOW:
            self.follow = (n, 0)  # STATUS frames: sealed under FOLLOW's counter, numbered
        self.p.control(wrapped)

    def next_frame(self) -> bytes | None:
        f = self.p.next_frame()
        if f is None:
            return None
        frame = bytes(f)
        if frame[0] == core.status.F_STATUS:
            n, index = self.follow
            body = self.auth.unwrap_status(n, index, frame)
            assert body is not None, "a STATUS frame failed its seal"
            self.follow = (n, index + 1)
            return body
        stream = frame[0] in (core.proto.F_DATA, core.proto.F_END)
        for n in self.pending:
            index = self.index.get(n, 0) if stream else 0
            body = self.auth.unwrap(n, frame, index)
            if body is not None:
                if frame[0] == core.proto.F_DATA:
                    self.index[n] = index + 1
                else:
                    self.pending.remove(n)
                    self.last_body = body
                return body
        return frame  # unsealed (e.g. an internal error while streaming)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.p, name)
