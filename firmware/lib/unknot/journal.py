"""Session journal, boot counter and persisted settings in non-volatile memory (record
format, nvm layout v2, migration and power-cut guarantees: docs/journal.md; the flash
itself: docs/firmware.md "Non-volatile memory").

The nvm holds two slots (the two 4 KiB flash pages of an 8 KiB nvm). Each write writes one
complete image -- header (generation, epoch, boot, head, settings), the live records, CRC --
into the slot that does not hold the newest valid image, so a power cut at any erase or
program step leaves the newest complete image intact: at most the record being written is
lost, head never goes back past a committed record, the settings and boot counter survive.
"""

from struct import pack, pack_into, unpack_from

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from . import wire
from .crc import crc32

# The session record (docs/journal.md), defined here only as field specs (wire.py): the
# firmware proto, the host (unknot.journal, unknot.ble.session, through unknot.core) and the
# tests pack and unpack it with these and wire's functions.
RECORD_BODY = ("seq:I start:I routine_id:H steps_done:B steps_total:B active_s:H flags:B"
               " boot:B")
RECORD_CRC = "crc:I"  # crc32 of the body, at CRC_SPAN
RECORD_SIZE = const(20)  # the body and its crc
CRC_SPAN = const(16)  # the body's size: the crc32 covers bytes [0:16]
# A synced record is bytes [WIRE_START:CRC_SPAN], the body without seq (implied by the
# stream's first seq); the CRC is per stream (docs/protocol.md).
WIRE_START = const(4)
WIRE_RECORD_SIZE = const(12)
EMPTY_SEQ = const(0xFFFFFFFF)  # an erased slot; seq 0 is never used either

# Record flags.
COMPLETED = const(0x01)
ABORTED = const(0x02)
CLOCK_UNSET = const(0x04)
FROM_NUDGE = const(0x08)


def pack_record(seq, start, routine_id, steps_done, steps_total, active_s, flags, boot):
    """The 20-byte record (values are clamped to their field sizes)."""
    buf = bytearray(RECORD_SIZE)
    wire.pack_into(
        RECORD_BODY, buf, 0,
        seq & 0xFFFFFFFF, start & 0xFFFFFFFF, routine_id & 0xFFFF,
        min(steps_done, 255), min(steps_total, 255), min(active_s, 0xFFFF),
        flags & 0xFF, boot & 0xFF,
    )
    wire.pack_into(RECORD_CRC, buf, CRC_SPAN, crc32(memoryview(buf)[0:CRC_SPAN]) & 0xFFFFFFFF)
    return bytes(buf)


def unpack_record(b):
    """(seq, start, routine_id, steps_done, steps_total, active_s, flags, boot), or None when
    `b` is not a valid record (wrong size, CRC mismatch, seq 0 or 0xFFFFFFFF)."""
    if len(b) != RECORD_SIZE:
        return None
    if crc32(bytes(b[0:CRC_SPAN])) & 0xFFFFFFFF != wire.unpack(RECORD_CRC, b, CRC_SPAN)[0]:
        return None
    fields = wire.unpack(RECORD_BODY, b)
    if fields[0] == 0 or fields[0] == EMPTY_SEQ:
        return None
    return fields


# -- nvm layout v2 (docs/journal.md "Layout") --------------------------------------------
MAGIC = b"UNJ2"
HEADER = "<4sIIIIHBB"  # magic, generation, epoch, boot, head, count, settings length, 0
HEADER_SIZE = const(24)
SETTINGS_MAX = const(248)  # settings area, fixed size: host keys (auth.py, 97 B) + settings
RECORDS_AT = const(272)  # HEADER_SIZE + SETTINGS_MAX
STASH = "journal-v1.bin"  # v1 nvm copy kept in storage while migrating
_V1_STORE = const(512)  # v1: two 256-byte store copies, then the ring of 20-byte slots


def _random32():
    try:
        from os import urandom

        b = urandom(4)
        return b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24
    except (ImportError, AttributeError, NotImplementedError):
        from random import getrandbits

        return getrandbits(32)


def _crc(b):
    return crc32(b) & 0xFFFFFFFF


