"""Clock reconstruction: a UTC start time for every session record, exact when the device
clock was set, reconstructed (approximate) when it was not. The rule is in docs/history.md."""

from __future__ import annotations

from collections.abc import Sequence

from unknot.journal import CLOCK_UNSET, SessionRecord

# No reconstructed or accepted start time is earlier than this (2020-01-01T00:00:00Z):
# an unset device clock must never show up as a 1970 or 2000 date.
TIME_FLOOR = 1577836800
# A "clock set" record later than the host's clock by more than this is implausible.
FUTURE_SLACK_S = 86400


def reconstruct_starts(
    records: Sequence[SessionRecord],
    *,
    device_uptime_s: int,
    device_boot: int,
    host_now: float,
    floor: int = TIME_FLOOR,
) -> list[tuple[int, bool]]:
    """(start_utc, approximate) for each record, in the order given (any order is fine).

    Rule (docs/history.md): records are walked from the newest seq back to the oldest with
    a ceiling, the latest time the record can have started (initially host_now, then the
    start of the next newer record, and the start of that record's boot when known).
    - Clock set and plausible (floor <= start <= host_now + 1 day): taken as is, exact.
    - CLOCK_UNSET in the current boot (same boot byte, and no newer record of another boot):
      host_now - (device_uptime_s - start), approximate.
    - CLOCK_UNSET in an earlier boot: if a newer record of the same boot run was placed, the
      same offset from it (uptimes within a boot are exact); otherwise the record is placed
      to end just before the ceiling (ceiling - active_s), approximate.
    - "Clock set" but implausible (e.g. an RTC reset to 2000): like the previous case.
    Every result is clamped into [floor, ceiling] and never before `floor` (2020-01-01).
    """
    order = sorted(range(len(records)), key=lambda i: records[i].seq, reverse=True)
    out: list[tuple[int, bool]] = [(0, False)] * len(records)
    now = int(host_now)
    ceiling = now
    boot_byte = device_boot & 0xFF
    current_run = True  # still in the newest run of records from the current boot
    run_boot: int | None = None
    anchor: tuple[int, int] | None = None  # (utc, uptime) of a placed unset record in this run
    for i in order:
        r = records[i]
        if run_boot is not None and r.boot != run_boot:
            # entering an older boot: it ended before the newer boot started, if we know when
            if current_run:
                ceiling = min(ceiling, now - device_uptime_s)
            elif anchor is not None:
                ceiling = min(ceiling, anchor[0] - anchor[1])
            anchor = None
            current_run = False
        if run_boot is None and r.boot != boot_byte:
            current_run = False  # nothing recorded in this boot: all before it began
            ceiling = min(ceiling, now - device_uptime_s)
        run_boot = r.boot
        plausible = floor <= r.start <= now + FUTURE_SLACK_S
        if not (r.flags & CLOCK_UNSET) and plausible:
            start, approx = r.start, False
        elif r.flags & CLOCK_UNSET and current_run:
            start, approx = now - (device_uptime_s - r.start), True
        elif r.flags & CLOCK_UNSET and anchor is not None:
            start, approx = anchor[0] - (anchor[1] - r.start), True
        else:
            start, approx = ceiling - r.active_s, True
        if approx:
            start = max(floor, min(start, ceiling))
            if r.flags & CLOCK_UNSET:
                anchor = (start, r.start)
        out[i] = (start, approx)
        ceiling = min(ceiling, start)
    return out
