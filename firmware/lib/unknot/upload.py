"""The rarely used control requests of the sync protocol (docs/protocol.md): routine upload
(UPLOAD_BEGIN / CHUNK / COMMIT / ABORT) and SET_SETTINGS, handled by an `Upload`.

Split from proto.py to keep the always-resident protocol handler small: the board loads it on
the first upload request (hw/ble.py passes `Upload` to proto.Protocol lazily). It imports the
wire definitions from proto; proto never imports it (no cycle), and nothing here touches the
Protocol: each request returns `(status, payload)` and the Protocol answers.

An upload streams to flash: each chunk is parsed as it arrives (archive entries: name length,
data length, name, data -- docs/protocol.md "Upload") and the file data is handed, a slice of
the chunk at a time, to the storage adapter's staging area (`stage_write(name, data, new)`),
never collected in RAM. The only buffer is a fixed one for an entry header and its name. At
COMMIT, once the length, the CRC of the whole archive and its framing are verified and there
are at most MAX_FILES files (else TOO_MANY), `ready` names the staged files and proto drops
this module, then installs them (library.install: the new routine set replaces the whole
previous one, `stage_commit()`, atomically: unknot.sets, but only once every staged file
decodes as a routine, `read_staged(name)`, one at a time; else BAD_FILE naming it); any
failure, ABORT or a dropped link discards them (`stage_drop()`), so the old routine set stays
untouched until then.
"""

from . import mods, wire
from .crc import crc32
from .proto import (
    MAX_FILES,
    MAX_NAME,
    MAX_UPLOAD,
    SET_BOOL,
    SET_INT,
    SET_STR,
    ST_BAD_ARG,
    ST_BAD_CRC,
    ST_BAD_LENGTH,
    ST_BAD_OFFSET,
    ST_BAD_SETTING,
    ST_NO_UPLOAD,
    ST_OK,
    ST_STORAGE,
    ST_TOO_LARGE,
    ST_TOO_MANY,
)

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


# The upload and settings requests (docs/protocol.md), field specs (wire.py): here, not in
# proto.py, so that they take RAM only once an upload or a settings write comes.
_REQ_UPLOAD_BEGIN = const("op:B length:I crc:I")  # crc32 of the whole archive
_REQ_UPLOAD_CHUNK = const("op:B offset:I")  # chunk bytes follow
# payload of a BAD_OFFSET response / OK chunk: next expected offset
_RESP_OFFSET = const("offset:I")
_ARCHIVE_ENTRY = const("name_len:B data_len:I")  # name and data follow
_SETTING_HEAD = const("key_len:B type:B")  # key and value follow (type: proto.SET_*)
_SETTING_INT = const("value:i")
# X_SIZE = wire.size(X): tests/firmware/test_wire.py checks each
_ARCHIVE_ENTRY_SIZE = const(5)
_REQ_UPLOAD_BEGIN_SIZE = const(9)
_REQ_UPLOAD_CHUNK_SIZE = const(5)
# stream states: reading an entry header (name length, data length), its name, its data;
# or the archive is malformed (the rest is only counted; COMMIT answers BAD_ARG)
_S_HEAD = const(0)
_S_NAME = const(1)
_S_DATA = const(2)
_S_BAD = const(3)


