# Host keys, proofs and sealed frames (docs/protocol.md "Authentication", "Sealed frames").
from typing import Final

HOST_ID_SIZE: Final[int]
KEY_SIZE: Final[int]
PUBLIC_SIZE: Final[int]
COMMIT_SIZE: Final[int]
PROOF_SIZE: Final[int]
TAG_SIZE: Final[int]
BLIND_SIZE: Final[int]
NAME_SIZE: Final[int]
MAX_HOSTS: Final[int]
SAS_DIGITS: Final[int]
SAS_BASE: Final[int]
HOSTS_MAGIC: Final[int]
HOSTS_HEAD: Final[str]
HOSTS_HEAD_SIZE: Final[int]
HOST_RECORD: Final[str]
HOST_RECORD_SIZE: Final[int]
KEY_FILE: Final[str]
KEY_FILE_RECORD: Final[str]
KEY_FILE_RECORD_SIZE: Final[int]
KEY_FILE_MAGIC: Final[bytes]
COMMIT_LABEL: Final[bytes]
PAIR_LABEL: Final[bytes]
ID_LABEL: Final[bytes]
DEVICE_LABEL: Final[bytes]
HOST_LABEL: Final[bytes]
ENC_LABEL: Final[bytes]
MAC_LABEL: Final[bytes]
REQUEST_LABEL: Final[int]
ANSWER_LABEL: Final[int]
STATUS_LABEL: Final[int]
SEAL: Final[str]
SEAL_SIZE: Final[int]
AUTH_COUNTER: Final[int]

_Bytes = bytes | bytearray | memoryview
# a stored host: [host id, key, name, paired unix, last seen unix]
_Host = list[bytes | int]

def pad_name(name: _Bytes) -> bytes: ...
def encode_hosts(hosts: list[_Host], usb_id: int = 0, secret: bytes | None = None) -> bytes: ...
def decode_hosts(blob: _Bytes) -> tuple[list[_Host], int, bytes | None, bytes]: ...
def parse_key_file(data: _Bytes) -> tuple[int, bytes, bytes] | None: ...
def key_file(import_id: int, host_id: _Bytes, key: _Bytes) -> bytes: ...
