"""SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) for boards without `hashlib`.

CircuitPython builds `hashlib` on nRF52840 only from 10.1.0 (ports/nordic/mpconfigport.mk);
on 9.x and 10.0.x this module computes SHA-256 itself. Written for a 32-bit MicroPython:
small ints there hold 31 bits, so a 32-bit word would become a heap-allocated big int at
every step. Every word is kept as two 16-bit halves instead (no intermediate value reaches
2**30), the round constants are one bytes blob, and the state and message schedule live in
buffers allocated once. HMAC keeps the inner and outer states after the key block for the
last keys it saw (`_KEYS`), so an HMAC of a short message costs two compressions, not four.

`sha256(data)` returns an object with update(), digest() and copy() (hashlib's where the
board has it); `hmac_sha256(key, msg)` -> 32 bytes. docs/firmware.md "SHA-256".
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the host)

    def const(x):
        return x


_BLOCK = const(64)
_KEYS = const(2)  # keys whose HMAC states are kept (the host key and the session key)

# K[0..63] as 256 big-endian bytes
_K = (
    b"\x42\x8a\x2f\x98\x71\x37\x44\x91\xb5\xc0\xfb\xcf\xe9\xb5\xdb\xa5"
    b"\x39\x56\xc2\x5b\x59\xf1\x11\xf1\x92\x3f\x82\xa4\xab\x1c\x5e\xd5"
    b"\xd8\x07\xaa\x98\x12\x83\x5b\x01\x24\x31\x85\xbe\x55\x0c\x7d\xc3"
    b"\x72\xbe\x5d\x74\x80\xde\xb1\xfe\x9b\xdc\x06\xa7\xc1\x9b\xf1\x74"
    b"\xe4\x9b\x69\xc1\xef\xbe\x47\x86\x0f\xc1\x9d\xc6\x24\x0c\xa1\xcc"
    b"\x2d\xe9\x2c\x6f\x4a\x74\x84\xaa\x5c\xb0\xa9\xdc\x76\xf9\x88\xda"
    b"\x98\x3e\x51\x52\xa8\x31\xc6\x6d\xb0\x03\x27\xc8\xbf\x59\x7f\xc7"
    b"\xc6\xe0\x0b\xf3\xd5\xa7\x91\x47\x06\xca\x63\x51\x14\x29\x29\x67"
    b"\x27\xb7\x0a\x85\x2e\x1b\x21\x38\x4d\x2c\x6d\xfc\x53\x38\x0d\x13"
    b"\x65\x0a\x73\x54\x76\x6a\x0a\xbb\x81\xc2\xc9\x2e\x92\x72\x2c\x85"
    b"\xa2\xbf\xe8\xa1\xa8\x1a\x66\x4b\xc2\x4b\x8b\x70\xc7\x6c\x51\xa3"
    b"\xd1\x92\xe8\x19\xd6\x99\x06\x24\xf4\x0e\x35\x85\x10\x6a\xa0\x70"
    b"\x19\xa4\xc1\x16\x1e\x37\x6c\x08\x27\x48\x77\x4c\x34\xb0\xbc\xb5"
    b"\x39\x1c\x0c\xb3\x4e\xd8\xaa\x4a\x5b\x9c\xca\x4f\x68\x2e\x6f\xf3"
    b"\x74\x8f\x82\xee\x78\xa5\x63\x6f\x84\xc8\x78\x14\x8c\xc7\x02\x08"
    b"\x90\xbe\xff\xfa\xa4\x50\x6c\xeb\xbe\xf9\xa3\xf7\xc6\x71\x78\xf2"
)
_H0 = (
    b"\x6a\x09\xe6\x67\xbb\x67\xae\x85\x3c\x6e\xf3\x72\xa5\x4f\xf5\x3a"
    b"\x51\x0e\x52\x7f\x9b\x05\x68\x8c\x1f\x83\xd9\xab\x5b\xe0\xcd\x19"
)

_W = [0] * 128  # message schedule: W[i] high half at 2i, low half at 2i + 1


def _schedule(block):
    """The message schedule of `block` into _W."""
    w = _W
    for i in range(16):
        j = 4 * i
        w[2 * i] = (block[j] << 8) | block[j + 1]
        w[2 * i + 1] = (block[j + 2] << 8) | block[j + 3]
    for i in range(32, 128, 2):
        # s0 = rotr7 ^ rotr18 ^ shr3 of W[t-15]; s1 = rotr17 ^ rotr19 ^ shr10 of W[t-2]
        h = w[i - 30]
        lo = w[i - 29]
        s0h = ((h >> 7) | ((lo & 0x7F) << 9)) ^ ((lo >> 2) | ((h & 3) << 14)) ^ (h >> 3)
        s0l = (((lo >> 7) | ((h & 0x7F) << 9)) ^ ((h >> 2) | ((lo & 3) << 14))
               ^ ((lo >> 3) | ((h & 7) << 13)))
        h = w[i - 4]
        lo = w[i - 3]
        s1h = ((lo >> 1) | ((h & 1) << 15)) ^ ((lo >> 3) | ((h & 7) << 13)) ^ (h >> 10)
        s1l = (((h >> 1) | ((lo & 1) << 15)) ^ ((h >> 3) | ((lo & 7) << 13))
               ^ ((lo >> 10) | ((h & 0x3FF) << 6)))
        lo = w[i - 31] + s0l + w[i - 13] + s1l
        w[i + 1] = lo & 0xFFFF
        w[i] = (w[i - 32] + s0h + w[i - 14] + s1h + (lo >> 16)) & 0xFFFF


def _compress(state, block):
    """One compression of the 64-byte `block` into `state` (16 halves, high first)."""
    _schedule(block)
    w = _W
    k = _K
    ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl = state
    for i in range(64):
        j = 4 * i
        # t1 = h + S1(e) + ch(e, f, g) + K[i] + W[i]; S1 = rotr6 ^ rotr11 ^ rotr25
        s1h = (((eh >> 6) | ((el & 0x3F) << 10)) ^ ((eh >> 11) | ((el & 0x7FF) << 5))
               ^ ((el >> 9) | ((eh & 0x1FF) << 7)))
        s1l = (((el >> 6) | ((eh & 0x3F) << 10)) ^ ((el >> 11) | ((eh & 0x7FF) << 5))
               ^ ((eh >> 9) | ((el & 0x1FF) << 7)))
        lo = (hl + s1l + ((el & fl) ^ ((el ^ 0xFFFF) & gl)) + ((k[j + 2] << 8) | k[j + 3])
              + w[2 * i + 1])
        t1h = (hh + s1h + ((eh & fh) ^ ((eh ^ 0xFFFF) & gh)) + ((k[j] << 8) | k[j + 1])
               + w[2 * i] + (lo >> 16))
        t1l = lo & 0xFFFF
        # t2 = S0(a) + maj(a, b, c); S0 = rotr2 ^ rotr13 ^ rotr22
        s0h = (((ah >> 2) | ((al & 3) << 14)) ^ ((ah >> 13) | ((al & 0x1FFF) << 3))
               ^ ((al >> 6) | ((ah & 0x3F) << 10)))
        s0l = (((al >> 2) | ((ah & 3) << 14)) ^ ((al >> 13) | ((ah & 0x1FFF) << 3))
               ^ ((ah >> 6) | ((al & 0x3F) << 10)))
        lo2 = s0l + ((al & bl) ^ (al & cl) ^ (bl & cl))
        t2h = s0h + ((ah & bh) ^ (ah & ch) ^ (bh & ch))
        hh, hl = gh, gl
        gh, gl = fh, fl
        fh, fl = eh, el
        lo = dl + t1l
        eh = (dh + t1h + (lo >> 16)) & 0xFFFF
        el = lo & 0xFFFF
        dh, dl = ch, cl
        ch, cl = bh, bl
        bh, bl = ah, al
        lo = t1l + lo2
        ah = (t1h + t2h + (lo >> 16)) & 0xFFFF
        al = lo & 0xFFFF
    i = 0
    for v in (ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl):
        if i & 1:
            lo = state[i] + v
            state[i] = lo & 0xFFFF
            state[i - 1] = (state[i - 1] + (lo >> 16)) & 0xFFFF
        else:
            state[i] = (state[i] + v) & 0xFFFF
        i += 1


class _Sha256:
    """hashlib.sha256's interface: update(), digest(), copy()."""

    def __init__(self, data=None, state=None, count=0):
        if state is None:
            h = _H0
            state = [(h[2 * i] << 8) | h[2 * i + 1] for i in range(16)]
        self._state = state
        self._buf = bytearray(_BLOCK)
        self._n = 0  # bytes in _buf
        self._count = count  # bytes compressed so far
        if data is not None:
            self.update(data)

    def update(self, data):
        buf = self._buf
        n = self._n
        data = memoryview(data)
        pos = 0
        size = len(data)
        while pos < size:
            take = min(_BLOCK - n, size - pos)
            buf[n : n + take] = data[pos : pos + take]
            n += take
            pos += take
            if n == _BLOCK:
                _compress(self._state, buf)
                self._count += _BLOCK
                n = 0
        self._n = n

    def copy(self):
        other = _Sha256(None, list(self._state), self._count)
        other._buf[:] = self._buf
        other._n = self._n
        return other

    def digest(self):
        c = self.copy()
        bits = (c._count + c._n) * 8
        c.update(b"\x80")
        while c._n != 56:
            c.update(b"\x00")
        tail = bytearray(8)
        for i in range(8):
            tail[7 - i] = (bits >> (8 * i)) & 0xFF
        c.update(tail)
        out = bytearray(32)
        for i in range(16):
            out[2 * i] = c._state[i] >> 8
            out[2 * i + 1] = c._state[i] & 0xFF
        return bytes(out)


