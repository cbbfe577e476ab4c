# The key agreement of a pairing and the PAIR/HOSTS handlers (pairing.py).
from typing import Final

from unknot_fw.seal import Session

_Bytes = bytes | bytearray | memoryview

BASE_POINT: Final[bytes]

def x25519(scalar: _Bytes, u: _Bytes) -> bytes: ...
def keypair() -> tuple[bytes, bytes]: ...
def commitment(public: _Bytes, nonce: _Bytes) -> bytes: ...
def pair_digest(
    shared: _Bytes, host_public: _Bytes, device_public: _Bytes, host_nonce: _Bytes,
    device_nonce: _Bytes,
) -> tuple[bytes, bytes, tuple[int, ...]]: ...
def sas_digits(value: int) -> tuple[int, ...]: ...

class Attempt:
    commit: bytes
    secret: bytes | None
    public: bytes
    nonce: bytes
    deadline: int
    key: bytes | None
    host_id: bytes | None
    sas: tuple[int, ...] | None
    session: Session | None
    def __init__(self, commit: _Bytes, deadline: int) -> None: ...
    def reveal(self, public: _Bytes, host_nonce: _Bytes) -> bool: ...

def control(p: object, op: int, data: _Bytes) -> None: ...
def hosts(p: object, data: _Bytes) -> None: ...
