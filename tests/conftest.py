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
