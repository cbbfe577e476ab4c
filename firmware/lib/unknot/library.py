"""Routine loading: every /routines/*.unk on the drive, checked; files that are corrupted,
truncated or of another format version are skipped (never raised); when none is valid the
built-in routine is used.

The App keeps only an index of the installed routines (`index`: file name, slug and id of
each valid one) and decodes a routine when it is about to play (`load`): this module, the
decoder (routine.py) and the built-in routine are loaded for that and dropped after it
(app.py, mods.py; docs/firmware.md "Heap budget")."""

SUFFIX = ".unk"


def stem(name):
    base = name.rsplit("/", 1)[-1]
    return base[: -len(SUFFIX)] if base.endswith(SUFFIX) else base


def index(storage):
    """(entries, rejected): a (file name, slug, id) tuple per valid routine, sorted by file
    name, and a (file name, reason) tuple per skipped one; the built-in routine's entry
    (file name "") when no file is valid."""
    from .builtin import ROUTINE as BUILTIN
    from .routine import decode

    entries = []
    rejected = []
    try:
        names = sorted(n for n in storage.list() if n.endswith(SUFFIX))
    except Exception as exc:
        names = []
        rejected.append(("/routines", "list: %r" % (exc,)))
    for name in names:
        try:
            r = decode(storage.read(name))
        except Exception as exc:
            reason = getattr(exc, "reason", None) or ("%s" % (exc.__class__.__name__,))
            rejected.append((name, reason))
            continue
        entries.append((name, r.slug, r.id))
    if not entries:
        r = decode(BUILTIN)
        entries.append(("", r.slug, r.id))
    return entries, rejected


def load(storage, name):
    """The Routine of file `name` ("": the built-in routine), read and decoded again (raises
    what storage.read and routine.decode raise: the file changed since the index)."""
    from .builtin import ROUTINE as BUILTIN
    from .routine import decode

    r = decode(storage.read(name) if name else BUILTIN)
    r.file = name
    return r


def install(storage, names):
    """Switch to the staged routine set (storage.stage_commit: upload.py staged `names`)
    when every one of them decodes as a routine; else the name of the first that does not
    (nothing switched). Raises what the storage raises. Each file is decoded on its own (one
    routine on the heap at a time)."""
    from .routine import decode

    for name in names:
        if not name.endswith(SUFFIX):
            return name
        try:
            decode(storage.read_staged(name))
        except (ValueError, IndexError, KeyError, TypeError):
            return name
    storage.stage_commit()
    return None


def find(routines, key):
    """Index of the routine (an object with `slug` and `file`: app.Entry) whose slug or file
    stem is `key`, or None."""
    if not key:
        return None
    for i in range(len(routines)):
        r = routines[i]
        if r.slug == key or stem(r.file) == key:
            return i
    return None
