"""This computer's host keys, one file per device in `<unknot home>/keys/` (mode 0600).

    keys/<device id>.json    {"host_id": hex, "key": hex, "device_secret": hex or absent}:
                              the key a device accepted, and the device secret it handed
                              over sealed at authentication (docs/security.md)
    keys/pending-<host id>.json  a key put on a board over USB (`unknot device install`,
                              `unknot pair --drive`) whose device id is not known yet: the
                              first device that authenticates with it binds it to its id.
                              `pair --drive` replaces the drive's key file (one key, imported
                              once by the device).

The device keeps the same (host id, key) in its nvm (docs/security.md); sizes come from the
firmware core (unknot.core.auth).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from unknot import core, paths
from unknot.errors import UnknotError

_PENDING = "pending-"


@dataclass(frozen=True)
class HostKey:
    host_id: bytes
    key: bytes
    device_secret: bytes | None = None  # handed over by the device at authentication

    @classmethod
    def new(cls) -> HostKey:
        a = core.auth
        return cls(secrets.token_bytes(a.HOST_ID_SIZE), secrets.token_bytes(a.KEY_SIZE))

    def key_file(self) -> bytes:
        """The USB key file (auth.KEY_FILE_RECORD) with a fresh random import id."""
        import_id = 1 + secrets.randbelow(0xFFFFFFFF)
        return bytes(core.auth.key_file(import_id, self.host_id, self.key))


class KeyStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory if directory is not None else paths.home() / "keys"

    def _write(self, path: Path, hk: HostKey) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            data = {"host_id": hk.host_id.hex(), "key": hk.key.hex()}
            if hk.device_secret is not None:
                data["device_secret"] = hk.device_secret.hex()
            json.dump(data, f)
        os.chmod(tmp, 0o600)
        tmp.replace(path)

    @staticmethod
    def _read(path: Path) -> HostKey | None:
        try:
            data = json.loads(path.read_text())
            secret = data.get("device_secret")
            hk = HostKey(bytes.fromhex(data["host_id"]), bytes.fromhex(data["key"]),
                         None if secret is None else bytes.fromhex(secret))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        a = core.auth
        if len(hk.host_id) != a.HOST_ID_SIZE or len(hk.key) != a.KEY_SIZE:
            return None
        return hk

    def _path(self, device_id: str) -> Path:
        dev = device_id.lower()
        if not dev or any(c not in "0123456789abcdef" for c in dev):
            raise UnknotError(f"not a device id: {device_id!r}")
        return self.dir / f"{dev}.json"

    def get(self, device_id: str) -> HostKey | None:
        return self._read(self._path(device_id))

    def save(self, device_id: str, hk: HostKey) -> None:
        self._write(self._path(device_id), hk)

    def forget(self, device_id: str) -> bool:
        path = self._path(device_id)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def pending(self) -> list[HostKey]:
        if not self.dir.is_dir():
            return []
        found = (self._read(p) for p in sorted(self.dir.glob(_PENDING + "*.json")))
        return [hk for hk in found if hk is not None]

    def add_pending(self, hk: HostKey) -> None:
        self._write(self.dir / f"{_PENDING}{hk.host_id.hex()}.json", hk)

    def bind(self, device_id: str, hk: HostKey) -> None:
        """A pending key was accepted by `device_id`: file it under that device."""
        self.save(device_id, hk)
        (self.dir / f"{_PENDING}{hk.host_id.hex()}.json").unlink(missing_ok=True)

    def candidates(self, device_id: str) -> list[HostKey]:
        """Keys to try with a device claiming `device_id`: its own, then pending ones."""
        own = self.get(device_id)
        return ([own] if own is not None else []) + self.pending()


def write_key_file(drive: Path, hk: HostKey, store: KeyStore) -> Path:
    """USB consent: put `hk` on the board's drive in place of any earlier key file (the
    firmware imports a key file once: it remembers the file's import id, so neither a reboot
    nor a file it cannot delete undoes a forget) and keep it here as pending until the
    device first authenticates with it."""
    path = drive / core.auth.KEY_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(hk.key_file())
    tmp.replace(path)
    store.add_pending(hk)
    return path
