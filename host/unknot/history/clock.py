"""Clock reconstruction: a UTC start time for every session record, exact when the device
clock was set, reconstructed (approximate) when it was not (`reconstruct_starts`). The rule
(docs/history.md):

`rate` is the device clock's speed (device seconds per host
second: 1 for a board, the speed of a simulated one). `boot_starts` maps a boot byte to
the host time at uptime 0 of that boot as stored by earlier syncs; the current boot's
entry, if missing, is host_now - device_uptime_s / rate (from INFO, not guessed).
Records are walked from the newest seq back to the oldest with a ceiling, the latest
time the record can have started (initially host_now, then the start of the next newer
record, and the start of that record's boot when known).
- Clock set and plausible (floor <= start <= host_now + 1 day): taken as is, exact.
- CLOCK_UNSET: boot start + uptime / rate, approximate. The start of an earlier boot
  that no sync saw running is guessed: early enough that the boot's newest record seen
  ends by the ceiling (ceiling - active_s - uptime / rate), and moved earlier when a
  later batch brings a newer record of that boot, so after a whole sync every record of
  one boot has one offset whatever the READ batch boundaries. Changed or new starts are
  reported in `learned` for the caller to store (and to move records already stored).
- "Clock set" but implausible (e.g. an RTC reset to 2000): placed before the ceiling.
Every result is clamped into [floor, host_now].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from unknot.core import journal as record
from unknot.journal import SessionRecord

# No reconstructed or accepted start time is earlier than this (2020-01-01T00:00:00Z):
# an unset device clock must never show up as a 1970 or 2000 date.
TIME_FLOOR = 1577836800
# A "clock set" record later than the host's clock by more than this is implausible.
FUTURE_SLACK_S = 86400


BootStart = tuple[float, bool]  # (host time at uptime 0, guessed rather than from INFO)


def reconstruct_starts(
    records: Sequence[SessionRecord],
    *,
    device_uptime_s: int,
    device_boot: int,
    host_now: float,
    floor: int = TIME_FLOOR,
    rate: float = 1.0,
    boot_starts: Mapping[int, BootStart] | None = None,
    learned: dict[int, BootStart] | None = None,
) -> list[tuple[int, bool]]:
    """(start_utc, approximate) for each record, in the order given (any order is fine), by
    the rule in the module docstring; new or moved boot starts are added to `learned`."""
    order = sorted(range(len(records)), key=lambda i: records[i].seq, reverse=True)
    out: list[tuple[int, bool]] = [(0, False)] * len(records)
    now = int(host_now)
    boot_byte = device_boot & 0xFF
    starts: dict[int, BootStart] = dict(boot_starts or {})
    starts.setdefault(boot_byte, (host_now - device_uptime_s / rate, False))
    ceiling = float(now)
    current_run = True  # still in the newest run of records from the current boot
    run_boot: int | None = None
    newest_of_run = True
    for i in order:
        r = records[i]
        if run_boot is not None and r.boot != run_boot:
            current_run = False  # entering an older boot: it ended before the newer began
            newest_of_run = True
            if run_boot in starts:
                ceiling = min(ceiling, starts[run_boot][0])
        if run_boot is None and r.boot != boot_byte:
            current_run = False  # nothing recorded in this boot: all before it began
            ceiling = min(ceiling, starts[boot_byte][0])
        run_boot = r.boot
        plausible = floor <= r.start <= now + FUTURE_SLACK_S
        if not (r.flags & record.CLOCK_UNSET) and plausible:
            start, approx = float(r.start), False
        elif r.flags & record.CLOCK_UNSET:
            guess = not current_run and newest_of_run
            known = _boot_start(r, starts, ceiling, guess, rate, learned)
            start, approx = known[0] + r.start / rate, True
            newest_of_run = False
        else:
            start, approx = ceiling - r.active_s, True
        if approx:
            start = max(float(floor), min(start, float(now)))
        out[i] = (int(start), approx)
        ceiling = min(ceiling, start)
    return out


def _boot_start(r: SessionRecord, starts: dict[int, BootStart], ceiling: float, guess: bool,
                rate: float, learned: dict[int, BootStart] | None) -> BootStart:
    """The start of the boot of `r` (a record.CLOCK_UNSET record). `guess`: `r` is the newest
    record of an older boot, whose start is guessed (or moved earlier) to end by `ceiling`."""
    known = starts.get(r.boot)
    if guess:
        latest = ceiling - (r.start + r.active_s) / rate  # both in device seconds
        if known is not None and known[0] >= ceiling:
            known = None  # a stale entry (the boot byte wrapped): not this boot
        if known is None or (known[1] and known[0] > latest):
            known = (latest, True)
            starts[r.boot] = known
            if learned is not None:
                learned[r.boot] = known
    assert known is not None
    return known
