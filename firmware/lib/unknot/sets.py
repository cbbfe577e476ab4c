"""Routine sets installed atomically (docs/firmware.md "Routine sets"): a power cut at any
filesystem operation leaves either the old set or the new one, never a mix.

Layout under the routines folder (`/routines` on the board):

    /routines/set.<gen>/<name>.unk ...   the files of one set
    /routines/set.<gen>/SET              its manifest, written LAST: one "<name> <size>" line
                                         per file, then "crc <crc32 of those lines, hex>"

The current set is the highest generation whose manifest is complete (the CRC line matches)
and whose files all exist with the sizes it lists. An install writes the new set into a new
folder (generation = highest + 1), then its manifest: that one small write is the switch.
Only then are the other sets removed; a cut before that leaves them behind, and `clean()`
(run at boot) removes every folder that is not the current set, half-written ones included.
Files directly in /routines (firmware before sets) are the set while no set.<gen> is
complete; the first install removes them after its switch.

One code for every transport: the board's storage adapter (hw/system.py), the simulated
device, `unknot flash --drive` (the host runs this module over the mounted drive) and
`unknot flash --port` (the board runs it, driven through the raw REPL). `fs` is an `OsFS`
(os functions under a root) or anything with its methods.
"""

import os

from .crc import crc32

try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


_PREFIX = const("set.")
_SUFFIX = const(".unk")  # routine files (library.SUFFIX; not imported: the loader imports this)
_MANIFEST = const("SET")


def reserved(name):
    """True for a name the set layout itself uses (the manifest, a set folder): an upload
    may never stage a file under it (docs/protocol.md "Control requests")."""
    return name == _MANIFEST or name.startswith(_PREFIX)


class OsFS:
    """The filesystem operations a set install uses, on `os` under `root` ("" on the board,
    the mounted drive or a device folder on the host)."""

    def __init__(self, root=""):
        self.root = root

    def listdir(self, path):
        return os.listdir(self.root + path)

    def mkdir(self, path):
        os.mkdir(self.root + path)

    def remove(self, path):
        os.remove(self.root + path)

    def rmdir(self, path):
        os.rmdir(self.root + path)

    def open(self, path, mode):
        return open(self.root + path, mode)

    def rename(self, old, new):
        os.rename(self.root + old, self.root + new)

    def size(self, path):
        return os.stat(self.root + path)[6]


def _gen(name):
    if name.startswith(_PREFIX):
        try:
            return int(name[len(_PREFIX):])
        except ValueError:
            pass
    return -1


