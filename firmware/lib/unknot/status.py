"""STATUS notifications: what the wearer's device is doing, for a host that follows it
(`unknot follow`; docs/protocol.md "Status"). Format and event codes, defined once.

The app loop (app.py `announce`) queues a small tuple per change (at most ANNOUNCE_MAX,
only while a host follows); the protocol handler (proto.py) packs each into one 12-byte
frame in a buffer allocated once, when it sends it. Nothing is packed from a callback.
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

# Events (byte 1).
EV_HELLO = const(0)  # answer to FOLLOW on: the state now
EV_START = const(1)  # a routine started (step 0)
EV_STEP = const(2)  # a new step started
EV_SIDE = const(3)  # the same step, second side (after the switch cue)
EV_PAUSED = const(4)
EV_RESUMED = const(5)
EV_DONE = const(6)  # the routine completed
EV_STOPPED = const(7)  # the routine was stopped (aborted)
EV_NUDGE = const(8)  # a break is due: the device nudges
EV_IDLE = const(9)  # idle again (break taken, snoozed, skipped or given up)
