"""The journal's boot-time recovery (journal.py, docs/journal.md "Recovery"): find the
newest valid image in the nvm, take over the records the RAM hold kept, or mark a layout v1
nvm for migration (migrate.py). Loaded by `Journal.recover()` at boot and dropped after
(mods.py): a running board never needs this code again."""

from struct import unpack_from

from .crc import crc32
from .journal import (
    HEADER,
    HEADER_SIZE,
    MAGIC,
    RAM_HEADER,
    RAM_HEADER_SIZE,
    RAM_MAGIC,
    RAM_MAX,
    RECORD_SIZE,
    RECORDS_AT,
    SETTINGS_MAX,
    STASH,
    _ram_slot,
    unpack_record,
)

try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


_MAGIC_V2 = const(b"UNJ2")  # layout v2 images (reserve 0, no gaps) are read as they are


def recover(j):
    """Load the newest valid image (migrate a v1 nvm, or finish a cut migration), then
    the records the RAM still holds."""
    best = None
    if j.refused is None:
        for slot in range(2):
            img = image_at(j.nvm, j.slot_size, j.capacity, slot)
            if img is not None and (best is None or img[0] > best[0]):
                best = img
                j._slot = slot
    if best is not None:
        (j.generation, j.epoch, j.boot, j.durable, settings, j.count, j.spare) = best
        j.settings = bytes(settings)
        _load_ram(j, True)
        if j.storage is not None:
            try:
                j.storage.remove(STASH)  # a migration's v1 copy, no longer needed
            except Exception:
                pass  # none there, or read-only (boot.py removes it: migrate.prepare)
        return
    j.count = 0
    if j.refused is None and not _blank(j.nvm):
        j.v1 = True  # migrate.migrate(j), by the App, before the first write
        j.refused = "layout v1 data not migrated yet"
        j.error = "nvm refused: " + j.refused
    _load_ram(j, False)  # a new journal: written with the first batch
    # its epoch lives in the RAM only until then: a power cut makes a new journal, so
    # the first records need no reserve on flash
    j.spare = j.hold
    j._served()


def _load_ram(j, image):
    """Take the held records from the RAM (kept through a reset, not a power cut). A
    RAM whose header does not check out (power cut, another journal) holds nothing, and
    the seqs the newest image reserved are skipped: one of them may have reached a host.
    A record slot torn by a reset was the one being written (never handed out)."""
    ram = j.ram
    d = j.durable
    got = None if ram is None else _ram_header(ram)
    if got is not None and image and got[0] != j.epoch:
        got = None
    if got is None:
        j.ram_lost = bool(ram is not None and image and j.spare > 0)
        j._next = d + j.spare
        j.held = 0
        if ram is not None:
            j.save_ram()
    else:
        if not image:
            j.epoch = got[0]  # a new journal's first records, not yet on flash
        j.boot = max(j.boot, got[1])  # boots that wrote no image count too
        base, n = _ram_scan(ram, d)
        j.held = n
        j._next = base + n if n else d
    j._served()



def image_at(nvm, slot_size, capacity, slot):
    """(generation, epoch, boot, head, settings, count, reserve) of the image in `slot`
    if it is valid, else None."""
    pos = slot * slot_size
    hdr = bytes(nvm[pos : pos + HEADER_SIZE])
    magic, gen, epoch, boot, head, count, slen, spare = unpack_from(HEADER, hdr, 0)
    if magic == _MAGIC_V2:
        spare = 0  # v2: a reserved 0
    elif magic != MAGIC:
        return None
    if count > capacity or slen > SETTINGS_MAX or count >= head:
        return None
    end = RECORDS_AT + count * RECORD_SIZE
    crc = 0
    at = 0
    while at < end:  # in small pieces: no page-sized temporary
        n = min(end - at, 256)
        crc = crc32(bytes(nvm[pos + at : pos + at + n]), crc)
        at += n
    if crc & 0xFFFFFFFF != unpack_from("<I", bytes(nvm[pos + end : pos + end + 4]))[0]:
        return None
    if count:  # the image CRC covers the records; their seqs must fit the header
        first = unpack_record(_rec_at(nvm, pos, 0))
        last = unpack_record(_rec_at(nvm, pos, count - 1))
        if first is None or last is None or last[0] >= head or last[0] - first[0] < count - 1:
            return None
    settings = bytes(nvm[pos + HEADER_SIZE : pos + HEADER_SIZE + slen])
    return gen, epoch, boot, head, settings, count, spare


def _rec_at(nvm, pos, i):
    at = pos + RECORDS_AT + i * RECORD_SIZE
    return bytes(nvm[at : at + RECORD_SIZE])


def _blank(nvm):
    """True when every byte of `nvm` is 0xFF (erased) or every one is 0: no data at all."""
    first = nvm[0]
    if first != 0xFF and first != 0:
        return False
    chunk = bytes((first,)) * 256
    at = 0
    while at < len(nvm):
        if bytes(nvm[at : at + 256]) != chunk[0 : min(256, len(nvm) - at)]:
            return False
        at += 256
    return True


def _ram_header(ram):
    """(epoch, boot) of a RAM header that checks out (magic, CRC), else None."""
    hdr = bytes(ram[0:RAM_HEADER_SIZE])
    magic, epoch, boot, crc = unpack_from(RAM_HEADER, hdr, 0)
    if magic != RAM_MAGIC or (crc32(hdr[0:12]) & 0xFFFFFFFF) != crc:
        return None
    return epoch, boot


def _ram_scan(ram, durable):
    """(first seq, count) of the held records: the valid records (own CRC) with seq >=
    `durable` in the slots, which must be one run of consecutive seqs; the run ends at the
    first gap (a slot torn by a reset)."""
    low = 0
    for i in range(RAM_MAX):
        pos = RAM_HEADER_SIZE + i * RECORD_SIZE
        rec = unpack_record(bytes(ram[pos : pos + RECORD_SIZE]))
        if rec is not None and rec[0] >= durable and rec[0] % RAM_MAX == i:
            if low == 0 or rec[0] < low:
                low = rec[0]
    if low == 0:
        return durable, 0
    n = 0
    while n < RAM_MAX:
        pos = _ram_slot(low + n)
        rec = unpack_record(bytes(ram[pos : pos + RECORD_SIZE]))
        if rec is None or rec[0] != low + n:
            break
        n += 1
    return low, n
