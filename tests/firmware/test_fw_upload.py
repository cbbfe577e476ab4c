"""Routine upload through the firmware protocol handler (proto.Protocol + upload.Upload):
the archive streams to the storage's staging area, chunk boundaries anywhere (even inside an
entry header or a name), and nothing reaches the routine set before a good COMMIT."""

from __future__ import annotations

import struct
import zlib

import pytest
import unkbuild  # tools/mp (tests/firmware/conftest.py puts it on the path)
from authed import Authed
from unknot import core, fwload
from unknot.core import wire
from unknot.sim.simnvm import new_nvm

proto = fwload.module("proto")
upload = fwload.module("upload")


class Storage:
    def __init__(self) -> None:
        self.files = {"old.unk": b"old"}
        self.staged: dict[str, bytes] = {}
        self.writes = 0  # stage_write calls

    def list(self) -> list[str]:
        return list(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]

    def stage_write(self, name: str, data: memoryview, new: bool) -> None:
        self.writes += 1
        self.staged[name] = (b"" if new else self.staged[name]) + bytes(data)

    def read_staged(self, name: str) -> bytes:
        return self.staged[name]

    def stage_commit(self) -> None:  # the staged files replace the whole set
        self.files = self.staged
        self.staged = {}

    def stage_drop(self) -> None:
        self.staged = {}


class Clock:
    def now_ms(self) -> int:
        return 1000

    def unix(self) -> None:
        return None


class App:
    def __init__(self) -> None:
        self.storage = Storage()
        self.reloads = 0
        self.journal = fwload.module("journal").Journal(new_nvm())
        self.clock = Clock()
        self.device_id = b"\x01\x02"
        self.boot = 1
        self.battery = None
        self.routines: list[object] = []
        self.keyring = fwload.module("keyring").Keyring(self.clock)
        self.announced: list[tuple[int, ...]] = []  # STATUS queue (proto reads it)

    def reload_routines(self) -> None:
        self.reloads += 1


def _flags(p: object) -> int:
    return int(wire.unpack(proto.STATE, p.state())[8])  # type: ignore[attr-defined]


def archive(files: dict[str, bytes]) -> bytes:
    out = b""
    for name, data in files.items():
        out += wire.pack(core.upload.ARCHIVE_ENTRY, len(name), len(data)) + name.encode() + data
    return out


def send(p: object, blob: bytes, size: int, crc: int | None = None) -> list[int]:
    """BEGIN, CHUNKs of `size` bytes, COMMIT: the status of every answer."""
    crc = zlib.crc32(blob) if crc is None else crc
    reqs = [wire.pack(core.upload.REQ_UPLOAD_BEGIN, proto.OP_UPLOAD_BEGIN, len(blob), crc)]
    for off in range(0, len(blob), size):
        reqs.append(wire.pack(core.upload.REQ_UPLOAD_CHUNK, proto.OP_UPLOAD_CHUNK, off)
                    + blob[off : off + size])
    reqs.append(bytes([proto.OP_UPLOAD_COMMIT]))
    out = []
    for r in reqs:
        p.control(r)  # type: ignore[attr-defined]
        frame = p.next_frame()  # type: ignore[attr-defined]
        out.append(frame[2])
    return out


FILES = {"a.unk": unkbuild.build(unkbuild.SAMPLES["breathe"], slug="a"),
         "b.unk": unkbuild.build(unkbuild.SAMPLES["holds"], slug="b"),
         "c.unk": unkbuild.build(unkbuild.SAMPLES["reps"], slug="c")}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 37, 240])
def test_any_chunking_installs_the_same_files(size: int) -> None:
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    statuses = send(p, archive(FILES), size)
    assert statuses == [proto.ST_OK] * len(statuses)
    assert app.storage.files == FILES  # the new set replaced the old one
    assert app.reloads == 1 and app.storage.staged == {}


def test_nothing_installed_before_commit_and_abort_drops() -> None:
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    blob = archive(FILES)
    p.control(wire.pack(core.upload.REQ_UPLOAD_BEGIN, proto.OP_UPLOAD_BEGIN, len(blob),
                          zlib.crc32(blob)))
    p.control(wire.pack(core.upload.REQ_UPLOAD_CHUNK, proto.OP_UPLOAD_CHUNK, 0) + blob[:100])
    assert app.storage.files == {"old.unk": b"old"} and app.storage.staged
    assert _flags(p) & proto.STATE_UPLOAD_OPEN
    p.control(bytes([proto.OP_UPLOAD_ABORT]))
    assert app.storage.staged == {} and not _flags(p) & proto.STATE_UPLOAD_OPEN
    p.control(wire.pack(core.upload.REQ_UPLOAD_CHUNK, proto.OP_UPLOAD_CHUNK, 100) + blob[100:])
    frames = [p.next_frame() for _ in range(4)]
    assert frames[-1][2] == proto.ST_NO_UPLOAD