class Upload:
    """One upload session's state; `storage` is the app's storage adapter."""

    def __init__(self, storage):
        self.storage = storage
        # the one fixed buffer: header, then name
        self._head = bytearray(_ARCHIVE_ENTRY_SIZE + MAX_NAME)
        self.total = -1  # -1: no upload open
        self.crc = 0
        self.got = 0
        self._run = 0
        self._state = _S_HEAD
        self._fill = 0  # bytes of _head filled
        self._need = _ARCHIVE_ENTRY_SIZE  # bytes _head must hold before the state moves on
        self._name = None
        self._names = []  # the files of this upload, in order
        self._left = 0  # data bytes of the current entry still to come
        self._new = False
        self.ready = None  # after a good COMMIT: the staged file names to install

    @property
    def open(self):
        return self.total >= 0

    def drop(self):
        """Forget the upload and its staged files (ABORT, a dropped link, a failure)."""
        if self.total >= 0:
            self.total = -1
            self.storage.stage_drop()

    def begin(self, data):
        if len(data) != _REQ_UPLOAD_BEGIN_SIZE:
            return ST_BAD_LENGTH, None
        _, total, crc = wire.unpack(_REQ_UPLOAD_BEGIN, data)
        if total == 0 or total > MAX_UPLOAD:
            return ST_TOO_LARGE, None
        try:
            self.total = -1
            self.storage.stage_drop()
        except (OSError, MemoryError):
            return ST_STORAGE, None
        self.total = total
        self.crc = crc
        self.got = 0
        self._run = 0
        self._state = _S_HEAD
        self._fill = 0
        self._need = _ARCHIVE_ENTRY_SIZE
        self._name = None
        self._names = []
        self._left = 0
        return ST_OK, None

    def chunk(self, data):
        if self.total < 0:
            return ST_NO_UPLOAD, None
        n = len(data)
        if n <= _REQ_UPLOAD_CHUNK_SIZE:
            return ST_BAD_LENGTH, None
        offset = wire.unpack(_REQ_UPLOAD_CHUNK, data)[1]
        if offset != self.got:
            return ST_BAD_OFFSET, wire.pack(_RESP_OFFSET, self.got)
        if offset + n - _REQ_UPLOAD_CHUNK_SIZE > self.total:
            return ST_TOO_LARGE, None
        part = memoryview(data)[_REQ_UPLOAD_CHUNK_SIZE:]
        try:
            self._feed(part)
        except (OSError, MemoryError):
            self.drop()
            return ST_STORAGE, None
        self.got += len(part)
        self._run = crc32(part, self._run)
        return ST_OK, wire.pack(_RESP_OFFSET, self.got)

    def commit(self, data):
        if len(data) != 1:
            return ST_BAD_LENGTH, None
        if self.total < 0:
            return ST_NO_UPLOAD, None
        if self.got != self.total:
            return ST_BAD_OFFSET, wire.pack(_RESP_OFFSET, self.got)
        status = ST_OK
        if (self._run & 0xFFFFFFFF) != self.crc:
            status = ST_BAD_CRC
        elif len(self._names) > MAX_FILES:
            status = ST_TOO_MANY
        elif self._state != _S_HEAD or self._fill:  # malformed, or ends inside an entry
            status = ST_BAD_ARG
        else:  # whole and framed: proto installs the staged files without this module's code
            self.total = -1  # (library.install checks each one, then switches the set)
            self.ready = self._names
            return ST_OK, None
        self.drop()
        return status, None

    def settings(self, app, data):
        """SET_SETTINGS: (status, payload) to answer; BAD_SETTING names the refused key."""
        try:
            values = parse_settings(memoryview(data)[1:])
        except (ValueError, UnicodeError):
            return ST_BAD_ARG, None
        try:
            app.apply_settings(values)
        except KeyError as exc:  # the settings table refuses this key
            return ST_BAD_SETTING, str(exc.args[0]).encode()[:MAX_NAME]
        except (ValueError, TypeError):
            return ST_BAD_ARG, None
        return ST_OK, None

    # -- the archive stream --------------------------------------------------------------

    def _feed(self, part):
        """Parse `part` (a memoryview of archive bytes) and stage the file data in it."""
        pos = 0
        n = len(part)
        head = self._head
        while pos < n:
            state = self._state
            if state == _S_BAD:
                return
            if state == _S_DATA:
                take = min(self._left, n - pos)
                self.storage.stage_write(self._name, part[pos : pos + take], self._new)
                self._new = False
                self._left -= take
                pos += take
                if self._left == 0:
                    self._state = _S_HEAD
                    self._need = _ARCHIVE_ENTRY_SIZE
                continue
            take = min(self._need - self._fill, n - pos)
            head[self._fill : self._fill + take] = part[pos : pos + take]
            self._fill += take
            pos += take
            if self._fill < self._need:
                return
            if state == _S_HEAD:
                name_len, size = wire.unpack(_ARCHIVE_ENTRY, head, 0)
                # the entry must fit in the declared archive length
                if name_len == 0 or name_len > MAX_NAME or (
                    self.got + pos + name_len + size > self.total
                ):
                    self._state = _S_BAD
                    return
                self._left = size
                self._state = _S_NAME
                self._need = _ARCHIVE_ENTRY_SIZE + name_len
            else:
                self._state = _S_BAD
                try:
                    name = str(head[_ARCHIVE_ENTRY_SIZE : self._need], "utf-8")
                except UnicodeError:
                    return
                if ("/" in name or "\\" in name or name[0] == "."
                        or mods.load("sets").reserved(name)):
                    return  # nothing staged; COMMIT answers BAD_ARG
                if name in self._names:
                    return  # the same file twice
                self._names.append(name)
                if len(self._names) > MAX_FILES:
                    return  # too many: COMMIT answers TOO_MANY
                self._name = name
                self._fill = 0
                self._new = True
                if self._left == 0:  # an empty file is still a file
                    self.storage.stage_write(name, b"", True)
                    self._state = _S_HEAD
                    self._need = _ARCHIVE_ENTRY_SIZE
                else:
                    self._state = _S_DATA


def parse_settings(payload):
    """Decode settings TLVs into a dict; ValueError if malformed."""
    out = {}
    pos = 0
    head = wire.size(_SETTING_HEAD)
    n = len(payload)
    while pos < n:
        if pos + head > n:
            raise ValueError("truncated setting")
        klen, kind = wire.unpack(_SETTING_HEAD, payload, pos)
        pos += head
        if klen == 0 or pos + klen > n:
            raise ValueError("bad key")
        key = str(payload[pos : pos + klen], "utf-8")
        pos += klen
        if kind == SET_INT:
            if pos + 4 > n:
                raise ValueError("truncated int")
            out[key] = wire.unpack(_SETTING_INT, payload, pos)[0]
            pos += 4
        elif kind == SET_BOOL:
            if pos + 1 > n:
                raise ValueError("truncated bool")
            out[key] = payload[pos] != 0
            pos += 1
        elif kind == SET_STR:
            if pos + 1 > n:
                raise ValueError("truncated str")
            slen = payload[pos]
            pos += 1
            if pos + slen > n:
                raise ValueError("truncated str")
            out[key] = str(payload[pos : pos + slen], "utf-8")
            pos += slen
        else:
            raise ValueError("bad type")
    return out
