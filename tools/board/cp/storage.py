"""Stand-in for `storage` (boot.py only)."""


def remount(path, readonly=False):
    pass
