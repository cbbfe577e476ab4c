from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_home_left_over() -> Iterator[None]:
    """Every test starts and ends with no --home chosen: a CLI run with --home (CliRunner, in
    this process) sets unknot.paths' choice, which would leak into the next test of the same
    worker (test_autostart's "no --home" test saw another test's --home)."""
    from unknot import paths

    paths.set_home(None)
    yield
    paths.set_home(None)


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


@pytest.fixture
def tmpfs_mount() -> Callable[[Path, str], None]:
    """Mount a real tmpfs with `opts` (e.g. "size=64k", "ro") at a folder, or skip the test
    where mounting is not permitted. The caller unmounts."""

    def mount(target: Path, opts: str) -> None:
        target.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(target)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount tmpfs here: {r.stderr.strip()}")

    return mount
