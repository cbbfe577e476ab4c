"""The host side of protocol v2 authentication (docs/protocol.md "Authentication"), without
I/O: it makes the request bytes and checks the answer bytes; unknot.ble.session moves them.

    a = HostAuth(host_id, key)
    write(a.begin())                        # AUTH_BEGIN: host id, host nonce
    status = a.check_begin(payload)         # device proof checked BEFORE the status is used
    write(a.prove())                        # AUTH: host proof; the device answers OK
    write(a.wrap(request))                  # every request after that: tag appended
    frame = a.unwrap(answer)                # every RESP/END after that: tag checked, removed

The HMAC and the message layouts are the firmware's (unknot.core.auth), not restated here.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

from unknot import core
from unknot.errors import DeviceError


class AuthError(DeviceError):
    """The device could not prove the key (a look-alike), or refused ours."""


@dataclass(frozen=True)
class DeviceState:
    """The private STATE block (docs/protocol.md), trusted only once its proof checked."""

    epoch: int
    head: int
    tail: int
    unix: int | None
    uptime_s: int
    boot: int
    capacity: int
    battery: int | None
    upload_open: bool
    routine_count: int

    @classmethod
    def unpack(cls, raw: bytes) -> DeviceState:
        p = core.proto
        (epoch, head, tail, unix, up, boot, cap, batt, flags, count) = core.wire.unpack(
            p.STATE, raw
        )
        return cls(
            epoch=epoch,
            head=head,
            tail=tail,
            unix=unix if flags & p.STATE_CLOCK_SET else None,
            uptime_s=up,
            boot=boot,
            capacity=cap,
            battery=None if batt == p.BATTERY_UNKNOWN else batt,
            upload_open=bool(flags & p.STATE_UPLOAD_OPEN),
            routine_count=count,
        )


class HostAuth:
    """One authentication of one connection with one (host id, key)."""

    def __init__(self, host_id: bytes, key: bytes, host_nonce: bytes | None = None) -> None:
        a = core.auth
        self.host_id = host_id
        self.key = key
        self.host_nonce = host_nonce if host_nonce is not None else secrets.token_bytes(
            a.NONCE_SIZE
        )
        self.device_nonce = b""
        self.session: bytes | None = None
        self.counter = 0  # the next request's counter
        self.state: DeviceState | None = None

    def begin(self) -> bytes:
        p = core.proto
        return struct.pack(p.REQ_AUTH_BEGIN, p.OP_AUTH_BEGIN, self.host_id, self.host_nonce)

    def check_begin(self, payload: bytes) -> DeviceState:
        """The AUTH_BEGIN answer's payload: the device's proof is checked first; only then is
        its STATE (epoch, head, ...) believed."""
        a, p = core.auth, core.proto
        if len(payload) != struct.calcsize(p.RESP_AUTH_BEGIN):
            raise AuthError("the device's authentication answer has the wrong length")
        nonce, state, proof = struct.unpack(p.RESP_AUTH_BEGIN, payload)
        want = a.device_proof(self.key, self.host_nonce, nonce, state)
        if not a.same(want, proof):
            raise AuthError(
                "the device could not prove it holds this computer's key: it is not the "
                "device you paired (nothing was synced)"
            )
        self.device_nonce = nonce
        self.state = DeviceState.unpack(state)
        return self.state

    def prove(self) -> bytes:
        a, p = core.auth, core.proto
        proof = a.host_proof(self.key, self.host_nonce, self.device_nonce)
        return struct.pack(p.REQ_AUTH, p.OP_AUTH, proof)

    def accepted(self) -> None:
        """The device answered AUTH with OK: start the tagged session."""
        self.session = core.auth.session_key(self.key, self.host_nonce, self.device_nonce)
        self.counter = 0

    def wrap(self, request: bytes) -> tuple[int, bytes]:
        """(counter, request + tag) for the next request."""
        a = core.auth
        if self.session is None:
            raise AuthError("not authenticated")
        n = self.counter
        self.counter += 1
        return n, request + a.tag(self.session, a.REQUEST_LABEL, n, request)

    def unwrap(self, counter: int, frame: bytes) -> bytes | None:
        """The answer frame without its tag if the tag is right for request `counter`,
        else None (a stale, replayed or forged frame)."""
        a = core.auth
        size = a.TAG_SIZE
        if self.session is None or len(frame) <= size:
            return None
        body, got = frame[:-size], frame[-size:]
        if not a.same(a.tag(self.session, a.ANSWER_LABEL, counter, body), got):
            return None
        return body
