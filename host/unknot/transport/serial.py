"""Serial backend: the board's REPL over USB serial, through mpremote's SerialTransport.

Connects lazily (first operation), interrupts the running program and enters the raw REPL
without a soft reset; always leaves the raw REPL and closes the port in close(), and after a
write soft-reboots the board so the firmware restarts with the new files. Each file is
written to a temp name, renamed over the old one, and verified by sha256 computed on the
device (hashlib; falls back to reading the file back). Unchanged files are skipped.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Mapping
from typing import Any

from unknot.core import library
from unknot.device import routineset, settings
from unknot.device.files import Progress, UploadSummary
from unknot.device.layout import (
    FIRMWARE_INIT,
    ROUTINES_DIR,
    SETTINGS_FILE,
    check_routine_names,
    firmware_version_of,
)
from unknot.errors import DeviceError
from unknot.transport.base import DeviceReport, Transport

READ_ONLY_HELP = (
    "the board's filesystem is read-only to code while its USB drive is mounted on a "
    "computer. Either copy over the drive (unknot flash --drive PATH), or make it writable "
    "over serial: hold the button while pressing reset (boot.py then remounts it for code; "
    "the drive becomes read-only to the computer until the next plain reset). "
    "See docs/getting-started.md, 'Two storage modes'."
)


_CHUNK = 256  # bytes per exec: fits the raw REPL's buffers on a small board

_HASH = """\
def _unk_sha(p):
    try:
        import hashlib
    except ImportError:
        return 'nohash'
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    h = hashlib.sha256()
    b = bytearray(256)
    while True:
        n = f.readinto(b)
        if not n:
            break
        h.update(b[:n])
    f.close()
    import binascii
    return binascii.hexlify(h.digest()).decode()
"""

_INFO = """\
import os, sys, time
def _unk_ls(d):
    try:
        from unknot.sets import OsFS, SetStore
        _s = SetStore(OsFS(), d)
        return sorted((n, len(_s.read(n))) for n in _s.list())
    except ImportError:
        pass
    try:
        return sorted((n, os.stat(d + '/' + n)[6]) for n in os.listdir(d))
    except OSError:
        return []
try:
    _c = tuple(time.localtime())[:6]
except Exception:
    _c = None
print(repr((_unk_ls('/{routines}'), _c, sys.implementation.name,
            '.'.join(str(v) for v in sys.implementation.version[:3]))))
