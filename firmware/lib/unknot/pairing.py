"""Pairing (docs/protocol.md "Pairing", "Hosts"): the key agreement -- X25519 (RFC 7748)
in pure Python on big integers, and SHA-256 -- and the protocol handlers of the pairing ops
and of OP_HOSTS. Loaded only when a pairing starts or a host manages the host list (proto.py
imports it then), so the App's heap does not carry it otherwise.

SHA-256 is unknot.sha256 (the board's hashlib or the firmware's own), loaded for the
commitment and the digest and dropped after the reveal (mods). The device's CPU cost
of a pairing (two scalar multiplications, three SHA-256 compressions of the digest, two of
the commitment) is measured by tools/bench_pair.py (fw_cpu_ms_pair).
"""

from . import mods, seal, wire
from .auth import COMMIT_LABEL, KEY_SIZE, PAIR_LABEL, REQUEST_LABEL, SAS_BASE, SAS_DIGITS
from .keyring import CONSENT_MS, nonce
from .proto import (
    HOSTS_CHECK,
    HOSTS_ENTRY,
    HOSTS_FORGET,
    HOSTS_LIST,
    HOSTS_NAME,
    OP_HOSTS,
    OP_PAIR_BEGIN,
    OP_PAIR_CHECK,
    OP_PAIR_REVEAL,
    REQ_HOSTS,
    REQ_PAIR_BEGIN,
    REQ_PAIR_CHECK,
    REQ_PAIR_REVEAL,
    RESP_PAIR_BEGIN,
    ST_AUTH_FAILED,
    ST_BAD_ARG,
    ST_BAD_LENGTH,
    ST_BUSY,
    ST_NOT_PAIRABLE,
    ST_OK,
    ST_PENDING,
    ST_REFUSED,
)

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


_P = 2**255 - 19
_MASK = 2**255 - 1
_A24 = const(121665)
BASE_POINT = b"\x09" + bytes(31)


# -- X25519 (RFC 7748) --------------------------------------------------------------------
# Field elements are Python ints, not fully reduced: a product is folded with 2**255 = 19
# (mod p), `x & _MASK` + 19 * (x >> 255), a quarter of the cost of `%` on MicroPython's mpz
# (docs/security.md "CPU budget"). Values kept across ladder steps are folded twice (below
# 2**256 in magnitude); the step's temporaries (d, cb, aa, bb) once (below 2**265), which
# keeps every product below 2**550, so two folds bring it back under 2**256. Differences
# may be negative: & and >> floor, so a fold stays exact (x = (x >> 255) * 2**255 +
# (x & _MASK)). Only the result is reduced with `%`.


def _fold(x):
    x = (x & _MASK) + 19 * (x >> 255)
    return (x & _MASK) + 19 * (x >> 255)


def _sqn(x, n):
    """x ** (2 ** n), folded."""
    m = _MASK
    for _ in range(n):
        x = x * x
        x = (x & m) + 19 * (x >> 255)
        x = (x & m) + 19 * (x >> 255)
    return x


def _invert(z):
    """z ** (p - 2): the addition chain of curve25519's reference code (254 squarings and
    11 multiplications), cheaper on the board than pow(z, p - 2, p)."""
    z2 = _fold(z * z)
    z9 = _fold(_sqn(z2, 2) * z)
    z11 = _fold(z9 * z2)
    z5 = _fold(_fold(z11 * z11) * z9)  # 2^5 - 2^0
    z10 = _fold(_sqn(z5, 5) * z5)
    z20 = _fold(_sqn(z10, 10) * z10)
    z40 = _fold(_sqn(z20, 20) * z20)
    z50 = _fold(_sqn(z40, 10) * z10)
    z100 = _fold(_sqn(z50, 50) * z50)
    z200 = _fold(_sqn(z100, 100) * z100)
    z250 = _fold(_sqn(z200, 50) * z50)
    return _fold(_sqn(z250, 5) * z11)  # 2^255 - 2^5 + 11 = p - 2


