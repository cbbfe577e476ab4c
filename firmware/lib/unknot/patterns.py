"""The haptic pattern table: one entry per cue name (docs/firmware.md, "Haptic patterns").

Patterns differ by rhythm (number and order of pulses, rising vs falling), not only by length,
because a touch cue cannot be compared side by side (duration difference threshold ~160 ms).

- `envelope(name)`: tuple of (level 0..255, duration_ms) pairs for a PWM or real-time
  amplitude motor; level 0 is a pause.
- `rom(name)`: tuple of DRV2605 sequence entries: 1..123 is a ROM effect id, 0x80 | n a pause
  of n * 10 ms (the DRV2605 waveform-sequencer encoding); at most 7 entries.

Unknown names return an empty tuple (nothing is played).
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


PAUSE = const(0x80)

# name: (envelope, rom, description)
_TABLE = {
    "begin": (((255, 60), (0, 90), (255, 60), (0, 90), (255, 300)),
              (1, PAUSE | 9, 1, PAUSE | 9, 14), "two taps, then a buzz: routine starts"),
    "inhale": (((50, 120), (100, 120), (150, 120), (200, 120), (255, 120)),
               (82,), "swell: rising 0->100 %"),
    "hold_in": (((180, 60), (0, 80), (180, 60)),
                (10,), "double tap: hold the breath"),
    "exhale": (((255, 120), (200, 120), (150, 120), (100, 120), (50, 120)),
               (70,), "fade: falling 100->0 %"),
    "pause": (((90, 200),),
              (7,), "one soft bump: rest before the next breath"),
    "hold_start": (((255, 300), (0, 100), (255, 60)),
                   (14, PAUSE | 10, 1), "long-short (daah-dit): start holding"),
    "tick": (((110, 25),),
             (4,), "tiny tap: every 5 s in a long hold or rest"),
    "hold_end": (((255, 60), (0, 100), (255, 300)),
                 (1, PAUSE | 10, 14), "short-long (dit-daah): release"),
    "switch": (((255, 80), (0, 80), (255, 80), (0, 80), (255, 80)),
               (12,), "three equal taps: switch side"),
    "rep": (((255, 120),),
            (1,), "one firm tap: a repetition starts"),
    "rep_end": (((120, 40), (0, 60), (120, 40)),
                (10,), "two light taps: repetition done"),
    "rest": (((100, 600),),
             (47,), "long gentle buzz: rest"),
    "done": (((255, 80), (0, 100), (255, 80), (0, 100), (255, 700)),
             (1, PAUSE | 10, 1, PAUSE | 10, 118, PAUSE | 70), "dit-dit-daaah: routine done"),
    "nudge": (((200, 150), (0, 150), (200, 150), (0, 150), (200, 150)),
              (52, PAUSE | 15, 52), "pulsing x3: time for a break"),
    "nudge_firm": (((255, 400), (0, 150), (255, 400), (0, 150), (255, 400)),
                   (14, PAUSE | 15, 14, PAUSE | 15, 14), "three long strong buzzes: break overdue"),
    "ack": (((255, 30),),
            (4,), "one sharp click: button acknowledged"),
    "select": (((220, 70), (0, 180)),
               (1, PAUSE | 18), "one tap per routine number (played n times)"),
    "paused": (((255, 40), (0, 120), (160, 400)),
               (1, PAUSE | 12, 72), "tap then fade: paused"),
    "resumed": (((100, 300), (0, 100), (255, 40)),
                (84, PAUSE | 10, 1), "swell then tap: resumed"),
    "aborted": (((255, 500), (0, 100), (120, 500)),
                (14, PAUSE | 10, 71), "long buzz then fading buzz: stopped"),
    "refused": (((255, 40), (0, 60), (255, 40), (0, 60), (255, 40), (0, 60), (255, 40)),
                (12, 10), "rapid taps: not allowed (snooze limit reached)"),
}

CUES = tuple(_TABLE)


def envelope(name):
    entry = _TABLE.get(name)
    return entry[0] if entry else ()


def rom(name):
    entry = _TABLE.get(name)
    return entry[1] if entry else ()


def describe(name):
    entry = _TABLE.get(name)
    return entry[2] if entry else ""


def duration_ms(name):
    """How long the envelope of `name` lasts."""
    total = 0
    for _level, ms in envelope(name):
        total += ms
    return total
