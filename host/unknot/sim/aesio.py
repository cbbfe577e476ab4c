"""A STAND-IN for CircuitPython's `aesio` module, for the simulated device, the host and the
MicroPython unix port (which have no `aesio`). It is not the board's code: the board runs
CircuitPython's C module (shared-bindings/aesio/aes.c over shared-module/aesio/aes.c,
tiny-AES-c; nordic full builds set CIRCUITPY_AESIO = 1, ports/nordic/mpconfigport.mk).

What it keeps of the real module, because the firmware relies on it: the mode numbers
(ECB 1, CBC 2, CTR 6), `AES(key, mode, IV)`, `encrypt_into(src, dest)` with src copied to
dest first (they may be the same buffer), ECB on exactly 16 bytes, CBC on multiples of 16
with the chaining value kept between calls, CTR with the IV as a 128-bit big-endian counter
where each call starts a fresh key-stream block (tiny-AES-c's AES_CTR_xcrypt_buffer).

The AES itself comes from `cryptography` under CPython and from `cryptolib` (ECB, CBC)
under MicroPython.
"""

MODE_ECB = 1
MODE_CBC = 2
MODE_CTR = 6

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    def _ecb(key):
        enc = Cipher(algorithms.AES(bytes(key)), modes.ECB()).encryptor()
        return enc.update

    def _cbc(key, iv):
        enc = Cipher(algorithms.AES(bytes(key)), modes.CBC(bytes(iv))).encryptor()
        return enc.update

except ImportError:  # MicroPython unix port
    import cryptolib

    def _ecb(key):
        return cryptolib.aes(bytes(key), 1).encrypt

    def _cbc(key, iv):
        return cryptolib.aes(bytes(key), 2, bytes(iv)).encrypt


class AES:
    def __init__(self, key, mode=MODE_ECB, IV=None, counter=None, segment_size=8):
        if len(key) not in (16, 24, 32):
            raise ValueError("Key must be 16, 24, or 32 bytes long")
        if mode not in (MODE_ECB, MODE_CBC, MODE_CTR):
            raise NotImplementedError("Requested AES mode is unsupported")
        self.mode = mode
        self.rekey(key, IV)

    def rekey(self, key, IV=None):
        self._key = bytes(key)
        self._iv = bytearray(IV) if IV is not None else bytearray(16)
        self._block = _ecb(self._key)
        self._chain = _cbc(self._key, self._iv) if self.mode == MODE_CBC else None

    def encrypt_into(self, src, dest):
        n = len(src)
        if n != len(dest):
            raise ValueError("Source and destination buffers must be the same length")
        data = bytes(src)
        if self.mode == MODE_ECB:
            if n != 16:
                raise ValueError("ECB only operates on 16 bytes at a time")
            dest[0:16] = self._block(data)
        elif self.mode == MODE_CBC:
            if n & 15:
                raise ValueError("CBC blocks must be multiples of 16 bytes")
            dest[0:n] = self._chain(data)
        else:
            dest[0:n] = self._ctr(data)

    def _ctr(self, data):
        out = bytearray(data)
        iv = self._iv
        for at in range(0, len(out), 16):
            stream = self._block(bytes(iv))
            for i in range(min(16, len(out) - at)):
                out[at + i] ^= stream[i]
            for i in range(15, -1, -1):  # big-endian increment of the whole block
                if iv[i] == 255:
                    iv[i] = 0
                else:
                    iv[i] += 1
                    break
        return out

