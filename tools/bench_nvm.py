"""Flash wear and what a power cut costs (run by tools/bench.py): `run() -> dict`.

The firmware App on the page-erase nvm model (unknot.sim.simnvm: one erase per page a write
touches) with sleep memory (simnvm.SleepMemory), on virtual time, for DAYS simulated days:

- fw_nvm_endurance_years: 12 sessions and 3 boots a day; the rated 10,000 erase cycles of
  the most-erased page over its erases per day.
- fw_nvm_endurance_years_default: the default settings when the wearer takes every nudge
  (22 sessions: 30-min micro-breaks and hourly rests over 11 active hours), 3 boots and 4
  settings changes (from a paired host) a day.
- fw_nvm_erases_per_day_max_host: the most erases in any 24 hours of three days of a
  paired host that asks, once a minute, for everything that can touch the nvm: a settings
  change, the self-test, a new pairing, a forget (no sessions).
- fw_sessions_at_risk_max: the most finished sessions a power cut (the sleep memory lost)
  took, over a cut after every session of the default day's schedule.
- fw_nvm_erases_per_session / fw_nvm_erases_per_boot: the 12-a-day run's averages.

    python tools/bench.py --only nvm
"""

from __future__ import annotations

from typing import Any

from unknot import fwload
from unknot.sim import simadapters as sa
from unknot.sim.simnvm import RATED_ERASES, PageNVM, new_nvm
from unknot.sim.simram import SleepMemory, new_sleep_memory

DAYS = 7
HOUR = 3_600_000
SETTINGS = {"UNKNOT_MICRO_MIN": 0, "UNKNOT_REST_MIN": 0}  # sessions are started by the bench


def _boot(nvm: PageNVM, ram: SleepMemory, lib: dict[str, bytes]) -> Any:
    return sa.make_app(fwload.module("app").App, dict(lib), nvm=nvm, settings=dict(SETTINGS),
                       ram=ram)


def _idle(app: Any, ms: int) -> None:
    """Let the App run (virtual time) for `ms`."""
    clock = app.clock
    until = clock.t + ms
    while True:
        d = app.safe_step()
        if d > until:
            clock.t = until
            return
        clock.t = max(clock.t, d)


def _day(nvm: PageNVM, ram: SleepMemory, lib: dict[str, bytes], sessions: int, boots: int,
         changes: int, day: int) -> dict[str, int]:
    """One day: `boots` boots (resets: the sleep memory is kept), the sessions and settings
    changes spread over 16 waking hours. Returns erases by what caused them."""
    out = {"boot": 0, "session": 0, "settings": 0}
    per_boot = [sessions // boots + (b < sessions % boots) for b in range(boots)]
    changed = 0
    for b in range(boots):
        e = sum(nvm.erases)
        app = _boot(nvm, ram, lib)
        out["boot"] += sum(nvm.erases) - e
        slot = 16 * HOUR // boots // max(1, per_boot[b])
        for _ in range(per_boot[b]):
            e = sum(nvm.erases)
            sa.play_all(app, 0)
            out["session"] += sum(nvm.erases) - e
            if changed < changes * (b + 1) // boots:
                e = sum(nvm.erases)
                app.apply_settings({"UNKNOT_SNOOZE_MIN": 5 + (day + changed) % 7})
                out["settings"] += sum(nvm.erases) - e
                changed += 1
            _idle(app, slot)
    return out


def endurance(lib: dict[str, bytes], sessions: int, boots: int, changes: int,
              days: int = DAYS) -> dict[str, float]:
    nvm, ram = new_nvm(), new_sleep_memory()
    total = {"boot": 0, "session": 0, "settings": 0}
    for day in range(days):
        for k, v in _day(nvm, ram, lib, sessions, boots, changes, day).items():
            total[k] += v
    per_day = max(nvm.erases) / days  # the most-erased page
    return {
        "years": round(RATED_ERASES / per_day / 365, 1),
        "erases_per_day": round(sum(nvm.erases) / days, 2),
        "per_session": round(total["session"] / (sessions * days), 3),
        "per_boot": round(total["boot"] / (boots * days), 3),
    }


def host_day(lib: dict[str, bytes], days: int = 3) -> int:
    """The most erases in any 24 hours of `days` days of a paired host asking, once a
    minute, for everything that touches the nvm."""
    nvm, ram = new_nvm(), new_sleep_memory()
    app = _boot(nvm, ram, lib)
    minute = 60_000
    per_minute = []
    for i in range(days * 24 * 60):
        e = sum(nvm.erases)
        kind = i % 4
        if kind == 0:
            app.apply_settings({"UNKNOT_SNOOZE_MIN": 5 + i % 7})
        elif kind == 1:
            app.start_selftest(app.clock.t, lambda *_: None)
        elif kind == 2:
            app.keyring.keep(bytes([i % 251] * 8), bytes(16))  # a pairing's end
            app._save_hosts()  # the keyring's save callback
        else:
            app.keyring.forget()
        _idle(app, minute)
        per_minute.append(sum(nvm.erases) - e)
    day = 24 * 60
    return max(sum(per_minute[i : i + day]) for i in range(len(per_minute) - day + 1))


def at_risk(lib: dict[str, bytes], sessions: int = 22) -> int:
    """The most sessions a power cut after one of the day's sessions loses."""
    nvm, ram = new_nvm(), new_sleep_memory()
    app = _boot(nvm, ram, lib)
    worst = 0
    for _ in range(sessions):
        sa.play_all(app, 0)
        j = app.journal
        seen = {s: bytes(j.read(s) or b"") for s in range(j.tail, j.head)}
        cut_nvm = PageNVM(data=bytes(nvm.data))
        cut_ram = SleepMemory()
        cut_ram.data[:] = ram.data
        cut_ram.power_cut(len(seen) + 1)
        after = _boot(cut_nvm, cut_ram, lib).journal
        lost = sum(1 for s, rec in seen.items() if after.read(s) != rec)
        # a new epoch is a new journal for the host (a journal never written to flash)
        assert after.head > max(seen) or after.epoch != j.epoch, "a seq would come back"
        worst = max(worst, lost)
        _idle(app, HOUR // 2)
    return worst


def run() -> dict[str, float | int]:
    from bench_firmware import library

    lib = library()
    twelve = endurance(lib, 12, 3, 0)
    default = endurance(lib, 22, 3, 4)
    return {
        "fw_nvm_endurance_years": twelve["years"],
        "fw_nvm_endurance_years_default": default["years"],
        "fw_nvm_erases_per_day_12": twelve["erases_per_day"],
        "fw_nvm_erases_per_day_default": default["erases_per_day"],
        "fw_nvm_erases_per_session": twelve["per_session"],
        "fw_nvm_erases_per_boot": twelve["per_boot"],
        "fw_nvm_erases_per_day_max_host": host_day(lib),
        "fw_sessions_at_risk_max": at_risk(lib),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