"""


_SETS_OPEN = f"from unknot.sets import OsFS, SetStore\n_s = SetStore(OsFS(), '/{ROUTINES_DIR}')"


def set_install_steps(files: Mapping[str, bytes], opened: bool = False) -> list[str]:
    """The code the board runs, one raw-REPL exec per item, to install `files` as its new
    routine set with its own sets.SetStore (file data in chunks the REPL's buffers take)."""
    steps = [] if opened else [_SETS_OPEN]
    for name, data in sorted(files.items()):
        steps.append(f"_s.stage_write({name!r}, b'', True)")
        for i in range(0, len(data), _CHUNK):
            steps.append(f"_s.stage_write({name!r}, {data[i:i + _CHUNK]!r}, False)")
    steps.append("_s.stage_commit()")
    return steps


def set_install_code(files: Mapping[str, bytes]) -> str:
    """set_install_steps as one program (the power-cut test runs it under MicroPython)."""
    return "\n".join(set_install_steps(files))


class SerialBackend(Transport):
    def __init__(self, port: str, baudrate: int = 115200) -> None:
        self.port = port
        self.baudrate = baudrate
        self.description = f"serial {port}"
        self._t: Any = None
        self._wrote = False

    # -- connection -------------------------------------------------------------------------
    def _conn(self) -> Any:
        if self._t is None:
            from mpremote.transport import TransportError
            from mpremote.transport_serial import SerialTransport

            try:
                t = SerialTransport(self.port, baudrate=self.baudrate)
            except TransportError as exc:
                raise DeviceError(f"cannot open {self.port}: {exc}. Is the board plugged in, "
                                  "and is no other program (a serial monitor) using it?") from None
            try:
                t.enter_raw_repl(soft_reset=False)
            except TransportError as exc:
                t.close()
                raise DeviceError(f"no Python REPL answered on {self.port} ({exc})") from None
            self._t = t
        return self._t

    def close(self) -> None:
        t, self._t = self._t, None
        if t is None:
            return
        try:
            t.exit_raw_repl()
            if self._wrote:
                t.serial.write(b"\x04")  # soft reboot: the firmware restarts with new files
        except OSError:
            pass
        finally:
            t.close()

    def _exec(self, code: str, what: str) -> bytes:
        from mpremote.transport import TransportError, TransportExecError

        try:
            out: bytes = self._conn().exec(code)
            return out
        except TransportExecError as exc:
            err = str(exc.error_output)
            if "Read-only" in err or "EROFS" in err or "Errno 30" in err or err.rstrip().endswith(
                "OSError: 30"
            ):
                raise DeviceError(f"cannot write {what}: {READ_ONLY_HELP}") from None
            if "ENOSPC" in err or "Errno 28" in err or err.rstrip().endswith("OSError: 28"):
                raise DeviceError(f"the board's filesystem is full while writing {what} (the old "
                                  "file, if any, is unchanged)") from None
            last = err.strip().splitlines()[-1] if err.strip() else "error"
            raise DeviceError(f"the board failed on {what}: {last}") from None
        except TransportError as exc:
            raise DeviceError(f"lost the board on {self.port} during {what}: {exc}") from None

    def _eval(self, code: str, what: str) -> Any:
        out = self._exec(code, what).decode("utf-8", "replace").strip()
        try:
            return ast.literal_eval(out.splitlines()[-1])
        except (ValueError, SyntaxError, IndexError):
            raise DeviceError(f"unexpected answer from the board during {what}: {out!r}") from None

    # -- files ------------------------------------------------------------------------------
    def _sha(self, path: str) -> str | None:
        digest = self._eval(_HASH + f"print(repr(_unk_sha({path!r})))", f"hashing {path}")
        if digest == "nohash":  # a build without hashlib: read it back and hash here
            data = self.read_file(path)
            return None if data is None else hashlib.sha256(data).hexdigest()
        return digest if isinstance(digest, str) else None

    def read_file(self, path: str) -> bytes | None:
        code = (f"try:\n f=open({path!r},'rb')\nexcept OSError:\n print('None')\nelse:\n"
                " print(repr(f.read()))\n f.close()")
        data = self._eval(code, f"reading {path}")
        return data if isinstance(data, bytes) else None

    def _mkdir(self, path: str) -> None:
        self._exec(f"import os\ntry:\n os.stat({path!r})\nexcept OSError:\n os.mkdir({path!r})",
                   f"creating {path}")

    def write_file(self, path: str, data: bytes, progress: Progress | None = None,
                   name: str | None = None) -> bool:
        """Write one file atomically and verify it; False if it was already identical."""
        want = hashlib.sha256(data).hexdigest()
        label = name or path
        if self._sha(path) == want:
            if progress:
                progress(label, len(data), len(data))
            return False
        tmp = path + ".tmp"
        self._wrote = True
        try:
            self._exec(f"_f=open({tmp!r},'wb')\n_w=_f.write", f"writing {path}")
            for i in range(0, len(data), _CHUNK):
                self._exec(f"_w({data[i:i + _CHUNK]!r})", f"writing {path}")
                if progress:
                    progress(label, min(i + _CHUNK, len(data)), len(data))
            self._exec("_f.close()", f"writing {path}")
        except DeviceError:
            self._exec(f"import os\ntry:\n _f.close()\nexcept Exception:\n pass\n"
                       f"try:\n os.remove({tmp!r})\nexcept OSError:\n pass", "cleaning up")
            raise
        # rename inside the file's directory with bare names: MicroPython's VfsPosix mishandles
        # absolute paths in rename; FAT refuses to rename over a file, so remove it then.
        folder, _, base = path.rpartition("/")
        self._exec(f"import os\nos.chdir({folder or '/'!r})\ntry:\n os.rename({base + '.tmp'!r},"
                   f"{base!r})\nexcept OSError:\n os.remove({base!r})\n os.rename("
                   f"{base + '.tmp'!r},{base!r})\nfinally:\n os.chdir('/')", f"renaming {path}")
        if self._sha(path) != want:
            raise DeviceError(f"{path} on the board differs from what was sent; run it again")
        return True

    # -- Transport --------------------------------------------------------------------------
    def write_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None, *, prune: bool = False
    ) -> UploadSummary:
        """The board installs the new set itself, with its own firmware's sets.SetStore
        (atomic: a new set folder switched by its manifest), driven through the raw REPL."""
        check_routine_names(files)
        try:
            self._exec(_SETS_OPEN, "opening the routine sets")
        except DeviceError as exc:
            if "ImportError" in str(exc) or "no module" in str(exc).lower():
                raise DeviceError("the firmware on the board is older than this host (no "
                                  "unknot.sets): run `unknot device install` first") from None
            raise
        names = self._eval("print(repr(_s.list()))", "listing routines")
        current: dict[str, bytes] = {}
        for n in names:
            data = self._eval(f"print(repr(_s.read({n!r})))", f"reading {n}")
            if isinstance(data, bytes):
                current[n] = data
        new, summary = routineset.plan(current, files, prune)
        if new == current:
            return summary
        self._wrote = True
        for step in set_install_steps(new, opened=True):
            self._exec(step, "installing the routine set")
        self._exec(_SETS_OPEN, "checking the routine set")
        for n, data in sorted(new.items()):
            got = self._eval(f"print(repr(_s.read({n!r})))", f"verifying {n}")
            if got != data:
                raise DeviceError(f"{n} on the board differs from what was sent; run it again")
            if progress:
                progress(f"{ROUTINES_DIR}/{n}", len(data), len(data))
        if sorted(self._eval("print(repr(_s.list()))", "listing routines")) != sorted(new):
            raise DeviceError("the board's routine set differs from what was sent; run it again")
        return summary

    def read_info(self) -> DeviceReport:
        info = DeviceReport(self.description)
        init = self.read_file("/" + FIRMWARE_INIT)
        if init:
            info.firmware_version = firmware_version_of(init.decode("utf-8", "replace"))
        boot = self.read_file("/boot_out.txt")
        if boot:
            from unknot.device.circuitpy import ble_status, parse_boot_out

            try:
                b = parse_boot_out(boot.decode("utf-8", "replace"))
                info.circuitpython, info.board = b.version, b.board
                if info.firmware_version:
                    info.extra["BLE"] = ble_status(b)
            except DeviceError:
                pass
        listing, clock, impl, version = self._eval(_INFO.format(routines=ROUTINES_DIR),
                                                   "reading device info")
        info.routines = [(n, s) for n, s in listing if n.endswith(library.SUFFIX)]
        if clock:
            y, mo, d, h, mi, s = clock
            info.clock = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"
        if info.circuitpython is None:
            info.extra["python"] = f"{impl} {version}"
        return info

    def write_settings(self, values: Mapping[str, int | str]) -> None:
        path = "/" + SETTINGS_FILE
        old = self.read_file(path)
        text = settings.apply(old.decode("utf-8") if old else "", values)
        self.write_file(path, text.encode("utf-8"))
