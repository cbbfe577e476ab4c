"""STATUS notifications: what the wearer's device is doing, for a host that follows it
(`unknot follow`; docs/protocol.md "Status"). Format and event codes, defined once.

The app loop (app.py `announce`) queues a small tuple per change (at most ANNOUNCE_MAX,
only while a host follows); the protocol handler (proto.py) packs each into one 12-byte
frame in a buffer allocated once, when it sends it. Nothing is packed from a callback.
Both import this module on first use (a host asked FOLLOW), so a device nobody follows
never loads it.
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


F_STATUS = const(0x04)  # data-characteristic frame type (proto.py owns 0x01-0x03)

# frame type, event, step index, flags, routine id, routine clock ms, next break s
STATUS = "<BBBBHIH"
STATUS_SIZE = const(12)

NO_STEP = const(0xFF)  # step byte when no routine plays
NO_BREAK = const(0xFFFF)  # next-break field when no break is scheduled (or one is due)
MAX_BREAK_S = const(0xFFFE)
# Flags (byte 3).
FL_SIDE2 = const(0x01)  # the playing step is on its second side (after its switch cue)
FL_PAUSED = const(0x02)  # the routine is paused
FL_NUDGE = const(0x04)  # a break is due and the device nudges (no routine plays)

ANNOUNCE_MAX = const(4)  # queued STATUS tuples; older ones are dropped first

# Events (byte 1): the code is the index of the name. The App announces by name (a
# string constant costs no RAM), so this module is imported only once a host follows.
EVENTS = (
    "hello",  # 0: answer to FOLLOW on: the state now
    "start",  # 1: a routine started (step 0)
    "step",  # 2: a new step started
    "side",  # 3: the same step, second side (after the switch cue)
    "paused",  # 4
    "resumed",  # 5
    "done",  # 6: the routine completed
    "stopped",  # 7: the routine was stopped (aborted)
    "nudge",  # 8: a break is due: the device nudges (each nudge)
    "idle",  # 9: idle again (break snoozed, skipped or given up; settings changed)
)
