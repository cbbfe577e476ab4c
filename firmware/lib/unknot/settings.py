"""Settings: defaults, parsing from settings.toml (`os.getenv` on the board) and persisted
overrides (written over BLE, stored in the nvm `Store`). Keys are documented in
docs/firmware.md and firmware/settings.toml."""

# The one settings table: key -> default; the default's type (int or str) is the setting's
# type. The host reads it through unknot.core (`unknot device config`), firmware/settings.toml
# and docs/firmware.md are checked against it. Ranges, when added, go in a table keyed the
# same way next to this one.
DEFAULTS = {
    "UNKNOT_BOARD": "feather_nrf52840",
    "UNKNOT_MOTOR": "",  # drv2605 | pwm; "" = the board's default
    "UNKNOT_MOTOR_PIN": "",  # PWM pin name; "" = the board's default
    "UNKNOT_BUTTON_PIN": "",  # "" = the board's default
    "UNKNOT_DRV_LIBRARY": 1,  # DRV2605 library: 1-5 ERM, 6 LRA
    "UNKNOT_MOTOR_LATENCY_MS": 60,  # cues are sent this early (ERM ~50-100, LRA ~10-20)
    "UNKNOT_MOTOR_STRENGTH": 100,  # percent, scales PWM envelopes
    "UNKNOT_DOUBLE_MS": 350,  # double-press window
    "UNKNOT_LONG_MS": 1000,  # long-press threshold
    "UNKNOT_MICRO_MIN": 30,  # micro-break every N minutes (0 = off)
    "UNKNOT_REST_MIN": 60,  # rest break every N minutes (0 = off)
    "UNKNOT_MICRO_ROUTINE": "",  # slug or file stem; "" = first routine
    "UNKNOT_REST_ROUTINE": "",  # slug or file stem; "" = last routine
    "UNKNOT_ACTIVE_START": 8,  # active hours (local time, hours 0-24); needs the clock set
    "UNKNOT_ACTIVE_END": 19,
    "UNKNOT_UTC_OFFSET_MIN": 0,  # local time = UTC + this
    "UNKNOT_NUDGE_REPEAT_S": 60,
    "UNKNOT_NUDGE_GIVEUP_S": 600,
    "UNKNOT_SNOOZE_MIN": 5,
    "UNKNOT_MAX_SNOOZES": 2,
    "UNKNOT_TICKS": 1,  # light ticks during long holds (0 = off)
    "UNKNOT_EXERCISE_NUMBER": 1,  # at an exercise boundary, tap the next exercise's number
    "UNKNOT_WATCHDOG_S": 120,
    "UNKNOT_MAX_SLEEP_S": 60,  # longest main-loop sleep (must be < watchdog)
    "UNKNOT_LOW_BATTERY_MV": 3500,
}


def coerce(key, value):
    """The value of `key` as its default's type, or None when unknown/invalid."""
    if key not in DEFAULTS:
        return None
    default = DEFAULTS[key]
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if value is None:
        return None
    return str(value)


def load(getenv=None, overrides=None):
    """Defaults, then settings.toml values (via `getenv(key)`), then persisted overrides."""
    out = dict(DEFAULTS)
    if getenv is not None:
        for key in DEFAULTS:
            try:
                raw = getenv(key)
            except Exception:
                raw = None
            if raw is not None:
                val = coerce(key, raw)
                if val is not None:
                    out[key] = val
    if overrides:
        for key in overrides:
            val = coerce(key, overrides[key])
            if val is not None:
                out[key] = val
    return out


_PREFIX = "UNKNOT_"


def encode(overrides):
    """Persisted form: b"KEY=value\\n" lines (ASCII), keys without the UNKNOT_ prefix."""
    parts = []
    for key in sorted(overrides):
        short = key[len(_PREFIX):] if key.startswith(_PREFIX) else key
        parts.append("%s=%s\n" % (short, overrides[key]))
    return "".join(parts).encode()


def decode(blob):
    out = {}
    try:
        text = bytes(blob).decode()
    except Exception:
        return out
    for line in text.split("\n"):
        if "=" in line:
            key, _, value = line.partition("=")
            key = _PREFIX + key
            val = coerce(key, value)
            if val is not None:
                out[key] = val
    return out
