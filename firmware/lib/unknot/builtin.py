"""The built-in fallback routine, used when no valid routine file is on the drive.

BEGIN; BREATHE 3x (in 4 s, hold 1 s, out 6 s, pause 1 s); HOLD 20 s each side with ticks
(neck tilt); BREATHE 2x (in 4 s, out 6 s); END. Format v1 with labels, slug "builtin".
"""

ROUTINE = (
    b'UNKR\x01\x01z\x1f\x05\x00i\x00\x8eQ\xe8*'
    b'\x01\x03\x03(\n<\n4\xc8\x00\x03\x02(\x00<\x00'
    b'\x02\x07builtin\x18Breath'
    b'e and neck stret'
    b'ch\x00\x07breathe\x14neck'
    b' tilt, each side'
    b'\x07breathe\x00'
)