class Journal:
    """The nvm: a journal of records plus the boot counter and the settings blob.

    `head` is the next seq, `tail` the oldest stored one; `boot`, `settings` (bytes) and
    `epoch` (u32, random, made when the journal is created) are saved with every image.
    `append()` writes an image at once; `set_settings()` only marks them pending, `flush()`
    writes pending settings (the app rate-limits it). `storage` (optional: read, write,
    remove) keeps a copy of a v1 nvm while it is migrated."""

    def __init__(self, nvm, storage=None):
        self.nvm = nvm
        self.slot_size = (len(nvm) // 2) & ~3
        self.capacity = (self.slot_size - RECORDS_AT - 4) // RECORD_SIZE
        if self.capacity < 1:
            raise ValueError("nvm too small")
        self.storage = storage
        # the one image buffer (at most 4 KiB), made first so it is not a late large
        # allocation in a fragmented heap
        self._buf = bytearray(RECORDS_AT + self.capacity * RECORD_SIZE + 4)
        self.pending = False
        self.migrated = 0  # records taken over from a v1 nvm at this boot
        self.generation = 0
        self.epoch = _random32()
        self.boot = 0
        self.settings = b""
        self.head = 1
        self.count = 0  # records stored (seq head-count .. head-1), read from flash
        self._slot = 1  # slot of the newest valid image (the next write goes to the other)
        self.recover()

    # -- reading -----------------------------------------------------------------------
    def _image(self, slot):
        """(generation, epoch, boot, head, settings, count) of a valid image, or None."""
        pos = slot * self.slot_size
        hdr = bytes(self.nvm[pos : pos + HEADER_SIZE])
        magic, gen, epoch, boot, head, count, slen, _ = unpack_from(HEADER, hdr, 0)
        if magic != MAGIC or count > self.capacity or slen > SETTINGS_MAX or count >= head:
            return None
        end = RECORDS_AT + count * RECORD_SIZE
        crc = 0
        at = 0
        while at < end:  # in small pieces: no page-sized temporary
            n = min(end - at, 256)
            crc = crc32(bytes(self.nvm[pos + at : pos + at + n]), crc)
            at += n
        if crc & 0xFFFFFFFF != unpack_from("<I", bytes(self.nvm[pos + end : pos + end + 4]))[0]:
            return None
        if count:  # the image CRC covers the records; their seqs must match the header
            first = unpack_record(self._at(slot, 0))
            last = unpack_record(self._at(slot, count - 1))
            if first is None or last is None or first[0] != head - count or last[0] != head - 1:
                return None
        settings = bytes(self.nvm[pos + HEADER_SIZE : pos + HEADER_SIZE + slen])
        return gen, epoch, boot, head, settings, count

    def _at(self, slot, i):
        pos = slot * self.slot_size + RECORDS_AT + i * RECORD_SIZE
        return self.nvm[pos : pos + RECORD_SIZE]  # the image CRC vouches for it

    def recover(self):
        """Load the newest valid image; migrate a v1 nvm (or finish a cut migration)."""
        best = None
        for slot in range(2):
            img = self._image(slot)
            if img is not None and (best is None or img[0] > best[0]):
                best = img
                self._slot = slot
        if best is not None:
            self.generation, self.epoch, self.boot, self.head, settings, self.count = best
            self.settings = bytes(settings)
            if self.storage is not None:
                self._drop_stash()
            return
        old = self._load_stash()
        if old is None:
            if _v1_state(self.nvm) is None:
                return  # erased or unreadable: a new journal (written with the first record)
            old = bytes(self.nvm[0 : len(self.nvm)])
            self._stash(old)
        self._migrate(old)

    # -- migration from v1 -------------------------------------------------------------
    def _load_stash(self):
        if self.storage is None:
            return None
        try:
            raw = self.storage.read(STASH)
        except Exception:
            return None
        n = len(self.nvm)
        if len(raw) != n + 4 or _crc(raw[0:n]) != unpack_from("<I", raw, n)[0]:
            return None
        return raw[:-4]

    def _stash(self, old):
        if self.storage is None:
            return
        try:
            self.storage.write(STASH, old + pack("<I", _crc(old)))
        except Exception:
            pass  # read-only drive: migrate without the copy (docs/journal.md "Migration")

    def _drop_stash(self):
        try:
            self.storage.remove(STASH)
        except Exception:
            pass  # none there, or no remove()

    def _migrate(self, old):
        boot, settings, head, records = _v1_state(old)
        self.boot = boot
        self.settings = settings[:SETTINGS_MAX]
        self.head = head
        if len(records) > self.capacity:
            records = records[len(records) - self.capacity :]
        self.migrated = len(records)
        self._slot = 1
        self.count = 0
        self._write(0, b"".join(records))  # into slot 0; page 1 keeps v1 bytes until the next
        # write, which goes there (an image is only ever valid with the v2 magic and CRC)
        if self.storage is not None:
            self._drop_stash()

    # -- writing -----------------------------------------------------------------------
    def _write(self, keep=None, new=b""):
        """Write the state as a new image into the slot not holding the newest one: the
        last `keep` records of the newest image (default: all), then `new` (bytes)."""
        if keep is None:
            keep = self.count
        count = keep + len(new) // RECORD_SIZE
        end = RECORDS_AT + count * RECORD_SIZE
        buf = self._buf
        pack_into(HEADER, buf, 0, MAGIC, self.generation + 1, self.epoch & 0xFFFFFFFF,
                  self.boot & 0xFFFFFFFF, self.head, count, len(self.settings), 0)
        settings_end = HEADER_SIZE + len(self.settings)
        buf[HEADER_SIZE:settings_end] = self.settings
        for i in range(settings_end, RECORDS_AT):
            buf[i] = 0xFF
        src = self._slot * self.slot_size + RECORDS_AT + (self.count - keep) * RECORD_SIZE
        pos = RECORDS_AT
        stop = RECORDS_AT + keep * RECORD_SIZE
        while pos < stop:  # copied in small pieces: no page-sized temporary
            n = min(stop - pos, 8 * RECORD_SIZE)
            buf[pos : pos + n] = self.nvm[src : src + n]
            pos += n
            src += n
        buf[pos:end] = new
        pack_into("<I", buf, end, _crc(memoryview(buf)[0:end]))
        target = 1 - self._slot
        start = target * self.slot_size
        self.nvm[start : start + end + 4] = memoryview(buf)[0 : end + 4]
        self.generation += 1
        self._slot = target
        self.count = count
        self.pending = False

    def set_settings(self, blob):
        """Keep `blob` (bytes) as the settings; written by the next flush() or append()."""
        blob = bytes(blob)
        if len(blob) > SETTINGS_MAX:
            raise ValueError("settings too large")
        if blob != self.settings:
            self.settings = blob
            self.pending = True

    def flush(self):
        """Write the pending settings (and the current boot counter). True if it wrote."""
        if not self.pending:
            return False
        self._write()
        return True

    @property
    def tail(self):
        return self.head - self.count

    @property
    def dropped(self):
        """Records written on this device that are no longer stored (lost to overflow)."""
        return self.tail - 1

    def __len__(self):
        return self.count

    def append(self, start, routine_id, steps_done, steps_total, active_s, flags, boot):
        """Write a record (and any pending settings); returns its seq once it is on flash."""
        self.extend(((start, routine_id, steps_done, steps_total, active_s, flags, boot),))
        return self.head - 1

    def extend(self, fields):
        """Append several records with one flash write (prefilled test journals)."""
        new = b""
        head = self.head
        for f in fields:
            new += pack_record(head, *f)
            head += 1
        room = self.capacity * RECORD_SIZE
        if len(new) > room:
            new = new[len(new) - room :]
        keep = min(self.count, (room - len(new)) // RECORD_SIZE)
        old = self.head
        self.head = head
        try:
            self._write(keep, new)
        except Exception:
            self.head = old
            raise

    def read(self, seq):
        """The 20-byte record `seq` (bytes-like, one copy from flash), or None if it is not
        stored (never written, dropped) or damaged since the image was loaded (record CRC,
        checked in place: the host counts it as corrupt, docs/protocol.md)."""
        i = seq - self.tail
        if i < 0 or seq >= self.head:
            return None
        b = self._at(self._slot, i)
        if crc32(memoryview(b)[0:CRC_SPAN]) & 0xFFFFFFFF != wire.unpack(RECORD_CRC, b, CRC_SPAN)[0]:
            return None
        return b


def _v1_state(old):
    """(boot, settings, head, records oldest first) of a v1 nvm (bytes or the nvm), or None
    when it holds neither a valid store copy nor a record."""
    boot = None
    settings = b""
    best = -1
    for i in range(2):
        raw = bytes(old[i * 256 : i * 256 + 256])
        length, gen = unpack_from("<HI", raw, 0)
        if length > 246 or gen == 0xFFFFFFFF:
            continue
        end = 6 + length
        if _crc(raw[0:end]) != unpack_from("<I", raw, end)[0] or gen <= best or length < 4:
            continue
        best = gen
        boot = unpack_from("<I", raw, 6)[0]
        settings = raw[10:end]
    slots = (len(old) - _V1_STORE) // RECORD_SIZE
    found = {}
    top = 0
    for i in range(slots):
        pos = _V1_STORE + i * RECORD_SIZE
        rec = unpack_record(bytes(old[pos : pos + RECORD_SIZE]))
        if rec is not None and rec[0] % slots == i:
            found[rec[0]] = pos
            if rec[0] > top:
                top = rec[0]
    if boot is None and not found:
        return None
    records = []
    seq = top
    while seq in found and seq > top - (slots - 1):
        pos = found[seq]
        records.append(bytes(old[pos : pos + RECORD_SIZE]))
        seq -= 1
    records.reverse()
    return boot or 0, settings, top + 1, records
