"""Session journal, boot counter and persisted settings in non-volatile memory (record
format, nvm layout v3, the RAM hold, migration and power-cut guarantees: docs/journal.md;
the flash itself: docs/firmware.md "Non-volatile memory").

The nvm holds two slots (the two 4 KiB flash pages of an 8 KiB nvm). Each write writes one
complete image -- header (generation, epoch, boot, head, reserve, settings), the stored
records, CRC -- into the slot that does not hold the newest valid image, so a power cut at
any erase or program step leaves the newest complete image intact.

Finished sessions are first kept in `ram` (alarm.sleep_memory on the board: kept through a
reset, the watchdog and deep sleep, lost at a power cut) and written to the nvm in batches:
one erase per batch instead of one per session. Every image reserves the next `hold`
sequence numbers for the records the RAM may hand out before the next write; a boot that
finds the RAM lost continues after the reserve, so no number a host may have seen is ever
given twice.
"""

from struct import pack, pack_into

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from . import wire
from .crc import RESIDUE, crc32

# The session record (docs/journal.md), defined here only as field specs (wire.py): the
# firmware proto, the host (unknot.journal, unknot.ble.session, through unknot.core) and the
# tests pack and unpack it with these and wire's functions.
_RECORD_BODY = const("seq:I start:I routine_id:H steps_done:B steps_total:B active_s:H flags:B"
                     " boot:B")
_RECORD_CRC = const("crc:I")  # crc32 of the body, at CRC_SPAN
RECORD_SIZE = const(20)  # the body and its crc
_CRC_SPAN = const(16)  # the body's size: the crc32 covers bytes [0:16]
# A synced record is bytes [WIRE_START:CRC_SPAN], the body without seq (implied by the
# stream's first seq); the CRC is per stream (docs/protocol.md).
WIRE_START = const(4)
WIRE_RECORD_SIZE = const(12)
_EMPTY_SEQ = const(0xFFFFFFFF)  # an erased slot; seq 0 is never used either

# Record flags.
COMPLETED = const(0x01)
ABORTED = const(0x02)
CLOCK_UNSET = const(0x04)
FROM_NUDGE = const(0x08)


def pack_record(seq, start, routine_id, steps_done, steps_total, active_s, flags, boot):
    """The 20-byte record (values are clamped to their field sizes)."""
    buf = bytearray(RECORD_SIZE)
    wire.pack_into(
        _RECORD_BODY, buf, 0,
        seq & 0xFFFFFFFF, start & 0xFFFFFFFF, routine_id & 0xFFFF,
        min(steps_done, 255), min(steps_total, 255), min(active_s, 0xFFFF),
        flags & 0xFF, boot & 0xFF,
    )
    wire.pack_into(_RECORD_CRC, buf, _CRC_SPAN, crc32(memoryview(buf)[0:_CRC_SPAN]) & 0xFFFFFFFF)
    return bytes(buf)


def unpack_record(b):
    """(seq, start, routine_id, steps_done, steps_total, active_s, flags, boot), or None when
    `b` is not a valid record (wrong size, CRC mismatch, seq 0 or 0xFFFFFFFF)."""
    if len(b) != RECORD_SIZE:
        return None
    if crc32(bytes(b[0:_CRC_SPAN])) & 0xFFFFFFFF != wire.unpack(_RECORD_CRC, b, _CRC_SPAN)[0]:
        return None
    fields = wire.unpack(_RECORD_BODY, b)
    if fields[0] == 0 or fields[0] == _EMPTY_SEQ:
        return None
    return fields


# -- nvm layout v3 (docs/journal.md "Layout") --------------------------------------------
MAGIC = b"UNJ3"  # (image_at reads layout v2 images too)
HEADER = "<4sIIIIHBB"  # magic, generation, epoch, boot, head, count, settings length, reserve
HEADER_SIZE = const(24)
SETTINGS_MAX = const(248)  # settings area, fixed size: host keys (auth.py, 97 B) + settings
RECORDS_AT = const(272)  # HEADER_SIZE + SETTINGS_MAX
_FLASH_PAGE = const(4096)  # the nRF52840 erase unit (docs/firmware.md "Non-volatile memory")
STASH = "journal-v1.bin"  # v1 nvm copy kept in storage while migrating (migrate.py)

