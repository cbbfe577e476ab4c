"""Routine loading: every /routines/*.unk on the drive, decoded and checked; files that are
corrupted, truncated or of another format version are skipped (never raised); when none is
valid the built-in routine is used."""

from .builtin import ROUTINE as BUILTIN
from .routine import decode

SUFFIX = ".unk"


def stem(name):
    base = name.rsplit("/", 1)[-1]
    return base[: -len(SUFFIX)] if base.endswith(SUFFIX) else base


def load_all(storage):
    """(routines, rejected): decoded routines sorted by file name, each with `.file` set, and
    a list of (file name, reason) for the skipped ones."""
    routines = []
    rejected = []
    try:
        names = sorted(n for n in storage.list() if n.endswith(SUFFIX))
    except Exception as exc:
        names = []
        rejected.append(("/routines", "list: %r" % (exc,)))
    for name in names:
        try:
            data = storage.read(name)
            r = decode(data)
        except Exception as exc:
            reason = getattr(exc, "reason", None) or ("%s" % (exc.__class__.__name__,))
            rejected.append((name, reason))
            continue
        r.file = name
        routines.append(r)
    if not routines:
        r = decode(BUILTIN)
        r.file = ""
        routines.append(r)
    return routines, rejected


def find(routines, key):
    """Index of the routine whose slug or file stem is `key`, or None."""
    if not key:
        return None
    for i in range(len(routines)):
        r = routines[i]
        if r.slug == key or stem(r.file) == key:
            return i
    return None
