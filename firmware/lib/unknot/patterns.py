"""The haptic pattern table: one entry per cue name (docs/firmware.md, "Haptic patterns").

Patterns differ by rhythm (number and order of pulses, rising vs falling), not only by length,
because a touch cue cannot be compared side by side (duration difference threshold ~160 ms).

- `envelope(name)`: tuple of (level 0..255, duration_ms) pairs for a PWM or real-time
  amplitude motor; level 0 is a pause.
- `rom(name)`: tuple of DRV2605 sequence entries: 1..123 is a ROM effect id, 0x80 | n a pause
  of n * 10 ms (the DRV2605 waveform-sequencer encoding); at most 7 entries.

Unknown names return an empty tuple (nothing is played). Stored as bytes to keep RAM small:
envelope = (level, duration / 10 ms) byte pairs, rom = one byte per sequence entry.
"""

PAUSE = 0x80

_TABLE = {
    # two taps, then a buzz: routine starts
    'begin': (b'\xff\x06\x00\t\xff\x06\x00\t\xff\x1e', b'\x01\x89\x01\x89\x0e'),
    # swell: rising 0->100 %
    'inhale': (b'2\x0cd\x0c\x96\x0c\xc8\x0c\xff\x0c', b'R'),
    # tap then low hum: hold the breath
    'hold_in': (b'\xc8\x05\x00\x06Z\x19', b'\x04\x86\x33'),
    # fade: falling 100->0 %
    'exhale': (b'\xff\x0c\xc8\x0c\x96\x0cd\x0c2\x0c', b'F'),
    # one soft bump: rest before the next breath
    'pause': (b'Z\x14', b'\x07'),
    # long-short (daah-dit): start holding
    'hold_start': (b'\xff\x1e\x00\n\xff\x06', b'\x0e\x8a\x01'),
    # tiny tap: every 5 s in a long hold or rest
    'tick': (b'n\x03', b'\x04'),
    # short-long (dit-daah): release
    'hold_end': (b'\xff\x06\x00\n\xff\x1e', b'\x01\x8a\x0e'),
    # three equal taps: switch side
    'switch': (b'\xff\x08\x00\x08\xff\x08\x00\x08\xff\x08', b'\x0c'),
    # one firm tap: a repetition starts
    'rep': (b'\xff\x0c', b'\x01'),
    # two light taps: repetition done
    'rep_end': (b'x\x04\x00\x06x\x04', b'\n'),
    # long gentle buzz: rest
    'rest': (b'd<', b'/'),
    # dit-dit-daaah: routine done
    'done': (b'\xff\x08\x00\n\xff\x08\x00\n\xffF', b'\x01\x8a\x01\x8a\x0e\x0e'),
    # pulsing x3: time for a break
    'nudge': (b'\xc8\x0f\x00\x0f\xc8\x0f\x00\x0f\xc8\x0f', b'4\x8f4'),
    # three long strong buzzes: break overdue
    'nudge_firm': (b'\xff(\x00\x0f\xff(\x00\x0f\xff(', b'\x0e\x8f\x0e\x8f\x0e'),
    # one strong click: button acknowledged
    'ack': (b'\xff\x03', b'\x01'),
    # one tap per routine number (played n times)
    'select': (b'\xdc\x07\x00\x12', b'\x01\x92'),
    # tap then fade: paused
    'paused': (b'\xff\x04\x00\x0c\xa0(', b'\x01\x8cH'),
    # swell then tap: resumed
    'resumed': (b'd\x1e\x00\n\xff\x04', b'T\x8a\x01'),
    # long buzz then fading buzz: stopped
    'aborted': (b'\xff2\x00\nx2', b'\x0e\x8aG'),
    # rapid taps: not allowed (snooze limit reached)
    'refused': (b'\xff\x04\x00\x06\xff\x04\x00\x06\xff\x04\x00\x06\xff\x04', b'\x0c\n'),
    # swell, then two taps: the pairing window is open (docs/security.md)
    'pair_open': (b'd\x14\xc8\x14\x00\n\xff\x05\x00\x08\xff\x05', b'R\x8a\x01\x88\x01'),
    # two swells: a new host was paired
    'pair_ok': (b'd\x0f\xff\x0f\x00\nd\x0f\xff\x0f', b'R\x8aR'),
    # two long fades: every paired host forgotten
    'forget': (b'\xff\x1e\x80\x1e\x00\x0c\xff\x1e\x80\x1e', b'G\x8cG'),
}


def envelope(name):
    entry = _TABLE.get(name)
    if entry is None:
        return ()
    env = entry[0]
    return tuple((env[i], env[i + 1] * 10) for i in range(0, len(env), 2))


def rom(name):
    entry = _TABLE.get(name)
    return tuple(entry[1]) if entry else ()


def duration_ms(name):
    """How long the envelope of `name` lasts."""
    entry = _TABLE.get(name)
    if entry is None:
        return 0
    env = entry[0]
    return sum(env[i] for i in range(1, len(env), 2)) * 10
