"""The settings table (firmware settings.py TABLE): every default passes its own rule, the
App refuses what it refuses (all or nothing, naming the key), and no
accepted value can make the loop busy-wait or starve the watchdog (every bound swept through
the App loop on virtual time)."""

from __future__ import annotations

from typing import Any

import pytest

MIN = 60_000


@pytest.fixture
def make(fw: Any, sa: Any, unkbuild: Any) -> Any:
    def make(settings: dict[str, object] | None = None) -> Any:
        files = {
            "a.unk": unkbuild.build(unkbuild.SAMPLES["breathe"], slug="micro"),
            "b.unk": unkbuild.build(unkbuild.SAMPLES["holds"], slug="rest"),
        }
        return sa.make_app(fw.app.App, files, nvm=bytearray(b"\xff" * 8192),
                           settings=settings or {})

    return make


def test_every_key_has_a_rule_and_every_default_passes_it(fw: Any) -> None:
    s = fw.settings
    for key, default in s.defaults().items():
        assert s.check(key, default) == default, key
        assert isinstance(default, int) == (len(s.TABLE[key]) == 3), key


def test_table_refuses_unknown_wrong_type_out_of_range(fw: Any) -> None:
    s = fw.settings
    assert s.check("UNKNOT_BOGUS", 1) is None
    assert s.check("UNKNOT_ACTIVE_START", 24) is None
    assert s.check("UNKNOT_ACTIVE_START", 23) == 23
    assert s.check("UNKNOT_ACTIVE_START", "7") == 7
    assert s.check("UNKNOT_ACTIVE_START", "seven") is None
    assert s.check("UNKNOT_MAX_SLEEP_S", 100_000) is None
    assert s.check("UNKNOT_MAX_SLEEP_S", -5) is None
    assert s.check("UNKNOT_DOUBLE_MS", -1) is None
    assert s.check("UNKNOT_MOTOR", "steam") is None
    assert s.check("UNKNOT_MOTOR", "pwm") == "pwm"
    # a text value cannot smuggle a second KEY=value line into the persisted store
    assert s.check("UNKNOT_MICRO_ROUTINE", "x\nMAX_SLEEP_S=100000") is None
    assert s.check("UNKNOT_MICRO_ROUTINE", "x" * (s.MAX_TEXT + 1)) is None
    assert s.check("UNKNOT_MICRO_ROUTINE", "gone", lambda name: False) is None
    assert s.check("UNKNOT_MICRO_ROUTINE", "", lambda name: False) == ""


def test_sleep_is_well_below_the_watchdog(fw: Any) -> None:
    t = fw.settings.TABLE
    assert t["UNKNOT_MAX_SLEEP_S"][2] * 2 <= t["UNKNOT_WATCHDOG_S"][1]


def test_settings_toml_out_of_range_falls_back_to_the_default(fw: Any) -> None:
    env = {"UNKNOT_MAX_SLEEP_S": 100_000, "UNKNOT_MICRO_MIN": 45}
    out = fw.settings.load(env.get)
    assert out["UNKNOT_MAX_SLEEP_S"] == fw.settings.defaults()["UNKNOT_MAX_SLEEP_S"]
    assert out["UNKNOT_MICRO_MIN"] == 45


def test_app_refuses_the_whole_write_naming_the_key(fw: Any, make: Any) -> None:
    app = make()
    before = dict(app.settings)
    for bad in ({"UNKNOT_SNOOZE_MIN": 7, "UNKNOT_MICRO_MIN": -1},
                {"UNKNOT_SNOOZE_MIN": 7, "UNKNOT_BOGUS": 1},
                {"UNKNOT_SNOOZE_MIN": 7, "UNKNOT_REST_ROUTINE": "not-installed"}):
        with pytest.raises(KeyError) as err:
            app.apply_settings(bad)
        assert err.value.args[0] == next(k for k in bad if k != "UNKNOT_SNOOZE_MIN")
        assert app.settings == before and app.overrides == {}
    assert app.apply_settings({"UNKNOT_REST_ROUTINE": "rest"}) == {"UNKNOT_REST_ROUTINE": "rest"}


class FeedLog:
    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.at: list[int] = []

    def feed(self) -> None:
        self.at.append(self.clock.t)


def _run(app: Any, until: int, max_steps: int) -> int:
    """Step the app on virtual time to `until`; the number of steps (fails past max_steps:
    a busy loop)."""
    clock = app.clock
    steps = 0
    while clock.t < until:
        d = app.safe_step()
        steps += 1
        assert steps <= max_steps, f"busy loop: {steps} steps before t={clock.t}"
        clock.t = min(max(clock.t, d), until)
    return steps


def _press(app: Any, kind: str) -> None:
    t = app.clock.t
    b = app.button
    if kind == "press":
        b.push(True, t), b.push(False, t + 80)
    elif kind == "double":
        b.push(True, t), b.push(False, t + 80), b.push(True, t + 120), b.push(False, t + 180)
    else:
        b.push(True, t), b.push(False, t + 6000)


def _bounds(fw: Any) -> list[tuple[bool, dict[str, object]]]:
    """(written over BLE?, settings): each bound of every int key written as a host would,
    then all lowest / all highest at once from settings.toml (too many for one write)."""
    s = fw.settings
    ints = {k: e[1:] for k, e in s.TABLE.items() if len(e) == 3}
    out: list[tuple[bool, dict[str, object]]] = []
    for key, (lo, hi) in sorted(ints.items()):
        out += [(True, {key: lo}), (True, {key: hi})]
    out.append((False, {k: r[0] for k, r in ints.items()}))
    out.append((False, {k: r[1] for k, r in ints.items()}))
    return out


def test_no_accepted_value_busy_waits_or_starves_the_watchdog(fw: Any, make: Any) -> None:
    """Every bound of every key, written as the host would (apply_settings), then 3 virtual
    hours of reminders, presses, a routine, snoozes: the watchdog is fed at least every
    UNKNOT_MAX_SLEEP_S (<= half of any accepted watchdog), and the loop wakes at most a few
    times a second while a routine plays (no busy wait)."""
    for written, values in _bounds(fw):
        app = make(None if written else values)
        if written:
            app.apply_settings(values)
        s = app.settings
        assert all(s[k] == v for k, v in values.items())
        app.clock.set_unix(1_767_225_600 + 12 * 3600)  # midday UTC
        feeds = FeedLog(app.clock)
        app.watchdog = feeds
        hours = 3
        # a routine plays at most ~10 wake-ups/s; idle ones are a few a minute
        cap = hours * 3600 * 12
        _run(app, 20 * MIN, cap)
        for kind in ("double", "press", "long", "press", "double", "press"):
            _press(app, kind)
            _run(app, app.clock.t + 7 * MIN, cap)
        _run(app, hours * 3600 * 1000, cap)
        gaps = [b - a for a, b in zip(feeds.at, feeds.at[1:], strict=False)]
        assert max(gaps) <= s["UNKNOT_MAX_SLEEP_S"] * 1000, values
        assert max(gaps) * 2 <= s["UNKNOT_WATCHDOG_S"] * 1000, values
        assert app.errors == 0, (values, app.last_error)
        assert len(feeds.at) <= cap, values
