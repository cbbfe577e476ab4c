"""The MicroPython side of tools/mp/fw_heap.py (kept apart so that the host code is not on
the measured heap): `micropython -X heapsize=N -m fw_heap_run LIB GROUP...` runs the groups
in order, each on top of the previous ones, and prints "OK". See fw_heap.py for the groups.
"""

import sys

RECORDS = 1000
MTU = 247




class _Clock:
    def __init__(self):
        self.t = 0
        self.base = None

    def now_ms(self):
        return self.t

    def unix(self):
        return None if self.base is None else self.base + self.t // 1000

    def set_unix(self, t):
        self.base = t - self.t // 1000


class _Motor:
    def __init__(self):
        self.cues = 0

    def play(self, name, count=1):
        self.cues += 1


class _Button:
    def poll(self):
        return None


class _Sleeper:
    def sleep_until(self, deadline_ms, idle=False):
        pass


class _Watchdog:
    def feed(self):
        pass


def _Storage(path):
    """The board's routine storage over the directory `path`: the firmware's sets.SetStore
    (its loose .unk files are the set until the upload group installs a new one)."""
    from unknot.sets import OsFS, SetStore

    return SetStore(OsFS(), path)


def _play(app, index):
    clock = app.clock
    rec0 = app.last_record
    app.post(("start", index))
    while True:
        d = app.step()
        if app.player is None and app.last_record != rec0:
            return
        p = app.player
        if p is not None and p.waiting is not None:  # a WAIT: the wearer presses at once
            p.proceed(clock.t)
            continue
        if d > clock.t:
            clock.t = d


def _core(lib):
    import gc
    import os

    from unknot import player, routine
    from unknot.library import SUFFIX

    for name in sorted(os.listdir(lib)):
        if not name.endswith(SUFFIX):
            continue
        with open(lib + "/" + name, "rb") as f:
            r = routine.decode(f.read())
        p = player.Player(r, 0)
        p.start(0)
        while not p.finished:
            p.poll(p.next_deadline(), lambda cue, arg, t: None)
            if p.waiting is not None:  # a WAIT: the wearer presses at once
                p.proceed(p.paused_at)
        del p, r
        gc.collect()


def _journal(state):
    import gc

    import microcontroller
    from unknot.journal import Journal

    nvm = microcontroller.nvm
    for i in range(0, len(nvm), 256):
        nvm[i : i + 256] = b"\xff" * 256
    j = Journal(nvm)
    for k in range(RECORDS):
        j.append(1700000000 + k, k & 0xFFFF, 3, 5, 60, 1, 7)
    del j  # one Journal (4 KiB image buffer) at a time, as on the board
    gc.collect()
    j = Journal(nvm)
    for seq in range(j.tail, j.head):
        if j.read(seq) is None:
            raise SystemExit("bad record " + str(seq))


def _app(state, lib):
    import microcontroller
    from unknot.app import App

    app = App(_Clock(), _Motor(), _Button(), _Storage(lib), microcontroller.nvm, _Sleeper(),
              _Watchdog(), settings={"UNKNOT_MOTOR_LATENCY_MS": 0}, device_id=b"\x01\x02\x03")
    if app.rejected:
        raise SystemExit("rejected: " + repr(app.rejected))
    for i in range(len(app.routines)):
        _play(app, i)
    state["app"] = app


def _frames(p):
    out = []
    while True:
        f = p.next_frame()
        if f is None:
            return out
        out.append(bytes(f))


class _Host:
    """The host side of authentication (docs/protocol.md): AUTH_BEGIN, AUTH, then every
    request sealed with the session keys and its counter; answers opened."""

    def __init__(self, p, app):
        import fw_heap_host as H
        from unknot import auth, proto, seal, wire

        self.p = p
        self.n = 0
        host_id, key = b"heaphost", b"k" * auth.KEY_SIZE
        app.keyring.keep(host_id, key)
        nh = b"n" * H.NONCE_SIZE
        p.control(wire.pack(H.REQ_AUTH_BEGIN, H.OP_AUTH_BEGIN, nh, seal.blind(key, nh)))
        nd = _frames(p)[0][3 : 3 + H.NONCE_SIZE]
        p.control(wire.pack(H.REQ_AUTH, H.OP_AUTH, seal.host_proof(key, nh, nd)))
        if _frames(p)[0][2] != proto.ST_OK or not p.authenticated:
            raise SystemExit("auth refused")
        self.session = seal.Session(key, nh, nd)

    def send(self, body):
        from unknot import auth

        self.p.control(self.session.seal(auth.REQUEST_LABEL, self.n, 0, body, 1))
        self.n += 1

    def open(self, frame, index):
        """A DATA/END frame of the last request's stream, opened (None: its seal failed)."""
        from unknot import auth

        return self.session.open(auth.ANSWER_LABEL, self.n - 1, index, frame, 1)