_native = False
try:
    import hashlib  # noqa: F401 (built into CircuitPython 10.1+ on nRF52840, and CPython)

    _native = True
except ImportError:
    pass


def sha256(data=b""):
    """A SHA-256 object (update, digest): hashlib's where the board has it."""
    if _native:
        import hashlib

        return hashlib.sha256(data)
    return _Sha256(data)

_keyed = []  # [(key, inner state, outer state)], most recent last


def _states(key):
    for entry in _keyed:
        if entry[0] == key:
            return entry[1], entry[2]
    pad = bytearray(_BLOCK)
    pad[0 : len(key)] = key
    for i in range(_BLOCK):
        pad[i] ^= 0x36
    inner = _Sha256(pad)
    for i in range(_BLOCK):
        pad[i] ^= 0x36 ^ 0x5C
    outer = _Sha256(pad)
    if len(_keyed) >= _KEYS:
        _keyed.pop(0)
    _keyed.append((key, inner, outer))
    return inner, outer


def hmac_sha256(key, msg):
    """HMAC-SHA256(key, msg) -> 32 bytes (RFC 2104)."""
    key = bytes(key)
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    if _native:
        import hashlib

        pad = bytearray(_BLOCK)
        pad[0 : len(key)] = key
        for i in range(_BLOCK):
            pad[i] ^= 0x36
        inner = hashlib.sha256(bytes(pad))
        inner.update(bytes(msg))
        for i in range(_BLOCK):
            pad[i] ^= 0x36 ^ 0x5C
        outer = hashlib.sha256(bytes(pad))
        outer.update(inner.digest())
        return outer.digest()
    inner, outer = _states(key)
    inner = inner.copy()
    inner.update(msg)
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.digest()
