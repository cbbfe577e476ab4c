"""Migration of a layout v1 nvm to the journal's image layout (docs/journal.md "Migration
from layout v1"), loaded only when no valid image is found (and by boot.py: prepare()).

Power-safe in the normal storage mode, where code.py cannot write the drive: boot.py runs
first, while code may write it, and keeps a copy of the v1 nvm (`prepare`); the migration
then reads the copy, so a cut while the first image is written (which erases page 0, v1
data included) only makes the next boot migrate again from the copy. The copy is removed
once an image holds the data (by the app when it may write, else by boot.py).
"""

from struct import pack, unpack_from

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from .crc import crc32
from .journal import RECORD_SIZE, RECORDS_AT, SETTINGS_MAX, STASH, unpack_record
from .recover import image_at

_V1_STORE = const(512)  # v1: two 256-byte store copies, then the ring of 20-byte slots


def _crc(b):
    return crc32(b) & 0xFFFFFFFF


def migrate(j):
    """Migrate the v1 data of `j.nvm` (or of the copy in `j.storage`) into `j`'s first
    image (`j.v1` was set by its recovery). False when there is none after all."""
    if not j.v1:
        return False
    j.v1 = False
    j.refused = None
    j.error = None
    n = len(j.nvm)
    old = None
    if j.storage is not None:
        try:
            old = stash_ok(j.storage.read(STASH), n)
        except Exception:
            old = None
    if old is None:
        if v1_state(j.nvm) is None:
            return False
        old = bytes(j.nvm[0:n])
        if j.storage is not None:
            try:  # serial mode: code may write the drive
                j.storage.write(STASH, old + pack("<I", _crc(old)))
            except Exception:
                pass  # normal mode: boot.py made the copy, or could not (docs/journal.md)
    boot, settings, head, records = v1_state(old)
    j.boot = boot
    j.settings = settings[:SETTINGS_MAX]
    if len(records) > j.capacity:
        records = records[len(records) - j.capacity :]
    j.migrated = len(records)
    j._slot = 1
    j.count = 0
    j.durable = j._next = head
    j.spare = 0
    j._write(0, b"".join(records))  # into slot 0; page 1 keeps v1 bytes until the next
    # write, which goes there (an image is only ever valid with its magic and CRC)
    j.held = 0  # the v1 firmware held nothing in RAM
    j._served()
    if j.ram is not None:
        j.save_ram()
    if j.storage is not None:
        try:
            j.storage.remove(STASH)
        except Exception:
            pass  # read-only: boot.py removes it at the next boot (prepare)
    return True


def has_image(nvm):
    """True when `nvm` holds a valid image."""
    slot_size = (len(nvm) // 2) & ~3
    capacity = (slot_size - RECORDS_AT - 4) // RECORD_SIZE
    if capacity < 1:
        return False
    return (image_at(nvm, slot_size, capacity, 0) is not None
            or image_at(nvm, slot_size, capacity, 1) is not None)


def stash_ok(raw, n):
    """The v1 nvm copy in `raw` (bytes) if it is whole (length, CRC), else None."""
    if raw is None or len(raw) != n + 4 or _crc(raw[0:n]) != unpack_from("<I", raw, n)[0]:
        return None
    return raw[:-4]


def prepare(nvm, storage, writable=None):
    """boot.py, while code may write the drive: keep a copy of a v1 nvm in `storage`
    (STASH) before the app migrates it, and remove the copy once an image holds the data.
    `writable()` is called first when something must be written (boot.py remounts the
    drive). Returns what it did: "stashed", "removed" or ""."""
    try:
        raw = storage.read(STASH)
    except Exception:
        raw = None
    if has_image(nvm):
        if raw is None:
            return ""
        if writable is not None:
            writable()
        storage.remove(STASH)
        return "removed"
    if stash_ok(raw, len(nvm)) is not None or v1_state(nvm) is None:
        return ""
    old = bytes(nvm[0 : len(nvm)])
    if writable is not None:
        writable()
    storage.write(STASH, old + pack("<I", _crc(old)))
    return "stashed"


def v1_state(old):
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
