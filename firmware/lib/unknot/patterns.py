"""The haptic vocabulary: ONE table, one rhythm per cue (docs/firmware.md, "Haptic vocabulary").

Ten cues in all: seven a wearer meets in routines and three the device plays outside them
(a break nudge, "press taken", "refused / failed"). Every cue is a short rhythm of pulses;
each pulse has a shape (flat, swell, fade), a level (0..255) and a length, and is followed
by a gap. Some cues are played n times in a row to say a number (`count`: the next
exercise; `ack`: pairing). Both motor drivers play the same rhythm (hw/motor.py derives
from this table): a PWM motor plays `envelope(name)`, a DRV2605 one ROM effect per pulse
(`drv_sequence(name)`, effect ids from the DRV2605 datasheet's waveform library).

What the routine player and the App *do* (events: "hold_start", "next_exercise",
"pair_open", ...) is mapped here, once, to the cue the wearer feels and how many times it
is played (`felt(event, number)`): the player and the App name events, never rhythms.

The rule that keeps cues apart by rhythm (checked by tests/host/test_haptics.py and
measured by tools/bench_haptics.py): aligned pulse by pulse and gap by gap, any two cues,
and any two numbers played with a number cue (up to 9), differ somewhere by MARGIN_MS or
more; every gap is at least GAP_MIN_MS, every pulse PULSE_MIN_MS..PULSE_MAX_MS, so
MARGIN_MS is never below the ~13 % Weber fraction for vibrotactile duration.

Storage: ONE bytes object for the rhythms and meanings (`_BLOB`; RAM: the tuple table of
strings and bytes it replaces cost ~8 KiB on the 32-bit heap), the names as tuples of
literals (interned: no heap of their own), and 2 bytes per event (`_FELT`); each cue's
offset in the blob and length are read once at import (`_OFF`, `_DUR`: two tuples of 10
small ints). Names are found by `tuple.index` (a C loop: a Python loop over 25 names cost
about 0.4 ms of board CPU per lookup); lookups allocate nothing but what they return;
`duration_ms` and `event_ms`, which the player calls for every cue, allocate nothing. Every
cue's last gap is > 0: it spaces the repeats of a number and keeps two cues from running
together. Unknown names give empty tuples (nothing is played).
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


_FLAT = const(0)
_RISE = const(1)
_FALL = const(2)
_ROUTINE = const(0)  # cue kinds
_DEVICE = const(1)

_MARGIN_MS = const(100)  # smallest segment difference between two cues (rhythm distance)
_GAP_MIN_MS = const(100)  # smallest gap between two pulses of one cue
_PULSE_MIN_MS = const(40)  # shortest pulse (felt as a tap; shorter is hardly felt)
_PULSE_MAX_MS = const(760)  # longest pulse: MARGIN_MS >= 13 % of every pulse
_TAP_MS = const(60)  # pulses up to this are taps: a DRV2605 click effect, self-ending
DRV_TAP = const(0x80)  # drv_steps: this effect ends by itself (a tap)
_NUMBER_MAX = const(9)  # numbers said with a number cue are 1..NUMBER_MAX (more: capped)

# DRV2605 ROM effect ids (datasheet, "Waveform Library Effects List")
_DRV_STRONG_CLICK = const(1)  # Strong Click - 100%
_DRV_MEDIUM_CLICK = const(21)  # Medium Click 1 - 100%
_DRV_SHARP_TICK_60 = const(26)  # Sharp Tick 3 - 60%
_DRV_LONG_BUZZ = const(118)  # Long buzz for programmatic stopping - 100%
_DRV_SMOOTH_HUM_50 = const(119)  # Smooth Hum 1 (No kick or brake pulse) - 50%
_DRV_RAMP_UP = const(82)  # Transition Ramp Up Long Smooth 1 - 0 to 100%
_DRV_RAMP_DOWN = const(70)  # Transition Ramp Down Long Smooth 1 - 100 to 0%

# the cues, in the order the self-test plays them (names are literals: no heap of their own)
CUES = (
    "go", "release", "switch", "count", "breathe_in", "breathe_out", "done", "nudge", "ack",
    "error",
)
# per cue, in CUES order: kind (0 routine, 1 device), pulse count, per pulse shape, level,
# length / 10 ms, gap after / 10 ms; then the meaning (length u8, UTF-8)
_BLOB = (
    b"\x00\x01\x00\xff\x1e\x14"  # go
    b"\x2ego: a hold, a repetition or the routine starts"
    b"\x00\x02\x00\xff\x0a\x0f\x02\xff\x1e\x14"  # release
    b"\x27let go: a hold or repetition ends, rest"
    b"\x00\x03\x00\xff\x14\x0f\x00\xff\x14\x0f\x00\xff\x14\x14"  # switch
    b"\x0bswitch side"
    b"\x00\x01\x00\xff\x06\x18"  # count
    b"\x33taps: next exercise number; in a hold, time passing"
    b"\x00\x01\x01\xff\x32\x14"  # breathe_in
    b"\x0abreathe in"
    b"\x00\x01\x02\xff\x4b\x14"  # breathe_out
    b"\x0bbreathe out"
    b"\x00\x03\x00\xff\x0a\x0c\x00\xff\x0a\x0c\x00\xff\x3c\x14"  # done
    b"\x0croutine done"
    b"\x01\x02\x00\xc8\x1a\x19\x00\xc8\x1a\x28"  # nudge
    b"\x21time for a break (twice: overdue)"
    b"\x01\x02\x00\xff\x19\x0c\x00\xff\x06\x1e"  # ack
    b"\x24press taken (with a number: pairing)"
    b"\x01\x04\x00\xff\x06\x0a\x00\xff\x06\x0a\x00\xff\x06\x0a\x00\xff\x06\x1e"  # error
    b"\x11refused or failed"
)
# what the player and the App do; _FELT: per event the cue index and the times (0: the number)
EVENTS = (
    "begin", "hold_start", "rep", "resumed", "hold_end", "rep_end", "rest", "switch",
    "next_exercise", "wait", "tick", "countdown", "select", "inhale", "exhale", "done",
    "nudge", "nudge_firm", "ack", "paused", "aborted", "pair_open", "pair_ok", "refused",
    "forget",
)
_FELT = (
    b"\x00\x01"  # begin -> go
    b"\x00\x01"  # hold_start -> go
    b"\x00\x01"  # rep -> go
    b"\x00\x01"  # resumed -> go
    b"\x01\x01"  # hold_end -> release
    b"\x01\x01"  # rep_end -> release
    b"\x01\x01"  # rest -> release
    b"\x02\x01"  # switch -> switch
    b"\x03\x00"  # next_exercise -> count x0
    b"\x03\x00"  # wait -> count x0
    b"\x03\x01"  # tick -> count
    b"\x03\x01"  # countdown -> count
    b"\x03\x00"  # select -> count x0
    b"\x04\x01"  # inhale -> breathe_in
    b"\x05\x01"  # exhale -> breathe_out
    b"\x06\x01"  # done -> done
    b"\x07\x01"  # nudge -> nudge
    b"\x07\x02"  # nudge_firm -> nudge x2
    b"\x08\x01"  # ack -> ack
    b"\x08\x01"  # paused -> ack
    b"\x08\x01"  # aborted -> ack
    b"\x08\x03"  # pair_open -> ack x3
    b"\x08\x02"  # pair_ok -> ack x2
    b"\x09\x01"  # refused -> error
    b"\x09\x02"  # forget -> error x2
)


def _offsets():
    """Per cue (CUES order): the offset of its record in _BLOB, and its length in 10 ms
    (pulses and gaps): read once at import, so a lookup walks nothing."""
    offs = []
    durs = []
    pos = 0
    b = _BLOB
    for _ in CUES:
        offs.append(pos)
        durs.append(sum(b[i + 2] + b[i + 3] for i in range(pos + 2, pos + 2 + 4 * b[pos + 1], 4)))
        pos += 2 + 4 * b[pos + 1]
        pos += 1 + b[pos]
    return tuple(offs), tuple(durs)


_OFF, _DUR = _offsets()
del _offsets  # its code is needed once (RAM)


def _index(names, name):
    """Index of `name` in the tuple `names` (a C loop: tuple.index), or -1."""
    try:
        return names.index(name)
    except ValueError:
        return -1


def _at(name):
    """Offset of cue `name`'s record in _BLOB (its kind byte), or -1."""
    i = _index(CUES, name)
    return _OFF[i] if i >= 0 else -1


