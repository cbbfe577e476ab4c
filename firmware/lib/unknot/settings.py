"""Settings: defaults, parsing from settings.toml (`os.getenv` on the board) and persisted
overrides (written over BLE, stored in the nvm `Store`). Keys are documented in
docs/firmware.md and firmware/settings.toml."""

# The one settings table: key -> default; the default's type (int or str) is the setting's
# type. The host reads it through unknot.core (`unknot device config`), firmware/settings.toml
# and docs/firmware.md are checked against it. What each key accepts is in RANGES below,
# keyed the same way.
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
    "UNKNOT_WATCHDOG_S": 120,
    "UNKNOT_MAX_SLEEP_S": 60,  # longest main-loop sleep (must be < watchdog)
    "UNKNOT_LOW_BATTERY_MV": 3500,
}


# What each key accepts (checked wherever a value comes in: settings.toml at boot, a BLE
# SET_SETTINGS, `unknot device config` on the host). An int key: (lowest, highest), both
# inclusive. A str key: a tuple of the allowed values; TEXT, a name of at most MAX_TEXT
# letters, digits or "_" ("" = the default); or ROUTINE, "" or the slug / file stem of an
# installed routine (the device checks that it exists: `app.routines`). The bounds keep the
# loop sane: every deadline is at least ~100 ms away (gestures, nudges, snoozes), the longest
# sleep is at most half the shortest watchdog (a tested sweep of every bound:
# tests/firmware/test_fw_settings.py).
TEXT = "text"
ROUTINE = "routine"
MAX_TEXT = 32
RANGES = {
    "UNKNOT_BOARD": TEXT,
    "UNKNOT_MOTOR": ("", "drv2605", "pwm"),
    "UNKNOT_MOTOR_PIN": TEXT,
    "UNKNOT_BUTTON_PIN": TEXT,
    "UNKNOT_DRV_LIBRARY": (1, 6),
    "UNKNOT_MOTOR_LATENCY_MS": (0, 250),
    "UNKNOT_MOTOR_STRENGTH": (20, 100),  # a buzz the wearer cannot feel is no reminder
    "UNKNOT_DOUBLE_MS": (150, 800),
    "UNKNOT_LONG_MS": (500, 5000),
    "UNKNOT_MICRO_MIN": (0, 480),
    "UNKNOT_REST_MIN": (0, 480),
    "UNKNOT_MICRO_ROUTINE": ROUTINE,
    "UNKNOT_REST_ROUTINE": ROUTINE,
    "UNKNOT_ACTIVE_START": (0, 23),
    "UNKNOT_ACTIVE_END": (0, 24),  # 24: until midnight (START=0, END=24: all day)
    "UNKNOT_UTC_OFFSET_MIN": (-720, 840),
    "UNKNOT_NUDGE_REPEAT_S": (10, 3600),
    "UNKNOT_NUDGE_GIVEUP_S": (10, 7200),
    "UNKNOT_SNOOZE_MIN": (1, 120),
    "UNKNOT_MAX_SNOOZES": (0, 10),
    "UNKNOT_TICKS": (0, 1),
    "UNKNOT_WATCHDOG_S": (120, 600),
    "UNKNOT_MAX_SLEEP_S": (5, 60),  # at most half of the shortest watchdog
    "UNKNOT_LOW_BATTERY_MV": (3000, 3800),
}


def _text_ok(value):
    if len(value) > MAX_TEXT:
        return False
    for ch in value:
        if not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9" or ch in "_-"):
            return False
    return True


def check(key, value, routines=None):
    """`value` as the type of `key` when the table accepts it, else None: unknown key, wrong
    type, out of range, not an allowed value. A ROUTINE key is checked against `routines`
    (a function name -> bool) when given."""
    if key not in DEFAULTS:
        return None
    rule = RANGES[key]
    if isinstance(DEFAULTS[key], int):
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                return None
        elif not isinstance(value, int):
            return None
        return value if rule[0] <= value <= rule[1] else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = "%d" % value  # settings.toml: os.getenv gives an int for a bare number
    if not isinstance(value, str):
        return None
    if rule == TEXT or rule == ROUTINE:
        if not _text_ok(value):
            return None
        if rule == ROUTINE and value and routines is not None and not routines(value):
            return None
        return value
    return value if value in rule else None


class Refused(ValueError):
    """A settings write names a key the table refuses (`key`): nothing of it is applied."""

    def __init__(self, key):
        ValueError.__init__(self, key)
        self.key = key


def coerce(key, value):
    """The value of `key` when the table accepts it (routine names unchecked), else None."""
    return check(key, value)


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
