"""The host side of protocol v3 pairing and authentication (docs/protocol.md "Pairing",
"Authentication"), without I/O: it makes the request bytes and checks the answer bytes;
unknot.ble.session moves them.

    a = HostAuth(host_id, key)
    write(a.begin())                 # AUTH_BEGIN: host nonce, blinded host id
    a.check_begin(payload, info)     # the device's proof (covers INFO) checked FIRST
    write(a.prove())                 # AUTH: host proof
    secret, state = a.accepted(frame)  # the sealed AUTH answer: device secret, STATE
    n, sealed = a.wrap(request)      # every request after that: sealed
    body = a.unwrap(n, frame)        # every RESP/END/DATA after that: tag checked, opened

    p = HostPairing()
    write(p.begin())                 # PAIR_BEGIN: the commitment
    write(p.reveal(payload))         # PAIR_REVEAL, once the device's key is known
    p.sas                            # the numbers the wearer must feel
    write(p.check())                 # PAIR_CHECK (sealed) until the wearer pressed

The MACs, the hashes and the message layouts are the firmware's (unknot.core.auth); the
host's own X25519 comes from the `cryptography` package.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from unknot import core
from unknot.core import wire
from unknot.errors import DeviceError


class AuthError(DeviceError):
    """The device could not prove the key (a look-alike), or refused ours."""


NOT_THE_DEVICE = (
    "{name} is not the device this computer paired with: it could not prove it holds this "
    "computer's key (a look-alike, or a device that forgot this computer). Nothing was sent "
    "or saved."
)


@dataclass(frozen=True)
class DeviceState:
    """The private STATE block (docs/protocol.md), only ever read from a sealed answer."""

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
    nvm_error: bool = False  # the device's last flash write failed (sessions wait in RAM)
    nvm_refused: bool = False  # its nvm cannot hold the journal (docs/journal.md)

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
            nvm_error=bool(flags & p.STATE_NVM_ERROR),
            nvm_refused=bool(flags & p.STATE_NVM_REFUSED),
        )


class HostAuth:
    """One authentication of one connection with one (host id, key)."""

    def __init__(self, host_id: bytes, key: bytes, host_nonce: bytes | None = None) -> None:
        self.host_id = host_id
        self.key = key
        self.host_nonce = host_nonce if host_nonce is not None else secrets.token_bytes(
            core.keyring.NONCE_SIZE
        )
        self.device_nonce = b""
        self.session: core.seal.Session | None = None
        self.counter = 0  # the next request's counter

    def begin(self) -> bytes:
        p = core.proto
        return wire.pack(p.REQ_AUTH_BEGIN, p.OP_AUTH_BEGIN, self.host_nonce,
                           core.seal.blind(self.key, self.host_nonce))

    def check_begin(self, payload: bytes, info: bytes, name: str = "the device") -> None:
        """The AUTH_BEGIN answer: the device's proof over both nonces and the INFO we read
        (its device id and firmware) must hold, else AuthError and nothing more is said."""
        p, s = core.proto, core.seal
        if len(payload) != wire.size(p.RESP_AUTH_BEGIN):
            raise AuthError(NOT_THE_DEVICE.format(name=name))
        nonce, proof = wire.unpack(p.RESP_AUTH_BEGIN, payload)
        if not s.same(s.device_proof(self.key, self.host_nonce, nonce, info), proof):
            raise AuthError(NOT_THE_DEVICE.format(name=name))
        self.device_nonce = nonce

    def prove(self) -> bytes:
        p = core.proto
        proof = core.seal.host_proof(self.key, self.host_nonce, self.device_nonce)
        return wire.pack(p.REQ_AUTH, p.OP_AUTH, proof)

    def accepted(self, frame: bytes) -> tuple[bytes, DeviceState]:
        """The sealed AUTH answer: (device secret, STATE); the session starts."""
        a, p = core.auth, core.proto
        session = core.seal.Session(self.key, self.host_nonce, self.device_nonce)
        body = session.open(a.ANSWER_LABEL, a.AUTH_COUNTER, 0, frame, 3)
        head = wire.size(p.RESP)
        if body is None or body[2] != p.ST_OK or len(body) != head + wire.size(
                p.RESP_AUTH):
            raise AuthError("the device's authentication answer failed its check")
        secret, state = wire.unpack(p.RESP_AUTH, bytes(body[head:]))
        self.session = session
        self.counter = 0
        return secret, DeviceState.unpack(state)

    def _session(self) -> core.seal.Session:
        if self.session is None:
            raise AuthError("not authenticated")
        return self.session

    def wrap(self, request: bytes) -> tuple[int, bytes]:
        """(counter, sealed request) for the next request."""
        a = core.auth
        n = self.counter
        self.counter += 1
        return n, self._session().seal(a.REQUEST_LABEL, n, 0, request, 1)

    def unwrap(self, counter: int, frame: bytes, index: int = 0) -> bytes | None:
        """The answer to request `counter` opened (RESP: index 0; DATA/END: their index in
        the stream), or None (a stale, replayed or forged frame)."""
        a, p = core.auth, core.proto
        if self.session is None:
            return None
        head = wire.size(p.RESP) if frame[:1] == bytes([p.F_RESP]) else 1
        body = self.session.open(a.ANSWER_LABEL, counter, index, frame, head)
        return None if body is None else bytes(body)

    def unwrap_status(self, counter: int, index: int, frame: bytes) -> bytes | None:
        a = core.auth
        if self.session is None:
            return None
        body = self.session.open(a.STATUS_LABEL, counter, index, frame, 1)
        return None if body is None else bytes(body)


class HostPairing:
    """One pairing attempt, host side (docs/protocol.md "Pairing")."""

    def __init__(self, secret: bytes | None = None, nonce: bytes | None = None) -> None:
        """`secret`, `nonce`: fixed values for test vectors only (default: fresh random)."""
        self._secret = (X25519PrivateKey.generate() if secret is None
                        else X25519PrivateKey.from_private_bytes(secret))
        self.public = self._secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.nonce = nonce if nonce is not None else secrets.token_bytes(core.keyring.NONCE_SIZE)
        self.key = b""
        self.host_id = b""
        self.sas: tuple[int, ...] = ()
        self.session: core.seal.Session | None = None

    def begin(self) -> bytes:
        p = core.proto
        commit = core.pairing.commitment(self.public, self.nonce)
        return wire.pack(p.REQ_PAIR_BEGIN, p.OP_PAIR_BEGIN, commit)

    def reveal(self, payload: bytes) -> bytes:
        """The PAIR_BEGIN answer (device public key, device nonce) -> PAIR_REVEAL; the key,
        host id and SAS follow from the whole transcript."""
        p = core.proto
        if len(payload) != wire.size(p.RESP_PAIR_BEGIN):
            raise AuthError("the device's pairing answer has the wrong length")
        device_public, device_nonce = wire.unpack(p.RESP_PAIR_BEGIN, payload)
        try:
            shared = self._secret.exchange(X25519PublicKey.from_public_bytes(device_public))
        except ValueError as exc:  # a low-order point
            raise AuthError("the device sent an invalid public key") from exc
        self.key, self.host_id, self.sas = core.pairing.pair_digest(
            shared, self.public, device_public, self.nonce, device_nonce)
        self.session = core.seal.Session(self.key, self.nonce, device_nonce)
        return wire.pack(p.REQ_PAIR_REVEAL, p.OP_PAIR_REVEAL, self.public, self.nonce)

    def check(self, abort: bool = False) -> bytes:
        a, p = core.auth, core.proto
        if self.session is None:
            raise AuthError("no pairing in progress")
        body = wire.pack(p.REQ_PAIR_CHECK, p.OP_PAIR_CHECK, int(abort))
        return self.session.seal(a.REQUEST_LABEL, 0, 0, body, 1)

    def check_answer(self, frame: bytes) -> int | None:
        """The status of a sealed PAIR_CHECK answer, or None if its tag fails."""
        a, p = core.auth, core.proto
        if self.session is None:
            return None
        body = self.session.open(a.ANSWER_LABEL, 0, 0, frame, wire.size(p.RESP))
        return None if body is None else body[2]


def sas_text(sas: tuple[int, ...]) -> str:
    return " ".join(str(d) for d in sas)


def parse_sas(typed: str) -> tuple[int, ...]:
    """What the wearer typed ("3 1 4", "314", "3-1-4") as numbers."""
    return tuple(int(c) for c in typed if c.isdigit())
