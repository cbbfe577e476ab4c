"""Settings: defaults, parsing from settings.toml (`os.getenv` on the board) and persisted
overrides (written over BLE, stored in the nvm `Store`). Keys are documented in
docs/firmware.md and firmware/settings.toml."""

# The one settings table: key -> (default, what it accepts). The default's type (int or str)
# is the setting's type. An int key accepts lowest..highest (both inclusive): (default, lowest,
# highest). A str key: (default, rule), the rule a tuple of the allowed values; TEXT, a name of
# at most MAX_TEXT letters, digits, "_" or "-"; or ROUTINE, "" or the slug / file stem of an
# installed routine (the device checks that it exists). Checked wherever a value comes in:
# settings.toml at boot (a refused value keeps the default), a BLE SET_SETTINGS (refused with
# BAD_SETTING naming the key), `unknot device config` on the host (through unknot.core);
# firmware/settings.toml and docs/firmware.md are checked against it. The bounds keep the loop
# sane: every deadline is at least ~100 ms away (gestures, nudges, snoozes) and the longest
# sleep is at most half the shortest watchdog (every bound is swept through the App loop:
# tests/firmware/test_fw_settings.py).
try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


_TEXT = const("text")
_ROUTINE = const("routine")
_MAX_TEXT = const(32)
TABLE = {
    "UNKNOT_BOARD": ("feather_nrf52840", _TEXT),
    "UNKNOT_MOTOR": ("", ("", "drv2605", "pwm")),  # "" = the board's default
    "UNKNOT_MOTOR_PIN": ("", _TEXT),  # PWM pin name; "" = the board's default
    "UNKNOT_BUTTON_PIN": ("", _TEXT),  # "" = the board's default
    "UNKNOT_DRV_LIBRARY": (1, 1, 6),  # DRV2605 library: 1-5 ERM, 6 LRA
    "UNKNOT_MOTOR_LATENCY_MS": (60, 0, 250),  # cues are sent this early (ERM ~50-100, LRA ~10-20)
    "UNKNOT_MOTOR_STRENGTH": (100, 20, 100),  # percent, scales PWM envelopes; never unfelt
    "UNKNOT_DOUBLE_MS": (350, 150, 800),  # double-press window
    "UNKNOT_LONG_MS": (1000, 500, 5000),  # long-press threshold
    "UNKNOT_MICRO_MIN": (30, 0, 480),  # micro-break every N minutes (0 = off)
    "UNKNOT_REST_MIN": (60, 0, 480),  # rest break every N minutes (0 = off)
    "UNKNOT_MICRO_ROUTINE": ("", _ROUTINE),  # slug or file stem; "" = first routine
    "UNKNOT_REST_ROUTINE": ("", _ROUTINE),  # slug or file stem; "" = last routine
    "UNKNOT_ACTIVE_START": (8, 0, 23),  # active hours, local hour; needs the clock set
    "UNKNOT_ACTIVE_END": (19, 0, 24),  # 24: until midnight (START=0, END=24: all day)
    "UNKNOT_UTC_OFFSET_MIN": (0, -720, 840),  # local time = UTC + this
    "UNKNOT_NUDGE_REPEAT_S": (60, 10, 3600),
    "UNKNOT_NUDGE_GIVEUP_S": (600, 10, 7200),
    "UNKNOT_SNOOZE_MIN": (5, 1, 120),
    "UNKNOT_MAX_SNOOZES": (2, 0, 10),
    "UNKNOT_TICKS": (1, 0, 1),  # light ticks during long holds (0 = off)
    "UNKNOT_EXERCISE_NUMBER": (1, 0, 1),  # at an exercise boundary, tap the next one's number
    "UNKNOT_WATCHDOG_S": (120, 120, 600),
    "UNKNOT_MAX_SLEEP_S": (60, 5, 60),  # longest main-loop sleep: at most half the watchdog
    "UNKNOT_LOW_BATTERY_MV": (3500, 3000, 3800),
    "UNKNOT_BATTERY": (1, 0, 1),  # 0: no battery; on USB every session is written at once
}


def defaults():
    """key -> default, a new dict."""
    out = {}
    for key in TABLE:
        out[key] = TABLE[key][0]
    return out


def check(key, value, routines=None):
    """`value` as the type of `key` when the table accepts it, else None: unknown key, wrong
    type, out of range, not an allowed value. A ROUTINE key is checked against `routines`
    (a function name -> bool) when given."""
    entry = TABLE.get(key)
    if entry is None:
        return None
    if len(entry) == 3:
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                return None
        elif not isinstance(value, int):  # bool is an int: True = 1
            return None
        return int(value) if entry[1] <= value <= entry[2] else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = "%d" % value  # settings.toml: os.getenv gives an int for a bare number
    if not isinstance(value, str):
        return None
    rule = entry[1]
    if rule == _TEXT or rule == _ROUTINE:
        if len(value) > _MAX_TEXT:
            return None
        for ch in value:
            if not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9" or ch in "_-"):
                return None
        if rule == _ROUTINE and value and routines is not None and not routines(value):
            return None
        return value
    return value if isinstance(rule, tuple) and value in rule else None


def load(getenv=None, overrides=None):
    """Defaults, then settings.toml values (via `getenv(key)`), then persisted overrides."""
    out = defaults()
    if getenv is not None:
        for key in TABLE:
            try:
                raw = getenv(key)
            except Exception:
                raw = None
            if raw is not None:
                val = check(key, raw)
                if val is not None:
                    out[key] = val
    if overrides:
        for key in overrides:
            val = check(key, overrides[key])
            if val is not None:
                out[key] = val
    return out


_PREFIX = const("UNKNOT_")
# The last start's BLE outcome, kept among the persisted settings as the line "radio=" (BLE
# started) or "radio=<why not>" (docs/journal.md "Layout"; blenote.keep writes it, boot.py
# prints it into boot_out.txt). Not a setting (setting keys are upper case): decode() keeps
# it under this key, load() and check() ignore it (an older firmware drops it).
RADIO = "radio"


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
            if key == RADIO:
                out[key] = value
                continue
            key = _PREFIX + key
            val = check(key, value)
            if val is not None:
                out[key] = val
    return out
