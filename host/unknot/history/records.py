"""What the history holds, as the host reads it back: sessions, known devices, the result
of one ingest; device ids and the time formats of the JSON output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from unknot.errors import HistoryError
from unknot.journal import FlagsMixin

__all__ = ["HistoryError"]


@dataclass(frozen=True)
class DeviceSeen:
    """The device as one sync saw it: who it is, its clock and its journal then."""

    device_id: str
    name: str
    firmware: str
    unix: int | None  # the device's clock (unix s) at the sync; None: not set
    uptime_s: int  # seconds since its boot (on its own clock)
    boot: int  # its boot counter
    tail_seq: int  # the oldest seq it still holds (its head if it holds none)
    resume_seq: int | None = None  # where it said to continue (the END frame's next_seq)
    simulated: bool = False
    clock_rate: float = 1.0  # its clock's speed: 1 for a board, a simulated one's speed
    epoch: int | None = None  # its journal's epoch
    journal: int = 0  # the host's number for that journal (Cursor): a new one starts at 1


@dataclass(frozen=True)
class IngestResult:
    new: int
    known: int
    lost: int  # overwritten on the device before the host read them (ring overflow)
    corrupt: int = 0  # slots the device skipped because their CRC failed


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
    # the start of a boot no sync saw running: placed to end before the next boot began, so
    # the latest it can have been (after `devices forget`, or a boot synced only later)
    start_guessed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "seq": self.seq,
            "start": iso_utc(self.start),
            "start_approx": self.start_approx,
            "start_guessed": self.start_guessed,
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
    simulated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "name": self.name,
            "firmware": self.firmware,
            "first_seen": iso_utc(self.first_seen),
            "last_sync": iso_utc(self.last_sync) if self.last_sync else None,
            "sessions": self.sessions,
            "next_seq": self.next_seq,
            "simulated": self.simulated,
        }


def iso_utc(t: datetime) -> str:
    """UTC ISO-8601 with a Z, as in every JSON and CSV output."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_unix(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


_HEX = re.compile(r"^[0-9a-f]{1,64}$")
# Device ids are 16 lower-case hex digits (the INFO characteristic's 8 bytes), shown as the
# shortest prefix unique among the known devices but at least this long (like git).
DEVICE_ID_BYTES = 8
SHORT_ID_MIN = 8


def device_id_hex(raw: bytes) -> str:
    """The one text form of a device id: its 8 INFO bytes (zero-padded) as 16 hex digits."""
    return bytes(raw[:DEVICE_ID_BYTES]).ljust(DEVICE_ID_BYTES, b"\0").hex()


def normalize_device_id(device_id: str) -> str:
    """Lower-case hex without separators: a whole id or a prefix of one."""
    d = device_id.strip().lower().replace(":", "")
    if not _HEX.match(d):
        raise HistoryError(f"bad device id {device_id!r}: expected hex digits")
    return d


def short_ids(ids: list[str]) -> dict[str, str]:
    """id -> its shortest prefix (>= SHORT_ID_MIN digits) that no other id starts with."""
    out: dict[str, str] = {}
    for i in ids:
        n = SHORT_ID_MIN
        while n < len(i) and any(o != i and o.startswith(i[:n]) for o in ids):
            n += 1
        out[i] = i[:n]
    return out


def resolve_device_id(prefix: str, known: list[str]) -> str:
    """The one known id starting with `prefix`; HistoryError if none or several do."""
    p = normalize_device_id(prefix)
    if p in known:
        return p
    hits = [k for k in known if k.startswith(p)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise HistoryError(f"no known device with id {prefix!r} (see `unknot devices`)")
    shown = ", ".join(sorted(short_ids(known)[h] for h in hits))
    raise HistoryError(f"device id {prefix!r} is ambiguous: it matches {shown}")
