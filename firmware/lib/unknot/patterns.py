"""The haptic vocabulary: ONE table, one rhythm per cue (docs/firmware.md, "Haptic vocabulary").

Every cue is a short rhythm of pulses. Each pulse has a shape (flat, rising, falling), a level
(0..255) and a length, and is followed by a gap. Both motor drivers play the same rhythm
(hw/motor.py derives from this table): a PWM motor plays `envelope(name)`, a DRV2605 plays one
ROM effect per pulse (`drv_effect()`, effect ids from the DRV2605 datasheet's waveform
library) and the adapter times the gaps and stops sustained effects at the pulse length.

The rule that makes cues tell-apart-able by touch alone (checked by tests/host/test_haptics.py
and measured by tools/bench_haptics.py from this table):
- every gap between two pulses is at least GAP_MIN_MS, so a different pulse count is felt;
- two cues with the same pulse count differ in the length of at least one pulse by
  MARGIN_MS or more; every pulse is at most PULSE_MAX_MS, so MARGIN_MS is never below the
  ~13 % Weber fraction for vibrotactile duration (the source is cited in docs/firmware.md).
Level and shape (swell, fade) make cues easier still, but are never the only difference.

Storage (RAM-light bytes): per pulse 4 bytes: shape, level, length / 10 ms, gap after / 10 ms.
The last gap is 0, except for cues played n times in a row (`select`), whose gap spaces them.
Unknown names give empty tuples (nothing is played).
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


FLAT = const(0)
RISE = const(1)
FALL = const(2)

MARGIN_MS = const(100)  # smallest pulse-length difference between two same-count cues
GAP_MIN_MS = const(100)  # smallest gap between two pulses of one cue
PULSE_MIN_MS = const(40)  # shortest pulse (felt as a tap; shorter is hardly felt)
PULSE_MAX_MS = const(760)  # longest pulse: MARGIN_MS >= 13 % of every pulse
TAP_MS = const(60)  # pulses up to this are taps: a DRV2605 click effect, self-ending

# DRV2605 ROM effect ids (datasheet, "Waveform Library Effects List")
_DRV_STRONG_CLICK = const(1)  # Strong Click - 100%
_DRV_MEDIUM_CLICK = const(21)  # Medium Click 1 - 100%
_DRV_SHARP_TICK_60 = const(26)  # Sharp Tick 3 - 60%
_DRV_LONG_BUZZ = const(118)  # Long buzz for programmatic stopping - 100%
_DRV_SMOOTH_HUM_50 = const(119)  # Smooth Hum 1 (No kick or brake pulse) - 50%
_DRV_RAMP_UP = const(82)  # Transition Ramp Up Long Smooth 1 - 0 to 100%
_DRV_RAMP_DOWN = const(70)  # Transition Ramp Down Long Smooth 1 - 100 to 0%

# (name, pulses: shape, level, length/10 ms, gap after/10 ms ..., what it means), in the
# order the self-test plays them (a tuple: MicroPython dicts have no order)
_TABLE = (
    # -- routine cues (the player) --
    ("begin", b"\x00\xff\x05\x0f\x00\xff\x05\x0f\x00\xff\x26\x00", "routine starts"),
    ("inhale", b"\x01\xff\x34\x00", "breathe in"),
    ("hold_in", b"\x00\xc8\x05\x0f\x00\x5a\x40\x00", "hold the breath"),
    ("exhale", b"\x02\xff\x4b\x00", "breathe out"),
    ("pause", b"\x00\x5a\x1a\x14\x00\x5a\x1a\x00", "rest before the next breath"),
    ("hold_start", b"\x00\xff\x26\x0f\x00\xff\x05\x00", "start holding the stretch"),
    ("tick", b"\x00\x6e\x04\x00", "5 s passed in a long hold or rest"),
    ("countdown", b"\x00\xc8\x1a\x00", "a second left (last seconds of a hold)"),
    ("hold_end", b"\x00\xff\x05\x0f\x00\xff\x26\x00", "release the stretch"),
    ("switch", b"\x00\xff\x0f\x0f\x00\xff\x0f\x0f\x00\xff\x0f\x00", "switch side"),
    ("rep", b"\x00\xff\x0f\x00", "a repetition starts"),
    ("rep_end", b"\x00\x78\x05\x0f\x00\x78\x05\x00", "repetition done"),
    ("rest", b"\x00\x64\x40\x00", "rest"),
    ("next_exercise", b"\x00\xff\x26\x0f\x00\xff\x05\x0f\x00\xff\x26\x00",
     "get ready: the next exercise"),
    ("done", b"\x00\xff\x05\x0f\x00\xff\x05\x0f\x00\xff\x4b\x00", "routine done"),
    # -- device cues (the app) --
    ("nudge", b"\x00\xc8\x1a\x19\x00\xc8\x1a\x19\x00\xc8\x1a\x00", "time for a break"),
    ("nudge_firm", b"\x00\xff\x34\x0f\x00\xff\x34\x0f\x00\xff\x34\x00", "break overdue"),
    ("ack", b"\x00\xff\x1a\x0c\x00\xff\x05\x00", "button acknowledged"),
    ("select", b"\x00\xdc\x26\x0f", "one per number: routine or exercise number"),
    ("paused", b"\x00\xff\x05\x0f\x02\xc8\x4b\x00", "paused"),
    ("resumed", b"\x01\xff\x34\x0f\x00\xff\x05\x00", "resumed"),
    ("aborted", b"\x00\xff\x34\x0f\x02\xff\x34\x00", "stopped"),
    ("refused", b"\x00\xff\x05\x0c\x00\xff\x05\x0c\x00\xff\x05\x0c\x00\xff\x05\x00",
     "not allowed (snooze limit reached)"),
    # -- consent cues (the keyring, docs/security.md) --
    ("pair_open", b"\x01\xff\x34\x0f\x00\xff\x05\x0f\x00\xff\x05\x00",
     "pairing window open (60 s)"),
    ("pair_ok", b"\x01\xff\x40\x0f\x01\xff\x1a\x00", "a new computer paired"),
    ("forget", b"\x02\xff\x4b\x0f\x02\xff\x4b\x00", "every paired computer forgotten"),
)

CUES = tuple(e[0] for e in _TABLE)


def _entry(name):
    for e in _TABLE:
        if e[0] == name:
            return e
    return None


def pulses(name):
    """((shape, level, length_ms, gap_after_ms), ...) of `name`; () if unknown."""
    entry = _entry(name)
    if entry is None:
        return ()
    raw = entry[1]
    return tuple((raw[i], raw[i + 1], raw[i + 2] * 10, raw[i + 3] * 10)
                 for i in range(0, len(raw), 4))


def meaning(name):
    """What the cue tells the wearer (the legend), or ""."""
    entry = _entry(name)
    return entry[2] if entry else ""


def envelope(name):
    """The PWM rendering: ((level 0..255, ms), ...); level 0 is a gap. A swell or fade is
    4 equal steps."""
    out = []
    for shape, level, on, off in pulses(name):
        if shape == FLAT:
            out.append((level, on))
        else:
            step = on // 4
            for k in range(4):
                n = k + 1 if shape == RISE else 4 - k
                out.append((level * n // 4, step if k < 3 else on - 3 * step))
        if off:
            out.append((0, off))
    return tuple(out)


def drv_effect(shape, level, length_ms):
    """The DRV2605 ROM effect id that plays one pulse. Taps are self-ending clicks; any other
    pulse is stopped by the adapter at `length_ms`."""
    if shape == RISE:
        return _DRV_RAMP_UP
    if shape == FALL:
        return _DRV_RAMP_DOWN
    if length_ms <= TAP_MS:
        if level >= 200:
            return _DRV_STRONG_CLICK
        return _DRV_MEDIUM_CLICK if level >= 120 else _DRV_SHARP_TICK_60
    return _DRV_LONG_BUZZ if level >= 160 else _DRV_SMOOTH_HUM_50


def drv_sequence(name):
    """The DRV2605 rendering: ((effect id, pulse ms, gap after ms, stop), ...); stop is 1
    when the adapter stops the effect at the pulse length, 0 for a self-ending tap."""
    return tuple((drv_effect(s, lvl, on), on, off, 0 if s == FLAT and on <= TAP_MS else 1)
                 for s, lvl, on, off in pulses(name))


def duration_ms(name):
    """How long one play of `name` lasts, gaps included."""
    total = 0
    for _s, _l, on, off in pulses(name):
        total += on + off
    return total
