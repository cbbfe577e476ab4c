"""`aesio` as the nordic port builds it (CIRCUITPY_AESIO = 1, ports/nordic/mpconfigport.mk;
shared-bindings/aesio/aes.c over shared-module/aesio/aes.c, tiny-AES-c): AES(key, mode, IV),
rekey(key, IV), encrypt_into(src, dest) with src copied to dest first, ECB on 16 bytes, CBC
chaining kept between calls, CTR with the IV as a 128-bit big-endian counter (each call
starts a new block).

The AES itself is C on the board, so here it runs on the host (`host.call("aes", ...)`). Each
C function is bracketed by the host calls "c(" and "c)": the host gives back the fuel the
stand-in spent in between and charges what tiny-AES-c costs on the board per block and per
key expansion (scenario.CCalls, docs/security.md "CPU budget"). The heap is modelled as the
board's: the object keeps its key and IV (the board's aesio_aes_obj_t holds the expanded
key, 176-240 bytes, inline); the host call's payload and hex answer are guest allocations
the board does not make (short-lived, per call)."""

from ubinascii import unhexlify

import host

MODE_ECB = 1
MODE_CBC = 2
MODE_CTR = 6

_call = host.call  # the VM's host call itself: the bracket's own cost stays small


class AES:
    def __init__(self, key, mode=MODE_ECB, IV=None, counter=None, segment_size=8):
        self.mode = mode
        self.rekey(key, IV)

    def rekey(self, key, IV=None):
        _call("c(", "")
        self.key = bytes(key)
        self.iv = bytes(IV) if IV is not None else bytes(16)
        _call("aeskey", "")
        _call("c)", "")

    def encrypt_into(self, src, dest):
        _call("c(", "")
        n = len(src)
        out = unhexlify(_call("aes", bytes([self.mode]) + self.key + self.iv + bytes(src)))
        dest[0:n] = out[0:n]
        if self.mode == MODE_CBC:
            self.iv = out[n - 16 : n]
        elif self.mode == MODE_CTR:
            c = int.from_bytes(self.iv, "big") + (n + 15) // 16
            self.iv = (c & ((1 << 128) - 1)).to_bytes(16, "big")
        _call("c)", "")