def _protocol(state):
    import fw_heap_host as H
    from unknot import proto, wire
    from unknot.crc import crc32

    app = state["app"]
    try:
        from unknot.upload import Upload  # streaming uploads: proto does not import upload

        p = proto.Protocol(app, Upload)
    except (ImportError, TypeError):  # the protocol before streaming uploads
        p = proto.Protocol(app)
    p.set_mtu(MTU)
    state["proto"] = p
    if len(p.info()) != wire.size(proto.INFO):
        raise SystemExit("bad info")
    host = state["host"] = _Host(p, app)
    host.send(wire.pack(H.REQ_SET_CLOCK, H.OP_SET_CLOCK, 1700000000))
    if _frames(p)[0][2] != proto.ST_OK:
        raise SystemExit("set clock refused")
    j = app.journal
    host.send(wire.pack(H.REQ_READ, H.OP_READ, 1, 0))
    data = 0
    crc = 0
    end = None
    index = 0
    while True:
        f = p.next_frame()
        if f is None:
            break
        f = host.open(f, index)
        index += 1
        if f is None:
            raise SystemExit("a frame failed its seal")
        if f[0] == H.F_DATA:
            data += len(f) - 1
            crc = crc32(memoryview(f)[1:], crc)
        else:
            end = wire.unpack(H.END, f[: wire.size(H.END)])
    want = j.head - j.tail
    if end is None or end[3] != want or data != want * 12 or end[5] != crc & 0xFFFFFFFF:
        raise SystemExit("bad stream " + str(end))


def pairs(a, b):
    for i in range(len(a)):
        yield a[i], b[i]


def _upload(state, lib):
    import os

    import fw_heap_host as H
    from unknot import proto, wire
    from unknot.crc import crc32

    p = state["proto"]
    host = state["host"]
    from unknot.library import SUFFIX

    names = sorted(n for n in os.listdir(lib) if n.endswith(SUFFIX))
    sizes = []
    for n in names:
        sizes.append(os.stat(lib + "/" + n)[6])
    total = sum(wire.size(H.ARCHIVE_ENTRY) + len(n) + s for n, s in pairs(names, sizes))

    def pieces():  # the archive, produced a file slice at a time (the host side)
        for n, s in pairs(names, sizes):
            yield wire.pack(H.ARCHIVE_ENTRY, len(n), s) + n.encode()
            with open(lib + "/" + n, "rb") as f:
                yield f.read()

    crc = 0
    for piece in pieces():
        crc = crc32(piece, crc)
    host.send(wire.pack(H.REQ_UPLOAD_BEGIN, H.OP_UPLOAD_BEGIN, total, crc & 0xFFFFFFFF))
    _frames(p)
    room = MTU - 3 - 5 - 8  # ATT header, chunk header, tag
    offset = 0
    buf = b""
    for piece in pieces():
        buf += piece
        while len(buf) >= room:
            host.send(wire.pack(H.REQ_UPLOAD_CHUNK, H.OP_UPLOAD_CHUNK, offset)
                      + buf[:room])
            offset += room
            buf = buf[room:]
            if _frames(p)[0][2] != proto.ST_OK:
                raise SystemExit("chunk refused")
    if buf:
        host.send(wire.pack(H.REQ_UPLOAD_CHUNK, H.OP_UPLOAD_CHUNK, offset) + buf)
        _frames(p)
    host.send(bytes([H.OP_UPLOAD_COMMIT]))
    status = _frames(p)[0][2]
    if status != proto.ST_OK:
        raise SystemExit("commit refused " + str(status))
    app = state["app"]
    if len(app.routines) != len(names):
        raise SystemExit("reload")
    _play(app, 0)


def main(argv):
    import gc

    import aesio  # noqa: F401 - a C module on the board (no heap there): its Python stand-in
    # (host/unknot/sim/aesio.py) is loaded with the harness so it counts in the floor

    lib = argv[1]
    state = {}
    for group in argv[2:]:
        if group == "core":
            _core(lib)
        elif group == "journal":
            _journal(state)
        elif group == "app":
            _app(state, lib)
        elif group == "protocol":
            _protocol(state)
        elif group == "upload":
            _upload(state, lib)
        gc.collect()
    print("OK")



if __name__ == "__main__":
    main(sys.argv)
