"""The READ stream (docs/protocol.md "READ in detail"): the journal's records from a seq on, cut
into sealed DATA frames. proto.py loads this module for a READ and drops it when the stream's
END is made (or the connection ends: hw/ble.py SESSION_MODULES), so a connection that only
authenticates, pairs, uploads or follows never carries its code (docs/firmware.md "Heap
budget"). The stream's state and its buffers (allocated once per connection) are the
Protocol's (`p`); the END frame is proto's (`Protocol._end_frame`).
"""

from .crc import RESIDUE, crc32
from .journal import RECORD_SIZE, RECORDS_AT, WIRE_RECORD_SIZE, WIRE_START
from .proto import ANSWER_LABEL, TAG_SIZE


def start(p, seq, count):
    journal = p.app.journal
    head = journal.head
    first = max(seq, journal.tail, 1)
    if first > head:
        first = head  # past the head: nothing, and END's next_seq says where it is
    end = head
    if count and end - first > count:  # REQ_READ max_count (0: up to head)
        end = first + count
    p._first = first
    p._next = first
    p._end = end
    p._count = 0
    p._crc = 0
    p._carry = WIRE_RECORD_SIZE
    p._bad = False
    p._index = 0


def frame(p):
    """The next DATA frame (a memoryview of the frame buffer, valid until the next call),
    or the END frame. Whole records are copied straight into the frame; one split over
    two frames waits in `_wire`. The stream CRC is taken once per frame (the frame's
    payload is the next stretch of the stream)."""
    room = p.mtu - 3 - TAG_SIZE  # ATT header 3 bytes, the tag 8
    frame = p._frame
    view = memoryview(frame)
    wrec = p._wire
    journal = p.app.journal
    n = 1
    carry = p._carry
    if carry < WIRE_RECORD_SIZE:  # the rest of a record split over the last frame
        take = min(room - n, WIRE_RECORD_SIZE - carry)
        frame[n : n + take] = memoryview(wrec)[carry : carry + take]
        n += take
        carry += take
    seq = p._next
    end = p._end
    while n < room and seq < end:
        # the records this frame still takes (the last one perhaps split)
        most = min(end - seq, (room - n - 1) // WIRE_RECORD_SIZE + 1)
        block = _records(p, journal, seq, most)
        if block is None:
            p._end = seq  # stop at a bad slot; END says where to resume
            p._bad = True
            break
        for at in range(WIRE_START, len(block), RECORD_SIZE):
            body = block[at : at + WIRE_RECORD_SIZE]
            seq += 1
            if room - n >= WIRE_RECORD_SIZE:
                frame[n : n + WIRE_RECORD_SIZE] = body
                n += WIRE_RECORD_SIZE
            else:
                wrec[:] = body
                carry = room - n
                frame[n:room] = memoryview(wrec)[0:carry]
                n = room
    p._count += seq - p._next
    p._next = seq
    p._carry = carry
    session = p._session
    if session is None:  # the session ended mid-stream (a forget): stop here
        p._reading = False
        return None
    if n == 1:  # done: END, which tells the host to skip a stream's bad slots
        if p._bad:
            head = journal.head
            while seq < head and not _good(journal, seq):
                seq += 1
            p._next = seq
        return p._end_frame(session, journal)
    p._crc = crc32(view[1:n], p._crc)
    session.seal_into(ANSWER_LABEL, p._read_counter, p._index, frame, 1, n)
    p._index += 1
    return view[: n + TAG_SIZE]


def _slots(p, journal, seq, count):
    """The journal's newest image from record `seq` on, up to `count` records, as one
    nvm slice, unchecked; None when `seq` is not there (not stored, or held in the RAM).
    The layout is journal.py's (RECORDS_AT, slot_size, _find); it is read here, on the
    READ path, so that the journal module every boot loads stays as small."""
    if seq >= journal.head or (journal.ram is not None and seq >= journal._next - journal.held):
        return None
    i = p._slot_i
    if i >= journal.count or journal._seq_at(i) != seq:  # not the next frame's: search
        i = journal._find(seq)
        if i is None:
            return None
    n = min(count, journal.count - i)
    p._slot_i = i + n
    pos = journal._slot * journal.slot_size + RECORDS_AT + i * RECORD_SIZE
    return journal.nvm[pos : pos + n * RECORD_SIZE]


def _records(p, journal, seq, count):
    """Up to `count` (>= 1) good records from `seq` on with consecutive seqs (a multiple
    of RECORD_SIZE bytes), or None where journal.read(seq) is None: one nvm slice per
    frame; each record's CRC checked (one crc32 over the record gives crc.RESIDUE),
    the seqs by the last one (seqs increase in an image: seq + n - 1 there means none
    is missing), one by one only when it is not."""
    block = _slots(p, journal, seq, count)
    if block is None:
        return journal.read(seq)  # one held in the RAM (or None)
    view = memoryview(block)
    end = 0
    for at in range(0, len(block), RECORD_SIZE):
        if crc32(view[at : at + RECORD_SIZE]) != RESIDUE:
            break
        end = at + RECORD_SIZE
    if end and _seq(view[end - RECORD_SIZE :]) != seq + end // RECORD_SIZE - 1:
        at = 0
        while at < end and _seq(view[at:]) == seq + at // RECORD_SIZE:
            at += RECORD_SIZE
        end = at
    return view[0:end] if end else None


def _seq(rec):
    return rec[0] | (rec[1] << 8) | (rec[2] << 16) | (rec[3] << 24)


def _good(journal, seq):
    rec = journal.read(seq)
    return rec is not None and len(rec) == RECORD_SIZE and _seq(rec) == seq
