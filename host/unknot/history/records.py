"""What the history holds, as the host reads it back: sessions, known devices, the result
of one ingest; device ids and the time formats of the JSON output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from unknot.errors import UnknotError
from unknot.journal import FlagsMixin


class HistoryError(UnknotError):
    """The history database cannot be used (bad path, bad device id, newer schema, ...)."""


@dataclass(frozen=True)
class IngestResult:
    new: int
    known: int
    lost: int


@dataclass(frozen=True)
class StoredSession(FlagsMixin):
    device_id: str
    seq: int
    start: datetime  # timezone-aware, UTC
    start_approx: bool
    routine_id: int
    routine_slug: str | None
    routine_name: str | None
    steps_done: int
    steps_total: int
    active_s: int
    flags: int
    boot: int
    synced_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "seq": self.seq,
            "start": iso_utc(self.start),
            "start_approx": self.start_approx,
            "routine_id": self.routine_id,
            "routine_slug": self.routine_slug,
            "routine_name": self.routine_name,
            "steps_done": self.steps_done,
            "steps_total": self.steps_total,
            "active_s": self.active_s,
            "completed": self.completed,
            "aborted": self.aborted,
            "from_nudge": self.from_nudge,
            "boot": self.boot,
            "synced_at": iso_utc(self.synced_at),
        }


@dataclass(frozen=True)
class KnownDevice:
    """A device the history has seen (`unknot devices`)."""

    device_id: str
    name: str
    firmware: str
    first_seen: datetime
    last_sync: datetime | None
    sessions: int
    next_seq: int

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "name": self.name,
            "firmware": self.firmware,
            "first_seen": iso_utc(self.first_seen),
            "last_sync": iso_utc(self.last_sync) if self.last_sync else None,
            "sessions": self.sessions,
            "next_seq": self.next_seq,
        }


def iso_utc(t: datetime) -> str:
    """UTC ISO-8601 with a Z, as in every JSON and CSV output."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_unix(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


_HEX = re.compile(r"^[0-9a-f]{2,64}$")


def normalize_device_id(device_id: str) -> str:
    d = device_id.strip().lower().replace(":", "")
    if not _HEX.match(d):
        raise HistoryError(f"bad device id {device_id!r}: expected hex digits")
    return d