class SetStore:
    """The app's storage adapter (app.py: list, read, stage_write/commit/drop) over routine
    sets in `path` on `fs`."""

    def __init__(self, fs, path="/routines"):
        self.fs = fs
        self.path = path
        self._cur = None  # (folder or None for the legacy files, names), found once
        self._stage = None  # the folder being written
        self._sizes = {}  # staged name -> bytes written
        self._f = None  # (name, open file) being written

    # -- what is installed -------------------------------------------------------------

    def _folders(self):
        try:
            names = self.fs.listdir(self.path)
        except OSError:
            return []
        return sorted((n for n in names if _gen(n) >= 0), key=_gen, reverse=True)

    def _manifest(self, folder):
        """The file names of a complete set in `folder`, else None."""
        base = self.path + "/" + folder + "/"
        try:
            with self.fs.open(base + _MANIFEST, "rb") as f:
                text = f.read()
            lines = text.decode().split("\n")
        except (OSError, UnicodeError):
            return None
        if len(lines) < 2 or lines[-1] != "" or not lines[-2].startswith("crc "):
            return None
        body = "\n".join(lines[:-2])
        if body:
            body += "\n"
        try:
            if int(lines[-2][4:], 16) != crc32(body.encode()):
                return None
        except ValueError:
            return None
        names = []
        for line in lines[:-2]:
            name, _, size = line.rpartition(" ")
            try:
                if self.fs.size(base + name) != int(size):
                    return None
            except (OSError, ValueError):
                return None
            names.append(name)
        return names

    def current(self):
        """(folder, names) of the current set; folder None: the files directly in the
        routines folder (no set installed yet)."""
        if self._cur is None:
            for folder in self._folders():
                names = self._manifest(folder)
                if names is not None:
                    self._cur = (folder, names)
                    break
            else:
                try:
                    names = [n for n in self.fs.listdir(self.path)
                             if _gen(n) < 0 and n.endswith(_SUFFIX)]
                except OSError:
                    names = []
                self._cur = (None, sorted(names))
        return self._cur

    def list(self):
        return list(self.current()[1])

    def _where(self, name):
        folder = self.current()[0]
        return self.path + "/" + (folder + "/" if folder else "") + name

    def read(self, name):
        path = self._where(name) if name.endswith(_SUFFIX) else self.path + "/" + name
        with self.fs.open(path, "rb") as f:
            return f.read()

    # A file that is not a routine (the journal's migration copy) lives beside the sets,
    # outside them: written, read and removed on its own.
    def _side_write(self, name, data):
        fs = self.fs
        path = self.path + "/" + name
        try:
            fs.mkdir(self.path)
        except OSError:
            pass
        with fs.open(path + ".tmp", "wb") as f:
            f.write(data)
        try:
            fs.remove(path)
        except OSError:
            pass
        fs.rename(path + ".tmp", path)

    def remove(self, name):
        """Remove `name`: a side file, or a routine (a new set without it)."""
        if not name.endswith(_SUFFIX):
            self.fs.remove(self.path + "/" + name)
            return
        files = [(n, self.read(n)) for n in self.list() if n != name]
        self.install(files)

    # -- installing a set ----------------------------------------------------------------

    def stage_write(self, name, data, new):
        """Append `data` to staged file `name` of the next set (new: start the file)."""
        fs = self.fs
        if self._stage is None:
            self._begin()
        cur = self._f
        if cur is None or cur[0] != name or new:
            self._close()
            path = self.path + "/" + self._stage + "/" + name
            cur = self._f = (name, fs.open(path, "wb" if new else "ab"))
            if new:
                self._sizes[name] = 0
        cur[1].write(data)
        self._sizes[name] = self._sizes.get(name, 0) + len(data)

    def _begin(self):
        folders = self._folders()
        gen = _gen(folders[0]) + 1 if folders else 1
        try:
            self.fs.mkdir(self.path)
        except OSError:
            pass
        self._stage = _PREFIX + "%d" % gen
        self.fs.mkdir(self.path + "/" + self._stage)
        self._sizes = {}

    def _close(self):
        f = self._f
        if f is not None:
            self._f = None
            f[1].close()

    def staged(self):
        """Names of the staged files, sorted."""
        return sorted(self._sizes)

    def read_staged(self, name):
        self._close()
        with self.fs.open(self.path + "/" + self._stage + "/" + name, "rb") as f:
            return f.read()

    def stage_commit(self):
        """Switch to the staged set (its manifest is the one write that does it), then
        remove the others."""
        self._close()
        if self._stage is None:  # an empty set: an empty folder, then its manifest
            self._begin()
        body = ""
        for name in sorted(self._sizes):
            body += "%s %d\n" % (name, self._sizes[name])
        text = body + "crc %08x\n" % crc32(body.encode())
        with self.fs.open(self.path + "/" + self._stage + "/" + _MANIFEST, "wb") as f:
            f.write(text.encode())
        self._cur = (self._stage, sorted(self._sizes))
        self._stage = None
        self._sizes = {}
        self.clean()

    def stage_drop(self):
        self._close()
        stage, self._stage = self._stage, None
        self._sizes = {}
        if stage is not None:
            self._rmtree(self.path + "/" + stage)

    def write(self, name, data):
        """Install the current set with routine `name` added or replaced (a new set,
        atomically); a file that is not a routine is written beside the sets."""
        if not name.endswith(_SUFFIX):
            self._side_write(name, data)
            return
        files = [(n, self.read(n)) for n in self.list() if n != name]
        files.append((name, data))
        self.install(files)

    def install(self, files):
        """Install `files` (a list of (name, bytes)) as the new set."""
        for name, data in files:
            self.stage_write(name, data, True)
        self.stage_commit()

    def clean(self):
        """Remove everything in the routines folder but the current set: older sets, a
        half-written one, the files of the firmware before sets. Run at boot and after
        each switch."""
        folder = self.current()[0]
        try:
            names = self.fs.listdir(self.path)
        except OSError:
            return
        for name in names:
            if name == folder or name == self._stage:
                continue
            path = self.path + "/" + name
            try:
                if _gen(name) >= 0:
                    self._rmtree(path)
                elif name.endswith(".tmp") or (folder is not None and name.endswith(_SUFFIX)):
                    self.fs.remove(path)  # a torn side file; routines of before sets
            except OSError:
                pass

    def _rmtree(self, path):
        fs = self.fs
        try:
            names = fs.listdir(path)
        except OSError:
            return
        if _MANIFEST in names:  # the manifest first: the folder stops being a set at once
            names.remove(_MANIFEST)
            fs.remove(path + "/" + _MANIFEST)
        for name in names:
            fs.remove(path + "/" + name)
        fs.rmdir(path)