def kind(name):
    """ROUTINE or DEVICE; -1 if unknown."""
    off = _at(name)
    return _BLOB[off] if off >= 0 else -1


def pulses(name):
    """((shape, level, length_ms, gap_after_ms), ...) of `name`; () if unknown."""
    off = _at(name)
    if off < 0:
        return ()
    b = _BLOB
    p = off + 2
    return tuple((b[i], b[i + 1], b[i + 2] * 10, b[i + 3] * 10)
                 for i in range(p, p + 4 * b[off + 1], 4))


def meaning(name):
    """What the cue tells the wearer (the legend), or ""."""
    off = _at(name)
    if off < 0:
        return ""
    p = off + 2 + 4 * _BLOB[off + 1]
    return _BLOB[p + 1:p + 1 + _BLOB[p]].decode()


def _event(event):
    return _index(EVENTS, event)


def felt(event, number=1):
    """(cue, times) the wearer feels for a player or App event; times is `number` (1..
    NUMBER_MAX) for the number events (next_exercise, wait, select). ("", 0): no such event
    (nothing is played)."""
    k = _event(event)
    if k < 0:
        return "", 0
    return CUES[_FELT[2 * k]], _FELT[2 * k + 1] or max(1, min(_NUMBER_MAX, number))


def _pulses_at(name):
    """(offset of the first pulse in _BLOB, pulse count) of cue `name`; (0, 0) if unknown."""
    off = _at(name)
    return (off + 2, _BLOB[off + 1]) if off >= 0 else (0, 0)


