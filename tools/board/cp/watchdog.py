"""Stand-in for `watchdog`."""


class WatchDogMode:
    RAISE = 1
    RESET = 2


class WatchDogTimeout(Exception):
    pass
