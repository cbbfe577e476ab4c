"""`aesio` as the nordic port builds it (CIRCUITPY_AESIO = 1, ports/nordic/mpconfigport.mk;
shared-bindings/aesio/aes.c over tiny-AES-c): AES(key, mode, IV), encrypt_into(src, dest)
with src copied to dest first, ECB on 16 bytes, CBC chaining kept between calls, CTR with
the IV as a 128-bit big-endian counter (each call starts a new block).

The AES itself is C on the board, so here it runs on the host (`_model.call("aes")`): it
costs no fuel. What a C call costs on the board (tiny-AES-c, about 1,700 cycles per block on
a Cortex-M4: docs/security.md "CPU budget") is added by the benchmark (tools/bench_pair.py),
not here. The host call's payload and hex answer are guest allocations the board does not
make (one short-lived buffer per call)."""

import _model
from ubinascii import unhexlify

MODE_ECB = 1
MODE_CBC = 2
MODE_CTR = 6


class AES:
    def __init__(self, key, mode=MODE_ECB, IV=None, counter=None, segment_size=8):
        self.mode = mode
        self.rekey(key, IV)

    def rekey(self, key, IV=None):
        self.key = bytes(key)
        self.iv = bytes(IV) if IV is not None else bytes(16)

    def encrypt_into(self, src, dest):
        n = len(src)
        out = unhexlify(_model.call("aes", bytes([self.mode]) + self.key + self.iv + bytes(src)))
        dest[0:n] = out[0:n]
        if self.mode == MODE_CBC:
            self.iv = out[n - 16 : n]
        elif self.mode == MODE_CTR:
            c = int.from_bytes(self.iv, "big") + (n + 15) // 16
            self.iv = (c & ((1 << 128) - 1)).to_bytes(16, "big")
