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

# The frame, a field spec (wire.py): routine clock when sent (ms), next break (s)
STATUS = "frame:B event:B step:B flags:B routine_id:H pos_ms:I next_break_s:H"
STATUS_SIZE = const(12)
# The FOLLOW request (proto.OP_FOLLOW): on 1 = send STATUS frames on this connection, 0 = stop
_REQ_FOLLOW = const("op:B on:B")

_NO_STEP = const(0xFF)  # step byte when no routine plays
_NO_BREAK = const(0xFFFF)  # next-break field when no break is scheduled (or one is due)
_MAX_BREAK_S = const(0xFFFE)
# Flags (byte 3).
_FL_SIDE2 = const(0x01)  # the playing step is on its second side (after its switch cue)
_FL_PAUSED = const(0x02)  # the routine is paused
_FL_NUDGE = const(0x04)  # a break is due and the device nudges (no routine plays)

_ANNOUNCE_MAX = const(4)  # queued STATUS tuples; older ones are dropped first

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


def queue(app, event, routine_id=0):
    """Queue the STATUS tuple for `event` on `app.announced` (App.announce, only while a host
    follows): (event code, routine id, step, flags, next break s, routine base ms, paused
    position ms); the protocol packs it when it sends it, with the routine clock then (now -
    base; the paused position while paused). At most ANNOUNCE_MAX: the oldest goes first."""
    player = app.player
    nxt = _NO_BREAK
    base = frozen = -1
    flags = _FL_SIDE2 if app._side else 0
    if player is not None:
        routine_id = player.routine.id
        step = min(player.step_index, _NO_STEP - 1)
        base = player.base
        if player.paused_at is not None:
            frozen = max(0, player.paused_at - base)
            flags |= _FL_PAUSED
    else:
        step = _NO_STEP
        rem = app.reminders
        if rem.pending is not None:
            flags |= _FL_NUDGE
        d = rem.next_deadline() if rem.pending is None else None
        if d is not None:
            nxt = min(_MAX_BREAK_S, max(0, d - app.clock.now_ms()) // 1000)
    q = app.announced
    if len(q) >= _ANNOUNCE_MAX:
        q.pop(0)
    app._ann_new = True
    q.append((EVENTS.index(event), routine_id, step, flags, nxt, base, frozen))
