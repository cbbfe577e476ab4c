"""Break reminders: micro-break and rest-break timers, active hours, snooze with a limit, a
nudge that repeats until acted on and gives up after a bounded time.

All times are monotonic ms. `poll(now, minute_of_day)` returns an action or None:
"nudge" / "nudge_firm" (play it), "giveup" (nobody reacted: the break is dropped and the
timers restart). `minute_of_day` is local minutes since midnight, or None when the wall
clock is unset (then every hour counts as active).
"""

MICRO = "micro"
REST = "rest"


class Reminders:
    def __init__(self, settings, now=0):
        self.configure(settings)
        self.pending = None  # None, MICRO or REST
        self.snoozes = 0
        self.micro_due = None
        self.rest_due = None
        self.next_nudge = None
        self.giveup_at = None
        self.reset(now, REST)

    def configure(self, s):
        self.micro_ms = s["UNKNOT_MICRO_MIN"] * 60000
        self.rest_ms = s["UNKNOT_REST_MIN"] * 60000
        self.repeat_ms = max(5, s["UNKNOT_NUDGE_REPEAT_S"]) * 1000
        self.giveup_ms = s["UNKNOT_NUDGE_GIVEUP_S"] * 1000
        self.snooze_ms = s["UNKNOT_SNOOZE_MIN"] * 60000
        self.max_snoozes = s["UNKNOT_MAX_SNOOZES"]
        self.active_start = s["UNKNOT_ACTIVE_START"] * 60
        self.active_end = s["UNKNOT_ACTIVE_END"] * 60

    def reset(self, now, kind=REST):
        """A break of `kind` was taken (or skipped): restart its timer (REST restarts both)."""
        if kind == REST:
            self.rest_due = now + self.rest_ms if self.rest_ms > 0 else None
        self.micro_due = now + self.micro_ms if self.micro_ms > 0 else None
        self.pending = None
        self.snoozes = 0
        self.next_nudge = None
        self.giveup_at = None

    def active(self, minute_of_day):
        if minute_of_day is None:
            return True
        if self.active_start <= self.active_end:
            return self.active_start <= minute_of_day < self.active_end
        return minute_of_day >= self.active_start or minute_of_day < self.active_end

    def next_deadline(self):
        if self.pending is not None:
            n = self.next_nudge
            g = self.giveup_at
            if n is None or g is None:
                return n if g is None else g
            return n if n < g else g
        d = self.micro_due
        if self.rest_due is not None and (d is None or self.rest_due < d):
            d = self.rest_due
        return d

    def firm(self):
        return self.snoozes >= self.max_snoozes

    def poll(self, now, minute_of_day=None):
        if self.pending is not None:
            if now >= self.giveup_at:
                self.reset(now, self.pending)
                return "giveup"
            if now >= self.next_nudge:
                self.next_nudge = now + self.repeat_ms
                return "nudge_firm" if self.firm() else "nudge"
            return None
        kind = None
        if self.rest_due is not None and now >= self.rest_due:
            kind = REST
        elif self.micro_due is not None and now >= self.micro_due:
            kind = MICRO
        if kind is None:
            return None
        if not self.active(minute_of_day):
            self.reset(now, kind)  # outside active hours: skip it, restart its interval
            return None
        self.pending = kind
        self.next_nudge = now + self.repeat_ms
        self.giveup_at = now + self.giveup_ms
        return "nudge"

    def snooze(self, now):
        """Postpone the pending break; False (refused) after `max_snoozes` in a row."""
        if self.pending is None or self.firm():
            return False
        self.snoozes += 1
        self.next_nudge = now + self.snooze_ms
        self.giveup_at = now + self.snooze_ms + self.giveup_ms
        return True

    def take(self):
        """The pending break is being taken (its routine starts): stop nudging."""
        kind = self.pending
        self.pending = None
        self.next_nudge = None
        self.giveup_at = None
        return kind

    def remind_now(self, now):
        """Make a break due at once (the sim's "break now", tests)."""
        self.micro_due = now