def x25519(scalar, u):
    """X25519(scalar, u): 32 bytes. Montgomery ladder on Python big integers, the scalar's
    bits read from its bytes (no big shift per bit)."""
    k = bytearray(scalar)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    m = _MASK
    x1 = int.from_bytes(bytes(u), "little") & m
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    for i in range(31, -1, -1):
        byte = k[i]
        for j in range(7, -1, -1):
            b = (byte >> j) & 1
            if swap ^ b:
                x2, x3 = x3, x2
                z2, z3 = z3, z2
            swap = b
            a = x2 + z2
            c = x2 - z2
            d = (x3 - z3) * a
            d = (d & m) + 19 * (d >> 255)
            cb = (x3 + z3) * c
            cb = (cb & m) + 19 * (cb >> 255)
            aa = a * a
            aa = (aa & m) + 19 * (aa >> 255)
            bb = c * c
            bb = (bb & m) + 19 * (bb >> 255)
            x3 = d + cb
            x3 = x3 * x3
            x3 = (x3 & m) + 19 * (x3 >> 255)
            x3 = (x3 & m) + 19 * (x3 >> 255)
            z3 = d - cb
            z3 = z3 * z3
            z3 = (z3 & m) + 19 * (z3 >> 255)
            z3 = x1 * ((z3 & m) + 19 * (z3 >> 255))
            z3 = (z3 & m) + 19 * (z3 >> 255)
            z3 = (z3 & m) + 19 * (z3 >> 255)
            x2 = aa * bb
            x2 = (x2 & m) + 19 * (x2 >> 255)
            x2 = (x2 & m) + 19 * (x2 >> 255)
            e = aa - bb
            z2 = e * (aa + _A24 * e)
            z2 = (z2 & m) + 19 * (z2 >> 255)
            z2 = (z2 & m) + 19 * (z2 >> 255)
    if swap:
        x2, z2 = x3, z3
    return (x2 * _invert(z2) % _P).to_bytes(32, "little")


def keypair():
    """(secret, public) of a fresh X25519 key (os.urandom: the nRF52840's RNG)."""
    from .keyring import random  # looked up per call: the vectors' DRBG replaces it

    secret = random(32)
    return secret, x25519(secret, BASE_POINT)


def _sha256(data):
    return mods.load("sha256").sha256(data).digest()


def commitment(public, nonce):
    """The host's commitment to its public key and nonce (sent before it sees the device's)."""
    return _sha256(COMMIT_LABEL + bytes(public) + bytes(nonce))


def pair_digest(shared, host_public, device_public, host_nonce, device_nonce):
    """(key, host id, SAS) of a pairing: one SHA-256 over the shared secret and the whole
    transcript. key = d[0:16], host id = d[16:24], SAS from u32 d[24:28] mod 125 as three
    numbers 1..5 (docs/protocol.md "Pairing")."""
    d = _sha256(PAIR_LABEL + bytes(shared) + bytes(host_public) + bytes(device_public)
                + bytes(host_nonce) + bytes(device_nonce))
    return d[0:KEY_SIZE], d[16:24], sas_digits(d[24] | d[25] << 8 | d[26] << 16 | d[27] << 24)


def sas_digits(value):
    """The SAS as a tuple of auth.SAS_DIGITS numbers 1..auth.SAS_BASE (most significant first)."""
    n = value % (SAS_BASE**SAS_DIGITS)
    out = []
    for _ in range(SAS_DIGITS):
        out.insert(0, n % SAS_BASE + 1)
        n //= SAS_BASE
    return tuple(out)


class Attempt:
    """One pairing attempt: the host committed; the device's ephemeral key is made here."""

    def __init__(self, commit, deadline):
        mods.load("sha256")  # the reveal's digests: loaded before the ladder fragments the heap
        self.commit = bytes(commit)
        self.secret, self.public = keypair()
        self.nonce = nonce()
        self.deadline = deadline
        self.key = self.host_id = self.sas = self.session = None

    def reveal(self, public, host_nonce):
        """The host's public key and nonce: True when they match the commitment (then the
        key, host id, SAS and the attempt's sealing session exist)."""
        good = seal.same(commitment(public, host_nonce), self.commit)
        shared = x25519(self.secret, public) if good else bytes(32)
        self.secret = None
        if shared == bytes(32):  # a broken commitment, or a low-order point: no secret
            mods.drop("sha256")
            return False
        self.key, self.host_id, self.sas = pair_digest(
            shared, public, self.public, host_nonce, self.nonce)
        mods.drop("sha256")  # this attempt's last SHA-256
        self.session = seal.Session(self.key, host_nonce, self.nonce)
        return True


# -- protocol handlers (proto.Protocol calls them; `p` is the Protocol) ----------------------


def control(p, op, data):
    """PAIR_BEGIN, PAIR_REVEAL, PAIR_CHECK: open to any central (docs/protocol.md)."""
    if op == OP_PAIR_BEGIN:
        _begin(p, data)
    elif op == OP_PAIR_REVEAL:
        _reveal(p, data)
    else:
        _check(p, data)


