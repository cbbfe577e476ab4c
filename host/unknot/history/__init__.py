"""The session history on the host: a SQLite database of every synced session.

store (HistoryStore: open, ingest, queries), schema (migrations), records (what is read
back), clock (start-time reconstruction), names (routine names), stats, export.
"""

from __future__ import annotations

from unknot.history.records import (
    DeviceSeen,
    HistoryError,
    IngestResult,
    KnownDevice,
    StoredSession,
)
from unknot.history.stats import Stats
from unknot.history.store import HistoryStore

__all__ = ["DeviceSeen", "HistoryError", "HistoryStore", "IngestResult", "KnownDevice", "Stats",
           "StoredSession"]
