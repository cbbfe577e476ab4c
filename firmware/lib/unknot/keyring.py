"""The hosts the wearer consented to, the pairing window, pairing attempts and the wearer's
consent (docs/security.md, docs/protocol.md "Pairing"). No I/O: the App saves and buzzes
through the callbacks it passes in, the protocol handler calls begin/reveal/ask/state.

A consent is one question to the wearer, answered on the button while the device is idle:
press = yes, double press or long press = no, silence for CONSENT_MS = no. Two kinds:
PAIR (after the SAS was played: keep the new host) and FORGET (a host asked over BLE to
remove one host or all of them).

What the idle loop needs stays here (the window, the attempt, the question, the device
secret and the encoded host section); the host records' code -- stored form, lookups, adding
and removing -- is auth.py's, loaded for a connection or for one change (a pairing the wearer
confirms, a forget, boot) and dropped after it (mods.py; docs/firmware.md "Heap budget").
"""

from . import mods

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


PAIR = const(1)
FORGET = const(2)
WAITING = const(0)
YES = const(1)
NO = const(2)
EVERY_HOST = b"\xff" * 8  # FORGET's host id for "every host"
_PAIR_WINDOW_MS = const(60000)  # the window closes after one pairing attempt or this long
CONSENT_MS = const(60000)  # the device waits this long for the wearer's press
_LOCKOUT_MS = const(60000)  # no new window this long after an attempt the wearer did not confirm


_NONCE_SIZE = const(16)  # every protocol nonce (docs/protocol.md "Authentication", "Pairing")
_SECRET_SIZE = const(16)  # the device secret paired hosts hold (docs/security.md)


def random(n):
    """n random bytes (os.urandom: the nRF52840's hardware RNG on the board): the device's one
    source of secrets and nonces (pairing keys, the device secret, every nonce). Here, in the
    resident module, so that no connection holds auth.py for it; tests/firmware/
    test_proto_vectors.py and tools/make_protocol_vectors.py replace it with a DRBG."""
    from os import urandom

    return urandom(n)


def nonce():
    return random(_NONCE_SIZE)