def test_link_drop_discards_the_staging() -> None:
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    blob = archive(FILES)
    p.control(wire.pack(core.upload.REQ_UPLOAD_BEGIN, proto.OP_UPLOAD_BEGIN, len(blob),
                          zlib.crc32(blob)))
    p.control(wire.pack(core.upload.REQ_UPLOAD_CHUNK, proto.OP_UPLOAD_CHUNK, 0) + blob[:50])
    p.reset()
    assert app.storage.staged == {} and app.storage.files == {"old.unk": b"old"}


@pytest.mark.parametrize(
    ("blob", "crc_ok", "status"),
    [
        (archive(FILES), False, "ST_BAD_CRC"),
        (archive(FILES)[:-1], True, "ST_BAD_ARG"),  # ends inside an entry
        (struct.pack("<BI", 0, 1) + b"x", True, "ST_BAD_ARG"),  # empty name
        (struct.pack("<BI", 33, 0) + b"n" * 33, True, "ST_BAD_ARG"),  # name too long
        (struct.pack("<BI", 5, 1) + b"a/b.u" + b"x", True, "ST_BAD_ARG"),  # a path
        (struct.pack("<BI", 4, 1) + b".unk" + b"x", True, "ST_BAD_ARG"),  # hidden
        (struct.pack("<BI", 1, 9) + b"a" + b"x", True, "ST_BAD_ARG"),  # longer than archive
        (struct.pack("<BI", 2, 0) + b"\xff\xfe", True, "ST_BAD_ARG"),  # not UTF-8
    ],
)
def test_bad_archives_change_nothing(blob: bytes, crc_ok: bool, status: str) -> None:
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    crc = zlib.crc32(blob) if crc_ok else zlib.crc32(blob) ^ 1
    statuses = send(p, blob, 3, crc)
    assert statuses[-1] == getattr(proto, status)
    assert statuses[:-1] == [proto.ST_OK] * (len(statuses) - 1)
    assert app.storage.files == {"old.unk": b"old"} and app.storage.staged == {}
    assert app.reloads == 0


def test_file_data_is_streamed_not_collected() -> None:
    """A file's data reaches the storage chunk by chunk (one stage_write per chunk piece)."""
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    blob = archive({"big.unk": bytes(1000)})
    assert send(p, blob, 100)[-1] == proto.ST_BAD_FILE  # streamed, then refused: junk
    assert app.storage.writes >= 10


@pytest.mark.parametrize(
    ("files", "status", "named"),
    [
        ({**FILES, "junk.unk": b"UNK1" + bytes(40)}, "ST_BAD_FILE", b"junk.unk"),
        ({**FILES, "d.unk": FILES["a.unk"][:-1]}, "ST_BAD_FILE", b"d.unk"),  # truncated
        ({"a.unk": FILES["a.unk"], "notes.txt": b"hi"}, "ST_BAD_FILE", b"notes.txt"),
        ({f"r{i}.unk": FILES["a.unk"] for i in range(17)}, "ST_TOO_MANY", b""),
    ],
)
def test_junk_and_too_many_files_install_nothing(files: dict[str, bytes], status: str,
                                                 named: bytes) -> None:
    """Every file is decoded at COMMIT: one bad file refuses the whole set (the answer names
    it); more than MAX_FILES files are refused."""
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    assert send(p, archive(files), 200)[-1] == getattr(proto, status)
    assert p.last_body[3:] == named  # the COMMIT answer, opened
    assert app.storage.files == {"old.unk": b"old"} and app.storage.staged == {}
    assert app.reloads == 0


def test_two_control_writes_between_polls_are_both_answered() -> None:
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    sent = []
    p.p.sender = sent.append
    p.control(bytes([proto.OP_UPLOAD_ABORT]))
    p.control(b"\x09")
    p.poll(0)
    assert [bytes(f)[1:3] for f in sent] == [bytes([proto.OP_UPLOAD_ABORT, 0]), b"\x09\x01"]


def test_without_an_upload_handler_uploads_are_unknown() -> None:
    p = Authed(proto.Protocol(App()))
    p.control(wire.pack(core.upload.REQ_UPLOAD_BEGIN, proto.OP_UPLOAD_BEGIN, 10, 0))
    assert p.next_frame()[2] == 1  # UNKNOWN_OPCODE


@pytest.mark.parametrize("name", ["SET", "set.7"])
def test_reserved_set_names_are_refused_at_staging(name: str) -> None:
    """Issue 17: a paired host stages `SET` (the set manifest) or `set.<n>` next to a routine
    and never commits: nothing is staged (so no power cut can install it), COMMIT refuses."""
    app = App()
    p = Authed(proto.Protocol(app, upload.Upload))
    blob = archive({"a.unk": FILES["a.unk"], name: b"a.unk 1\n"})
    statuses = send(p, blob, 200)
    assert statuses[-1] == proto.ST_BAD_ARG
    assert not any(n.endswith(name) for n in app.storage.staged)
    assert app.storage.files == {"old.unk": b"old"}
