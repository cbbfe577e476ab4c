"""Stand-in for `alarm.time`."""


class TimeAlarm:
    def __init__(self, *, monotonic_time=None, epoch_time=None):
        self.monotonic_time = monotonic_time