def envelope_steps(name):
    """The PWM rendering, flat as the adapter plays it: (level 0..255, ms, level, ms, ...);
    level 0 is a gap. A swell or fade is 4 equal steps. Read straight from the blob: one
    tuple of small ints per cue."""
    p, n = _pulses_at(name)
    b = _BLOB
    out = []
    for i in range(p, p + 4 * n, 4):
        shape, level, on, off = b[i], b[i + 1], b[i + 2] * 10, b[i + 3] * 10
        if shape == _FLAT:
            out.append(level)
            out.append(on)
        else:
            step = on // 4
            for k in range(4):
                out.append(level * (k + 1 if shape == _RISE else 4 - k) // 4)
                out.append(step if k < 3 else on - 3 * step)
        if off:
            out.append(0)
            out.append(off)
    return tuple(out)


def envelope(name):
    """The PWM rendering: ((level 0..255, ms), ...) (envelope_steps, paired)."""
    flat = envelope_steps(name)
    return tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))


def drv_effect(shape, level, length_ms):
    """The DRV2605 ROM effect id that plays one pulse. Taps are self-ending clicks; any other
    pulse is stopped by the adapter at `length_ms`."""
    if shape == _RISE:
        return _DRV_RAMP_UP
    if shape == _FALL:
        return _DRV_RAMP_DOWN
    if length_ms <= _TAP_MS:
        if level >= 200:
            return _DRV_STRONG_CLICK
        return _DRV_MEDIUM_CLICK if level >= 120 else _DRV_SHARP_TICK_60
    return _DRV_LONG_BUZZ if level >= 160 else _DRV_SMOOTH_HUM_50


def drv_steps(name):
    """The DRV2605 rendering, flat as the adapter plays it: (effect, pulse ms, 0, gap ms,
    ...) per pulse, the effect | DRV_TAP for a self-ending tap (never stopped early)."""
    p, n = _pulses_at(name)
    b = _BLOB
    out = []
    for i in range(p, p + 4 * n, 4):
        shape, level, on = b[i], b[i + 1], b[i + 2] * 10
        effect = drv_effect(shape, level, on)
        out.append(effect | DRV_TAP if shape == _FLAT and on <= _TAP_MS else effect)
        out.append(on)
        out.append(0)
        out.append(b[i + 3] * 10)
    return tuple(out)


def drv_sequence(name):
    """The DRV2605 rendering: ((effect id, pulse ms, gap after ms, stop), ...); stop is 1
    when the adapter stops the effect at the pulse length, 0 for a self-ending tap
    (drv_steps, grouped)."""
    f = drv_steps(name)
    return tuple((f[i] & ~DRV_TAP, f[i + 1], f[i + 3], 0 if f[i] & DRV_TAP else 1)
                 for i in range(0, len(f), 4))


def duration_ms(name, times=1):
    """How long `times` plays of `name` last, gaps included (the motor is busy that long)."""
    i = _index(CUES, name)
    return _DUR[i] * 10 * times if i >= 0 else 0


def event_ms(event, number=1):
    """How long the motor is busy with `event` (0: nothing is played)."""
    k = _event(event)
    if k < 0:
        return 0
    return _DUR[_FELT[2 * k]] * 10 * (_FELT[2 * k + 1] or max(1, min(_NUMBER_MAX, number)))