class Keyring:
    """`clock.now_ms()` times the window, the attempt and the consent; `clock.unix()` dates
    a pairing; `save()` persists (the App writes `encode()` into its power-safe store);
    `play(cue, n)` buzzes; `numbers(digits)` plays the SAS (App.play_numbers)."""

    def __init__(self, clock, save=None, play=None, numbers=None):
        self.clock = clock
        self.hosts = []  # [host id, key, name, paired unix, last seen unix], oldest first
        self.usb_id = 0  # id of the last USB key file imported (auth.KEY_FILE)
        self.secret = None  # the device secret paired hosts hold (made at the first pairing)
        self.pair_until = None  # ms deadline of the open pairing window
        self.locked_until = None  # no window before this (after an unconfirmed attempt)
        self.attempt = None
        self.consent = None  # [kind, arg, deadline ms, WAITING/YES/NO]
        self.generation = 0  # moves on whenever a host is removed: sessions check it
        self._save = save
        self._play = play
        self._numbers = numbers
        self._blob = None  # encode()'s answer, until the hosts change

    def _buzz(self, cue):
        if self._play is not None:
            self._play(cue)

    def _auth(self, name, *args):
        """auth.<name>(self, *args): the host records' code, loaded for the call and dropped
        after it unless a connection holds it (its protocol imports auth)."""
        kept = mods.loaded("auth")
        try:
            return getattr(mods.load("auth"), name)(self, *args)
        finally:
            if not kept:
                mods.drop("auth", collect=False)  # (the next collection frees it)

    def encode(self):
        """The stored host section (auth.encode_hosts), made again only after a change."""
        if self._blob is None:
            self._blob = self._auth("encode")
        return self._blob

    def load(self, blob):
        """Hosts from a stored blob; returns the rest of it (the settings lines)."""
        self._blob = None
        return self._auth("load", blob)

    def _persist(self):
        self._blob = None  # the hosts changed (or a host's name: pairing.py HOSTS NAME)
        if self._save is not None:
            self._save()

    # -- hosts (auth.py) ----------------------------------------------------------------

    def find(self, host_id):
        return self._auth("find", host_id)

    def blinded(self, blind, host_nonce):
        """The host whose key makes `blind` for this nonce (AUTH_BEGIN), or None."""
        from .seal import blinded  # the MACs: loaded on the first authentication

        return blinded(self.hosts, blind, host_nonce)

    def keep(self, host_id, key, name=b"", paired=0):
        """Add or replace a host (not saved): the oldest goes beyond auth.MAX_HOSTS."""
        self._blob = None
        self._auth("keep", host_id, key, name, paired)
        if self.secret is None:
            self.secret = random(_SECRET_SIZE)

    def import_usb(self, data):
        """A USB key file (auth.KEY_FILE) read at boot: imported once. True if it added one."""
        if not data:
            return False
        return self._auth("import_usb", data)

    def remove(self, host_id):
        """Forget one host (EVERY_HOST: all of them, and the device secret)."""
        if bytes(host_id) == EVERY_HOST:
            self.hosts = []
            self.secret = None
        else:
            self.hosts = [h for h in self.hosts if bytes(h[0]) != bytes(host_id)]
        self.generation += 1
        self.pair_until = None
        self._persist()
        self._buzz("forget")

    def forget(self):
        """The 10 s hold: every host."""
        self.remove(EVERY_HOST)

    def _unix(self):
        t = self.clock.unix()
        return 0 if t is None else t

    # -- the pairing window and attempts -------------------------------------------------

    def pairing(self):
        """True while the pairing window is open (no attempt started in it yet)."""
        until = self.pair_until
        if until is not None and self.clock.now_ms() >= until:
            self.pair_until = until = None
        return until is not None

    def open(self):
        """The wearer's 1 s hold: open the window, unless locked out. True if opened."""
        now = self.clock.now_ms()
        if self.locked_until is not None and now < self.locked_until:
            self._buzz("refused")
            return False
        self.pair_until = now + _PAIR_WINDOW_MS
        self._buzz("pair_open")
        return True

    def _fail(self):
        self.attempt = None
        self.locked_until = self.clock.now_ms() + _LOCKOUT_MS
        self._buzz("refused")

    # -- the wearer's consent ------------------------------------------------------------

    def ask(self, kind, arg):
        """Ask the wearer (FORGET over BLE); False if another question is open."""
        if self.waiting():
            return False
        self.consent = [kind, arg, self.clock.now_ms() + CONSENT_MS, WAITING]
        self._buzz("pair_open")
        return True

    def waiting(self):
        c = self.consent
        return c is not None and c[3] == WAITING

    def answer(self, yes):
        """The wearer's press (yes) or double/long press (no)."""
        c = self.consent
        if c is None or c[3] != WAITING:
            return
        c[3] = YES if yes else NO
        if c[0] == PAIR:
            attempt = c[1]
            self.attempt = None
            if yes:
                self.keep(attempt.host_id, attempt.key, b"", self._unix())
                self._persist()
                self._buzz("pair_ok")
            else:
                self._fail()
        elif yes:
            self.remove(c[1])
        else:
            self._buzz("refused")

    def ended(self):
        """A connection ended (proto.reset): a decided question is forgotten -- what its
        PAIR_CHECK / HOSTS CHECK was for -- and with a pairing its attempt and that
        attempt's session, so their code goes with the connection's modules (a host that
        paired authenticates with its key from then on). A question still waiting for the
        wearer stays."""
        c = self.consent
        if c is not None and c[3] != WAITING:
            self.consent = None

    def state(self, kind, arg):
        """WAITING / YES / NO for the question (kind, arg), or None if it is not the one."""
        c = self.consent
        if c is None or c[0] != kind or (c[1] is not arg and c[1] != arg):
            return None
        return c[3]

    def poll(self, now):
        """Expire what is due; returns the next deadline in the caller's time base (`now`,
        ms) or None. The keyring times everything on its own clock (the same clock on the
        board; wall-clock time in a sped-up simulation)."""
        own = self.clock.now_ms()
        due = self._due(own)
        return None if due is None else now + (due - own)

    def _due(self, now):
        c = self.consent
        if c is not None and c[3] == WAITING:
            if now >= c[2]:
                self.answer(False)
            else:
                return c[2]
        attempt = self.attempt
        if attempt is not None:
            if now >= attempt.deadline:
                self._fail()  # committed, never revealed
            else:
                return attempt.deadline
        if self.pairing():
            return self.pair_until
        return None
