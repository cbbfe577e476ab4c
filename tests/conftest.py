from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty unknot home directory (UNKNOT_HOME) for one test."""
    from unknot import paths

    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("UNKNOT_HOME", str(path))
    paths.set_home(None)
    yield path
    paths.set_home(None)


@pytest.fixture
def consent_sim():
    """The wearer's consent for the simulated device under a home, given over "USB": a key
    file in the device's directory (imported at its next start) and the host's copy."""

    def give(home: Path, name: str = "default") -> None:
        from unknot.device.keys import HostKey, KeyStore, write_key_file

        directory = home / "sim" / name
        directory.mkdir(parents=True, exist_ok=True)
        write_key_file(directory, HostKey.new(), KeyStore(home / "keys"))

    return give