def _begin(p, data):
    op = OP_PAIR_BEGIN
    keyring = p.app.keyring
    if len(data) != wire.size(REQ_PAIR_BEGIN):
        p._respond(op, ST_BAD_LENGTH)
    elif keyring.attempt is not None or keyring.waiting():
        p._respond(op, ST_BUSY)  # another central's attempt runs (or a question)
    elif not keyring.pairing():
        p._respond(op, ST_NOT_PAIRABLE)
    else:  # the one attempt this window allows
        p._pairing = True
        keyring.pair_until = None
        attempt = keyring.attempt = Attempt(wire.unpack(REQ_PAIR_BEGIN, data)[1],
                                            keyring.clock.now_ms() + CONSENT_MS)
        p._respond(op, ST_OK, wire.pack(RESP_PAIR_BEGIN, attempt.public, attempt.nonce))


def _reveal(p, data):
    op = OP_PAIR_REVEAL
    keyring = p.app.keyring
    if len(data) != wire.size(REQ_PAIR_REVEAL):
        p._respond(op, ST_BAD_LENGTH)
    elif keyring.attempt is None or keyring.attempt.key is not None:
        p._respond(op, ST_NOT_PAIRABLE)
    else:
        _, public, host_nonce = wire.unpack(REQ_PAIR_REVEAL, data)
        p._pairing = True
        attempt = keyring.attempt
        if not attempt.reveal(public, host_nonce):
            keyring._fail()  # the commitment did not hold: the attempt ends, lockout
            p._respond(op, ST_AUTH_FAILED)
            return
        from .keyring import PAIR, WAITING

        attempt.deadline = keyring.clock.now_ms() + CONSENT_MS
        keyring.consent = [PAIR, attempt, attempt.deadline, WAITING]
        p._respond(op, ST_OK)
        if keyring._numbers is not None:
            keyring._numbers(attempt.sas)  # the App taps the SAS, then waits for a press


def _check(p, data):
    op = OP_PAIR_CHECK
    from .keyring import NO, PAIR, WAITING, YES

    keyring = p.app.keyring
    c = keyring.consent
    if c is None or c[0] != PAIR:
        p._respond(op, ST_NOT_PAIRABLE)
        return
    session = c[1].session
    body = session.open(REQUEST_LABEL, 0, 0, data, 1)
    if body is None or len(body) != wire.size(REQ_PAIR_CHECK) or body[1] > 1:
        p._respond(op, ST_AUTH_FAILED)
        return
    p._pairing = True
    if body[1] == 1 and c[3] == WAITING:
        keyring.answer(False)  # the wearer typed another SAS: a relay, or a slip
    p._answer = (session, 0)
    state = c[3]
    p._respond(op, ST_OK if state == YES else ST_REFUSED if state == NO else ST_PENDING)


def hosts(p, data):
    """OP_HOSTS: LIST, NAME (this host's), FORGET (asks the wearer), CHECK."""
    from .keyring import FORGET, NO, WAITING

    op = OP_HOSTS
    n = len(data)
    sub = data[1] if n > 1 else 0xFF
    keyring = p.app.keyring
    if sub == HOSTS_LIST and n == 2:
        out = bytearray([len(keyring.hosts)])
        pad = mods.load("auth").pad_name  # (auth goes with the connection: SESSION_MODULES)
        for h in keyring.hosts:
            out += wire.pack(HOSTS_ENTRY, h[0], pad(h[2]), h[3], h[4])
        p._respond(op, ST_OK, out)
        return
    if n != wire.size(REQ_HOSTS) or sub > HOSTS_CHECK:
        p._respond(op, ST_BAD_LENGTH if n != wire.size(REQ_HOSTS) else ST_BAD_ARG)
        return
    arg = bytes(data[2:10])
    host = p._host
    if sub == HOSTS_NAME:
        host[2] = arg.rstrip(b"\x00")  # authenticated: the session's own host
        keyring._persist()
        p._respond(op, ST_OK)
    elif sub == HOSTS_FORGET:
        app = p.app
        if app.player is not None or not keyring.ask(FORGET, arg):
            p._respond(op, ST_BUSY)
        else:
            p._respond(op, ST_PENDING)  # the wearer presses (or not)
    else:
        state = keyring.state(FORGET, arg)
        p._respond(op, ST_PENDING if state == WAITING else
                      ST_REFUSED if state == NO or state is None else ST_OK)
