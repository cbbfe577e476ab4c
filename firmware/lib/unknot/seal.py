"""Proofs and sealed frames (docs/protocol.md "Authentication", "Sealed frames"): AES-CMAC
(RFC 4493) and AES-CTR on CircuitPython's `aesio` (C; nordic full builds: CIRCUITPY_AESIO =
1). Loaded on the first AUTH_BEGIN (proto.py, keyring.blinded), not at boot. CPython and the
MicroPython unix port get a stand-in module `aesio` (host/unknot/sim/aesio.py).
"""

from . import wire
from .auth import (
    BLIND_SIZE,
    DEVICE_LABEL,
    ENC_LABEL,
    HOST_LABEL,
    ID_LABEL,
    MAC_LABEL,
    SEAL,
    SEAL_SIZE,
    TAG_SIZE,
    same,
)

_ZERO16 = bytes(16)


def _dbl(block):
    out = bytearray(16)
    carry = 0
    for i in range(15, -1, -1):
        v = (block[i] << 1) | carry
        out[i] = v & 0xFF
        carry = v >> 8
    if carry:
        out[15] ^= 0x87
    return out


class Cmac:
    """AES-CMAC under one 16-byte key: the subkeys made once (as ints: the last block's
    XOR is one int operation), one aesio object reused (rekeyed per MAC: that resets
    the CBC chain), a scratch buffer reused. The CBC-MAC runs in one aesio call over the
    whole padded message."""

    def __init__(self, key):
        import aesio  # on the first MAC: a boot without BLE traffic never loads it

        self.key = bytes(key)
        self._aes = aes = aesio.AES(self.key, aesio.MODE_CBC, _ZERO16)
        lk = bytearray(16)
        aes.encrypt_into(_ZERO16, lk)  # L = AES(key, 0): CBC of one block under IV 0
        k1 = _dbl(lk)
        self.k1 = int.from_bytes(k1, "big")
        self.k2 = int.from_bytes(_dbl(k1), "big")
        self._buf = self._out = bytearray(0)  # scratch, grown to the longest message (256)

    def mac(self, *parts):
        """CMAC of the concatenated parts: 16 bytes."""
        n = 0
        for part in parts:
            n += len(part)
        size = max(16, (n + 15) & ~15)
        if size > len(self._buf):
            self._buf = bytearray(size)
            self._out = bytearray(size)
        buf = self._buf
        at = 0
        for part in parts:
            buf[at : at + len(part)] = part
            at += len(part)
        last = size - 16
        if n == size:
            sub = self.k1
        else:
            sub = self.k2
            buf[n] = 0x80
            buf[n + 1 : size] = _ZERO16[0 : size - n - 1]
        buf[last:size] = (int.from_bytes(buf[last:size], "big") ^ sub).to_bytes(16, "big")
        out = self._out
        aes = self._aes
        aes.rekey(self.key, _ZERO16)
        aes.encrypt_into(memoryview(buf)[:size], memoryview(out)[:size])
        return bytes(out[last:size])


def cmac(key, *parts):
    return Cmac(key).mac(*parts)


def blind(key, host_nonce):
    """The host's blinded id for AUTH_BEGIN: only a device holding the key can tell who."""
    return cmac(key, ID_LABEL, host_nonce)[0:BLIND_SIZE]


def blinded(hosts, blind_id, host_nonce):
    """The host record (keyring.Keyring.hosts) whose key makes `blind_id` for this nonce
    (AUTH_BEGIN), or None."""
    for h in hosts:
        if same(blind(h[1], host_nonce), blind_id):
            return h
    return None


def device_proof(key, host_nonce, device_nonce, info):
    """The device's proof: covers both nonces and INFO (device id, firmware)."""
    return cmac(key, DEVICE_LABEL, host_nonce, device_nonce, info)


def host_proof(key, host_nonce, device_nonce):
    return cmac(key, HOST_LABEL, host_nonce, device_nonce)


class Session:
    """The keys of one authenticated connection (or of one pairing attempt, under the new
    key): AES-CTR for payloads, AES-CMAC tags. A frame is `head | payload | tag`: the head
    (frame type / op bytes) stays clear, the payload is encrypted, the tag covers both.
    The SEAL bytes (label, counter, index) are packed once per frame: they start both the
    CTR IV and the tag's message. One aesio object per key, rekeyed per frame."""

    def __init__(self, key, host_nonce, device_nonce):
        k = Cmac(key)
        self.enc = k.mac(ENC_LABEL, host_nonce, device_nonce)
        self.mac = Cmac(k.mac(MAC_LABEL, host_nonce, device_nonce))
        self._iv = bytearray(16)
        self._ctr = None  # the CTR aesio object, made on the first payload

    def _head(self, label, counter, index):
        wire.pack_into(SEAL, self._iv, 0, label, counter & 0xFFFFFFFF, index)

    def _crypt(self, view):
        if len(view):
            ctr = self._ctr
            if ctr is None:
                import aesio

                ctr = self._ctr = aesio.AES(self.enc, aesio.MODE_CTR, self._iv)
            else:
                ctr.rekey(self.enc, self._iv)
            ctr.encrypt_into(view, view)

    def _tag(self, frame):
        return self.mac.mac(memoryview(self._iv)[0:SEAL_SIZE], frame)[0:TAG_SIZE]

    def seal_into(self, label, counter, index, buf, head, n):
        """Seal buf[0:n] in place (buf[head:n] encrypted) and write the tag at buf[n:n+8]."""
        view = memoryview(buf)
        self._head(label, counter, index)
        self._crypt(view[head:n])
        buf[n : n + TAG_SIZE] = self._tag(view[:n])

    def seal(self, label, counter, index, frame, head):
        """A sealed copy of `frame` (bytes): head clear, the rest encrypted, tag appended."""
        buf = bytearray(len(frame) + TAG_SIZE)
        buf[0 : len(frame)] = frame
        self.seal_into(label, counter, index, buf, head, len(frame))
        return bytes(buf)

    def open(self, label, counter, index, data, head):
        """The frame without its tag, decrypted (a bytearray), or None if the tag is wrong."""
        n = len(data) - TAG_SIZE
        if n < head:
            return None
        view = memoryview(data)
        self._head(label, counter, index)
        if not same(self._tag(view[:n]), view[n:]):
            return None
        body = bytearray(view[:n])
        self._crypt(memoryview(body)[head:])
        return body