# -- the RAM hold (docs/journal.md "RAM hold") -------------------------------------------
RAM_MAGIC = b"UNR1"
RAM_HEADER = "<4sIII"  # magic, epoch, boot, crc32 of bytes [0:12]
RAM_HEADER_SIZE = const(16)
_RAM_SIZE = const(256)  # alarm.sleep_memory on nordic (SLEEP_MEMORY_LENGTH, docs/journal.md)
RAM_MAX = const(12)  # (256 - RAM_HEADER_SIZE) // RECORD_SIZE: record slots (seq % 12)
HOLD = const(7)  # records held before a batch write: the 8th finished session writes all 8


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


def _seq_of(b):
    return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)


class Journal:
    """The nvm: a journal of records plus the boot counter and the settings blob.

    `head` is the next seq a host may see (every seq below it was handed out, is stored, or
    was skipped after a power cut), `tail` the oldest stored one; `boot`, `settings` (bytes)
    and `epoch` (u32, random, made when the journal is created) are saved with every image.

    `ram` (optional, RAM_SIZE bytes that survive resets: alarm.sleep_memory) holds finished
    records until a batch: `append()` keeps a record there while fewer than `hold` are held
    and writes them all with the next one (`hold` = 0: every record at once). `flush()`
    writes the held records and pending settings; `set_settings()` only marks them pending.
    A write that fails (the board raises RuntimeError) leaves the record held (`error`
    says why; the App retries). `storage` (optional: read, write, remove) keeps a copy of a
    v1 nvm while it is migrated (migrate.py). `page`: the flash erase unit; an nvm of fewer than two
    pages is refused (`refused` says why; records are then held in RAM only)."""

    # rarely set: class attributes, so each Journal's own dict stays small (heap)
    refused = None  # why the nvm cannot hold the journal (one page), else None
    error = None  # why the last write failed (None after a good one)
    ram_lost = False  # the RAM hold did not survive (a power cut): see _load_ram
    migrated = 0  # records taken over from a v1 nvm at this boot
    v1 = False  # the nvm holds layout v1 data: migrate.migrate(journal) takes it over

    def __init__(self, nvm, storage=None, ram=None, hold=HOLD, page=_FLASH_PAGE):
        self.nvm = nvm
        self.slot_size = (len(nvm) // 2) & ~3
        self.capacity = (self.slot_size - RECORDS_AT - 4) // RECORD_SIZE
        if len(nvm) < 2 * page:  # two images in one page are one image
            self.refused = "nvm is %d bytes, less than two %d-byte flash pages" % (len(nvm), page)
        elif self.capacity < 1:
            raise ValueError("nvm too small")
        self.storage = storage
        self.ram = ram if ram is not None and len(ram) >= _RAM_SIZE else None
        self.hold = min(hold, RAM_MAX) if self.ram is not None else 0
        self.generation = 0
        self.epoch = _random32()
        self.boot = 0
        self.settings = b""
        self.durable = 1  # head of the newest image: every seq below it is on flash or gone
        self.head = 1
        self._next = 1  # the next seq to give (> head while held records wait unserved)
        self.count = 0  # records stored in the newest image, read from flash
        self.held = 0  # records in the RAM: seqs _next-held .. _next-1
        self.spare = 0  # the newest image's reserve: seqs durable.. the RAM may hand out
        self.pending = False  # settings not yet written
        self.writes = 0  # nvm write attempts (each one page erase)
        if self.refused is not None:
            self.error = "nvm refused: " + self.refused
        self._slot = 1  # slot of the newest valid image (the next write goes to the other)
        self.recover()

    # -- reading -----------------------------------------------------------------------
    def _at(self, slot, i):
        pos = slot * self.slot_size + RECORDS_AT + i * RECORD_SIZE
        return self.nvm[pos : pos + RECORD_SIZE]  # the image CRC vouches for it

    def _seq_at(self, i):
        pos = self._slot * self.slot_size + RECORDS_AT + i * RECORD_SIZE
        return _seq_of(self.nvm[pos : pos + 4])

    def recover(self):
        """Load the newest valid image, then the records the RAM still holds. An nvm with
        data but no image (layout v1) sets `v1`: the caller migrates it (migrate.py) before
        anything is written (until then the journal refuses writes). The code lives in
        recover.py, loaded for it and dropped after (mods.py): only a boot needs it."""
        from . import mods

        try:
            mods.load("recover").recover(self)
        finally:
            mods.drop("recover")

    def _served(self):
        """head: the held records a host may see are those inside the reserve of the
        newest image (a record held after a failed write may lie beyond it). With a refused
        nvm nothing is durable: every boot after a power cut starts a new epoch."""
        if self.refused is not None:
            self.head = self._next
        else:
            self.head = min(self._next, self.durable + self.spare)

    # -- the RAM hold ------------------------------------------------------------------
    def set_boot(self, boot):
        """This boot's number: written with the next image, and now into the RAM header,
        so boots that write no image (sessions held) still count (lost at a power cut)."""
        self.boot = boot
        self.save_ram()

    def save_ram(self):
        """Write the RAM header (epoch, boot); the record slots stay as they are."""
        ram = self.ram
        if ram is not None:
            hdr = pack("<4sII", RAM_MAGIC, self.epoch & 0xFFFFFFFF, self.boot & 0xFFFFFFFF)
            ram[0:RAM_HEADER_SIZE] = hdr + pack("<I", _crc(hdr))

    def _hold(self, rec):
        """Put `rec` (its seq is _next) into its RAM slot: one 20-byte copy. False when the
        RAM is full or absent."""
        ram = self.ram
        if ram is None or self.held >= RAM_MAX:
            return False
        pos = _ram_slot(self._next)
        ram[pos : pos + RECORD_SIZE] = rec
        self.held += 1
        self._next += 1
        return True

    # -- writing -----------------------------------------------------------------------
    def _write(self, keep=None, new=b""):
        """Write the state as a new image into the slot not holding the newest one: the
        last `keep` records of the newest image (default: all), then `new` (bytes), with
        head = the next seq to give and the reserve = `hold`. Raises when the flash write
        fails (the newest image is left as it was)."""
        self.writes += 1
        if self.refused is not None:
            raise RuntimeError(self.error)
        if keep is None:
            keep = self.count
        count = keep + len(new) // RECORD_SIZE
        end = RECORDS_AT + count * RECORD_SIZE
        try:  # the image, made for this write only (at most a page; docs/journal.md)
            buf = bytearray(end + 4)
        except MemoryError:
            self.error = "MemoryError: no room for the image"
            raise
        pack_into(HEADER, buf, 0, MAGIC, self.generation + 1, self.epoch & 0xFFFFFFFF,
                  self.boot & 0xFFFFFFFF, self._next, count, len(self.settings), self.hold)
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
        try:
            self.nvm[start : start + end + 4] = memoryview(buf)[0 : end + 4]
        except Exception as exc:
            self.error = repr(exc)
            raise
        self.error = None
        self.generation += 1
        self._slot = target
        self.count = count
        self.pending = False
        self.durable = self._next
        self.spare = self.hold
        self.held = 0  # the RAM slots keep them: below `durable`, a boot ignores them
        self._served()

    def _commit(self, rec=b""):
        """Write the held records (+ `rec`, seq _next) and the settings in one image."""
        room = self.capacity * RECORD_SIZE
        new = b""
        ram = self.ram
        if ram is not None:
            for seq in range(self._next - self.held, self._next):
                pos = _ram_slot(seq)
                new += bytes(ram[pos : pos + RECORD_SIZE])
        new += rec
        if len(new) > room:
            new = new[len(new) - room :]
        keep = min(self.count, (room - len(new)) // RECORD_SIZE)
        if rec:
            self._next += 1
        try:
            self._write(keep, new)
        except Exception:
            if rec:
                self._next -= 1
            raise

    def set_settings(self, blob):
        """Keep `blob` (bytes) as the settings; written by the next flush() or batch."""
        blob = bytes(blob)
        if len(blob) > SETTINGS_MAX:
            raise ValueError("settings too large")
        if blob != self.settings:
            self.settings = blob
            self.pending = True

    def flush(self):
        """Write the held records and pending settings (and the boot counter). True if it
        wrote; raises when the flash write fails (nothing is lost: all stays pending)."""
        if not self.pending and not self.held:
            return False
        self._commit()
        return True

    @property
    def tail(self):
        if self.count:
            return self._seq_at(0)
        if self.held and self._next - self.held < self.head:
            return self._next - self.held
        return self.head

    @property
    def dropped(self):
        """Records written on this device that are no longer stored (lost to overflow)."""
        return self.tail - 1

    def __len__(self):
        return self.count + self.held

    @property
    def due(self):
        """A batch waits to be written (flush): a held record beyond the reserve (the
        record that made the batch, or every record with `hold` 0), and no failed write
        (the App retries those on its own schedule)."""
        return (self.error is None and self.held > 0
                and self._next > self.durable + min(self.hold, self.spare))

    def append(self, start, routine_id, steps_done, steps_total, active_s, flags, boot,
               defer=False):
        """Record a finished session; returns its seq. Held in the RAM while fewer than
        `hold` records are; otherwise written at once with the held ones -- or, with
        `defer`, held too while the RAM has room, and `due` says the batch waits for
        flush() (the App writes it in an idle step: a page erase blocks the CPU, so never
        under a cue; power-cut safety is the RAM hold's, as for the records before it).
        A failed write keeps the record held (`error`); raises only when it could be
        neither written nor held (no RAM, or the RAM full)."""
        rec = pack_record(self._next, start, routine_id, steps_done, steps_total, active_s,
                          flags, boot)
        within = self._next < self.durable + min(self.hold, self.spare)
        if (within or defer or self.error is not None) and self._hold(rec):
            self._served()  # after a failed write: held until the App's retry (flush)
            return self._next - 1
        try:
            self._commit(rec)
            return self._next - 1
        except Exception:
            if not self._hold(rec):
                raise
            self._served()
            return self._next - 1

    def read(self, seq):
        """The 20-byte record `seq` (bytes-like, one copy), or None if it is not stored
        (never written, dropped, skipped after a power cut) or damaged since the image was
        loaded (record CRC, checked in place: the host counts it as corrupt,
        docs/protocol.md)."""
        if seq < 1 or seq >= self.head:
            return None
        ram = self.ram
        if ram is not None and seq >= self._next - self.held:
            pos = _ram_slot(seq)
            b = ram[pos : pos + RECORD_SIZE]
        else:
            i = self._find(seq)
            if i is None:
                return None
            b = self._at(self._slot, i)
        if crc32(memoryview(b)[0:RECORD_SIZE]) != RESIDUE:  # the record CRC (crc.py)
            return None
        if _seq_of(b) != seq:
            return None
        return b

    def _find(self, seq):
        """Index of `seq` in the newest image (records oldest first, seqs increasing, gaps
        only after a power cut), or None: a binary search, 4 bytes read per probe."""
        lo = 0
        hi = self.count - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            s = self._seq_at(mid)
            if s == seq:
                return mid
            if s < seq:
                lo = mid + 1
            else:
                hi = mid - 1
        return None


def _ram_slot(seq):
    return RAM_HEADER_SIZE + (seq % RAM_MAX) * RECORD_SIZE
