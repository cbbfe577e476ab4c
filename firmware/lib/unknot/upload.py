"""The rarely used control requests of the sync protocol (docs/protocol.md): routine upload
(UPLOAD_BEGIN / CHUNK / COMMIT, staged in RAM) and SET_SETTINGS.

Split from proto.py to keep the always-resident protocol handler small: proto imports this
module on the first such request only. Every function answers through `p._respond` (p is
the proto.Protocol) and may raise only what Protocol.control turns into ST_INTERNAL.
"""

import struct

from .crc import crc32
from .proto import (
    ARCHIVE_ENTRY,
    MAX_NAME,
    MAX_UPLOAD,
    OP_UPLOAD_BEGIN,
    OP_UPLOAD_CHUNK,
    OP_UPLOAD_COMMIT,
    REQ_UPLOAD_BEGIN,
    REQ_UPLOAD_CHUNK,
    RESP_OFFSET,
    SET_BOOL,
    SET_INT,
    SET_STR,
    SETTING_HEAD,
    SETTING_INT,
    ST_BAD_ARG,
    ST_BAD_CRC,
    ST_BAD_LENGTH,
    ST_BAD_OFFSET,
    ST_NO_UPLOAD,
    ST_OK,
    ST_STORAGE,
    ST_TOO_LARGE,
)


def parse_archive(blob):
    """Split a routine archive into [(name, data)]; ValueError if malformed."""
    files = []
    pos = 0
    head = struct.calcsize(ARCHIVE_ENTRY)
    n = len(blob)
    while pos < n:
        if pos + head > n:
            raise ValueError("truncated entry")
        name_len, size = struct.unpack_from(ARCHIVE_ENTRY, blob, pos)
        pos += head
        if name_len == 0 or name_len > MAX_NAME or pos + name_len + size > n:
            raise ValueError("bad entry")
        name = bytes(blob[pos : pos + name_len]).decode()
        if "/" in name or "\\" in name or name[0] == ".":
            raise ValueError("bad name")
        pos += name_len
        files.append((name, bytes(blob[pos : pos + size])))
        pos += size
    return files


def parse_settings(payload):
    """Decode settings TLVs into a dict; ValueError if malformed."""
    out = {}
    pos = 0
    head = struct.calcsize(SETTING_HEAD)
    n = len(payload)
    while pos < n:
        if pos + head > n:
            raise ValueError("truncated setting")
        klen, kind = struct.unpack_from(SETTING_HEAD, payload, pos)
        pos += head
        if klen == 0 or pos + klen > n:
            raise ValueError("bad key")
        key = bytes(payload[pos : pos + klen]).decode()
        pos += klen
        if kind == SET_INT:
            if pos + 4 > n:
                raise ValueError("truncated int")
            out[key] = struct.unpack_from(SETTING_INT, payload, pos)[0]
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
            out[key] = bytes(payload[pos : pos + slen]).decode()
            pos += slen
        else:
            raise ValueError("bad type")
    return out


class StorageStore:
    """Stages an upload in RAM (at most MAX_UPLOAD bytes) and installs it through the app's
    storage adapter only after the CRC and the archive were verified, so an interrupted or
    corrupted upload leaves the old routine set untouched. If the adapter has
    `replace(files)` (an atomic swap of the whole set, e.g. stage into /routines.new then
    rename), it is used; otherwise each file is written with `write(name, data)`."""

    def __init__(self, storage):
        self.storage = storage
        self.buf = bytearray()

    def stage_begin(self):
        self.buf = bytearray()

    def stage_append(self, data):
        self.buf.extend(data)

    def stage_read(self):
        return bytes(self.buf)

    def stage_drop(self):
        self.buf = bytearray()

    def replace(self, files):
        storage = self.storage
        if hasattr(storage, "replace"):
            storage.replace(files)
            return
        for name, data in files:
            storage.write(name, data)


def set_settings(p, op, data):
    try:
        values = parse_settings(data[1:])
    except (ValueError, UnicodeError):
        p._respond(op, ST_BAD_ARG)
        return
    try:
        p.app.apply_settings(values)
    except (ValueError, KeyError, TypeError):
        p._respond(op, ST_BAD_ARG)
        return
    p._respond(op, ST_OK)


def begin(p, data):
    op = OP_UPLOAD_BEGIN
    if len(data) != struct.calcsize(REQ_UPLOAD_BEGIN):
        p._respond(op, ST_BAD_LENGTH)
        return
    _, total, crc = struct.unpack(REQ_UPLOAD_BEGIN, data)
    if total == 0 or total > MAX_UPLOAD:
        p._respond(op, ST_TOO_LARGE)
        return
    try:
        if p.store is None:
            p.store = StorageStore(p.app.storage)
        p.store.stage_begin()
    except (OSError, MemoryError):
        p._respond(op, ST_STORAGE)
        return
    p._upload_len = total
    p._upload_crc = crc
    p._upload_got = 0
    p._upload_run = 0
    p._respond(op, ST_OK)


def chunk(p, data):
    op = OP_UPLOAD_CHUNK
    head = struct.calcsize(REQ_UPLOAD_CHUNK)
    if p._upload_len < 0:
        p._respond(op, ST_NO_UPLOAD)
        return
    if len(data) <= head:
        p._respond(op, ST_BAD_LENGTH)
        return
    offset = struct.unpack_from(REQ_UPLOAD_CHUNK, data)[1]
    part = data[head:]
    if offset != p._upload_got:
        p._respond(op, ST_BAD_OFFSET, struct.pack(RESP_OFFSET, p._upload_got))
        return
    if offset + len(part) > p._upload_len:
        p._respond(op, ST_TOO_LARGE)
        return
    try:
        p.store.stage_append(part)
    except (OSError, MemoryError):
        p.reset_upload()
        p._respond(op, ST_STORAGE)
        return
    p._upload_got += len(part)
    p._upload_run = crc32(part, p._upload_run)
    p._respond(op, ST_OK, struct.pack(RESP_OFFSET, p._upload_got))


def commit(p, data):
    op = OP_UPLOAD_COMMIT
    if len(data) != 1:
        p._respond(op, ST_BAD_LENGTH)
        return
    if p._upload_len < 0:
        p._respond(op, ST_NO_UPLOAD)
        return
    if p._upload_got != p._upload_len:
        p._respond(op, ST_BAD_OFFSET, struct.pack(RESP_OFFSET, p._upload_got))
        return
    try:
        blob = p.store.stage_read()
    except (OSError, MemoryError):
        p.reset_upload()
        p._respond(op, ST_STORAGE)
        return
    if (crc32(blob) & 0xFFFFFFFF) != p._upload_crc:
        p.reset_upload()
        p._respond(op, ST_BAD_CRC)
        return
    try:
        files = parse_archive(blob)
    except (ValueError, UnicodeError):
        p.reset_upload()
        p._respond(op, ST_BAD_ARG)
        return
    try:
        p.store.replace(files)
    except (OSError, MemoryError):
        p.reset_upload()
        p._respond(op, ST_STORAGE)
        return
    p.reset_upload()
    p.app.reload_routines()
    p._respond(op, ST_OK)
