"""The board model's world (host side, CPython): the wearer's button, a central in radio
range and the virtual clock, scripted as PHASES, answering the guest's waits (cp/_model.py).

The scenario is a generator: every guest wait (`time.sleep`, a light sleep) resumes it with
the wait, and it yields the answer: the new time and commands ("k1"/"k0" key down/up,
"c247" a central connects with ATT MTU 247, "w<hex>" it writes the control characteristic,
"d" it disconnects, "m<phase>" measure the live heap, "x" the end). The central speaks the
sync protocol with the firmware's own codec and proofs (unknot.core: proto, auth, crc, wire), so
a change of the protocol changes this central too.

Phases, in order (each ends with a heap measurement named after it):
  boot        code.py ran: the App built, BLE attached and advertising
  noradio     (tests only, instead of boot) BLE did not start: three error cues, no advert
  routine     a press 12 s after boot plays the selected routine to its end
  session     a central connects, authenticates (AUTH_BEGIN, AUTH) with the host key the
              drive carried (USB consent), sets the clock and READs every record the journal
              holds after 1000 were appended (records and stream CRC checked)
  linked      (CPU_PHASES only) the central asks FOLLOW; a press plays the selected routine
              to its end while connected (the loop polls BLE every 20 ms, STATUS frames go
              out)
  upload      the routine library uploaded as one set (UPLOAD_BEGIN, CHUNKs, COMMIT)
  pairing     a long press opens the pairing window; a second host PAIRs
  selftest    (NAME_PHASES only) the central starts the self-test (SELFTEST), the wearer
              presses every 4 s (the button and light-sleep checks), the central reads the
              report until its end line
  disconnect  the central leaves; the board advertises again
Adding a phase: write a generator method `_phase_<name>` (use `_wait_until`, `_request`,
`_press`) and put its name in PHASES.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

PHASES = ("boot", "routine", "session", "upload", "pairing", "disconnect")
# The CPU budget's run (tools/board/cpu.py) adds a routine played while the central is
# connected and follows it; the heap scans leave it out (it is the routine phase's heap plus
# the STATUS frames, and 8,000 more loop steps per run).
CPU_PHASES = ("boot", "routine", "session", "linked", "upload", "pairing", "disconnect")
# The interned names' run (model.names) adds the self-test, the one mode the heap scans
# leave out, so that every module the firmware can load has interned its names.
NAME_PHASES = ("boot", "routine", "session", "upload", "pairing", "selftest", "disconnect")
PLAYING = ("routine", "linked")  # the phases whose loop steps are fw_cpu_ms_cue_max's
MTU = 247
RECORDS = 1000
HOST_ID = b"modelhst"
HOST_KEY = b"K" * 16
_LIMIT_MS = 3 * 3600 * 1000  # virtual time a run may take


class ScenarioFailed(Exception):
    pass


@dataclass
class Wait:
    kind: str  # "s" time.sleep, "l" light sleep, "" the start
    now: int  # ms
    ms: int  # asked for
    fuel: int  # wasm instructions so far
    playing: bool = False  # a routine plays (app.player)


@dataclass
class Record:
    """What one run saw: heap per phase (bytes alloc, free), cue starts, fuel marks."""

    heap: dict[str, tuple[int, int]] = field(default_factory=dict)
    cues: int = 0
    adverts: int = 0
    notes: list[str] = field(default_factory=list)
    fuel: dict[str, int] = field(default_factory=dict)  # phase -> fuel spent in it
    steps: list[int] = field(default_factory=list)  # loop steps' fuel while playing (PLAYING)
    step_phase: list[str] = field(default_factory=list)  # the phase of each of `steps`
    playing_collections: int = 0  # collections asked for in those steps (CPU runs count)
    marks: dict[str, int] = field(default_factory=dict)  # named fuel spans (CPU budget)
    done: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)  # sys.modules at the last measurement
    heap_marks: dict[str, int] = field(default_factory=dict)  # code.py's mods.heap marks


def aes_call(payload: bytes) -> str:
    """The host side of the model's aesio (cp/aesio.py): mode, key (16), IV (16), data ->
    hex of the data encrypted (the board does this in C)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    mode, key, iv, data = payload[0], payload[1:17], payload[17:33], payload[33:]
    if mode == 6:  # CTR: each call starts a new key-stream block (tiny-AES-c)
        padded = data + bytes(-len(data) % 16)
        enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
        return (enc.update(padded)[: len(data)]).hex()
    m = modes.CBC(iv) if mode == 2 else modes.ECB()
    return Cipher(algorithms.AES(key), m).encryptor().update(data).hex()


# What CircuitPython's aesio costs on the nRF52840 (docs/security.md "CPU budget"): its C is
# tiny-AES-c (shared-module/aesio/aes.c), built -O2 for boards with external flash
# (ports/nordic/Makefile). Counted here, not published: the same C at -O2 executes 4,545
# (CBC) to 4,612 (CTR) x86-64 instructions per 16-byte block and 1,846 per key expansion
# (valgrind); taken at 1.25 cycles per instruction on the Cortex-M4 (byte loads and stores)
# and 64 MHz.
AES_BLOCK_CYCLES = 5_800  # 91 us
AES_KEY_CYCLES = 2_300  # 36 us: AES(key, ...) and rekey expand the key
# os.getenv (shared-module/os/getenv.c: opens /settings.toml and scans it for the key, per
# call). An ESTIMATE, not measured on a board: a FATFS open of a root-directory file, then
# a buffered character read and compare per byte scanned (cp/os.py reports the bytes).
GETENV_OPEN_CYCLES = 20_000
GETENV_BYTE_CYCLES = 30
# gc.mem_free() (py/modgc.c -> py/gc.c `gc_info`): one pass over the allocation table, a
# switch and two table reads per 16-byte block. An ESTIMATE, not measured on a board: 30
# cycles a block of a 140 KiB heap (docs/firmware.md "Board model", free estimate).
MEMFREE_CYCLES = 30 * 140 * 1024 // 16
CPU_MHZ = 64


class CCalls:
    """The board's C functions that the model's stand-ins run (cp/aesio.py: on the host;
    cp/os.py getenv: in the guest's Python).
    The guest brackets one with the host calls "c(" and "c)"; the fuel it spent between
    them (the stand-in's copying, hex, the host call) is given back and the C function's
    own cost on the board charged instead, in fuel at cpu.FUEL_PER_MS. What is left --
    the stand-in's Python method call and the bracket's own host calls (they call
    `host.call` directly), 30-70 us a call -- stands for the binding's call overhead (more
    than the board's C argument parsing: the figures err on the slow side).
    `blocks` / `keys` count the AES blocks and key expansions charged."""

    def __init__(self) -> None:
        self.start = 0
        self.blocks = 0
        self.keys = 0
        self._cycles = 0

    def handle(self, name: str, payload: bytes, fuel: int) -> str | tuple[str, int] | None:
        """The answer to a host call this class serves (with the fuel to give back), or
        None for another's."""
        if name == "c(":
            self.start, self._cycles = fuel, 0
            return ""
        if name == "aes":
            n = -(-(len(payload) - 33) // 16)
            self.blocks += n
            self._cycles += n * AES_BLOCK_CYCLES
            return aes_call(payload)
        if name == "aeskey":
            self.keys += 1
            self._cycles += AES_KEY_CYCLES
            return ""
        if name == "memfree":
            self._cycles += MEMFREE_CYCLES
            return ""
        if name == "getenv":  # payload: the bytes of settings.toml the lookup scanned
            self._cycles += GETENV_OPEN_CYCLES + GETENV_BYTE_CYCLES * int(payload)
            return ""
        if name == "c)":
            import cpu

            charge = round(self._cycles / (CPU_MHZ * 1000) * cpu.FUEL_PER_MS)
            return "", (fuel - self.start) - charge
        return None


def _info() -> bytes:
    """The INFO value the model's board serves (device id: cp/microcontroller.py's cpu.uid
    cut to 6 bytes as hw/boards.py does), which the device's proof covers."""
    from unknot import core

    info = core.info
    version = core.FIRMWARE_VERSION.split(".")
    major, minor, patch = (int("".join(c for c in v if c.isdigit()) or 0) for v in version[:3])
    uid = b"\x11\x22\x33\x44\x55\x66\x77\x88"[:6]
    return _wire().pack(info.INFO, info.PROTOCOL_VERSION, 0, uid, major, minor, patch, 0)


def _gatt() -> Any:
    from unknot import core

    return core.gatt


def _uuid16(uuid: str) -> int:
    """The 16-bit part `_bleio.UUID.uuid16` gives (bytes 12-13 of the 128-bit UUID's
    little-endian form: the 3rd-4th bytes of the string form)."""
    return int(uuid[4:8], 16)


def _check_advertisement(payload: bytes) -> str:
    """What is wrong with what the board advertises (cp/_bleio.py's "adv": the data's
    length, the data, the scan response), or "": legacy (31 bytes at most: a longer one goes
    out as an extended advertisement many phones never see), the service UUID, the advert
    payload (advert.py), and the name in the scan response."""
    from unknot import core

    n = payload[0]
    data, scan = payload[1 : 1 + n], payload[1 + n :]
    if n > 31 or len(scan) > 31:
        return f"{n} + {len(scan)} bytes: not legacy advertising"
    fields = {}
    for part in (data, scan):
        i = 0
        while i < len(part):
            size = part[i]
            fields[part[i + 1]] = bytes(part[i + 2 : i + 1 + size])
            i += 1 + size
    uuid = bytes.fromhex(_gatt().SERVICE.replace("-", ""))[::-1]
    if fields.get(0x06) != uuid:
        return "no service UUID"
    adv = core.advert
    manufacturer = fields.get(adv.AD_TYPE, b"")
    if len(manufacturer) != adv.PAYLOAD_SIZE or adv.parse(manufacturer[2:]) is None:
        return "no advert payload"
    if not fields.get(0x09, b"").startswith(_gatt().NAME_PREFIX.encode() + b"-"):
        return "no name in the scan response"
    return ""


def fw() -> tuple[Any, Any, Any]:
    from unknot import core

    return core.proto, core.auth, core.crc


def key_file() -> bytes:
    """The USB consent file the model's drive carries (auth.KEY_FILE)."""
    _, auth, _ = fw()
    return bytes(auth.key_file(0x5EED, HOST_ID, HOST_KEY))


class Scenario:
    def __init__(self, archive: bytes, phases: tuple[str, ...] = PHASES) -> None:
        self.proto, self.auth, self.crc = fw()
        from unknot import core

        self.seal = core.seal
        self.archive = archive  # the routine set the upload phase sends
        self.phases = phases
        self.rec = Record()
        self.frames: list[bytes] = []
        self.wait = Wait("", 0, 0, 0)
        self.connected = False
        self.values: dict[int, bytes] = {}  # readable characteristics' values by uuid16
        self.session: bytes | None = None
        self.counter = 0
        self.phase = ""
        self._w0 = self._w1 = -1  # fuel at the last wait's start and end marks
        self._gc = 0  # collections the firmware asked for in this loop step (CPU runs)
        self.failed = ""
        self.c_calls = CCalls()
        self._gen = self._script()
        self._next_answer = next(self._gen)

    # -- the VM's host calls -----------------------------------------------------------
    def handler(self, name: str, payload: bytes, fuel: int) -> str | tuple[str, int]:
        if name == "gc":  # the firmware asked for a collection (CPU runs: cp/_model.py)
            self._gc += 1
            return ""
        if name == "w0":  # a wait starts (CPU runs only: cp/_model.py `_marks`)
            self._w0 = fuel
            return ""
        if name == "w1":  # a wait ended: the firmware runs again
            self._w1 = fuel
            return ""
        if name == "wait":
            if self.failed:
                return "x"
            kind, rest = payload[:1].decode(), payload[1:].decode().split()
            wait = Wait(kind, int(rest[0]), int(rest[1]), fuel, len(rest) > 3 and rest[3] == "1")
            if self.phase in PLAYING and (self.wait.playing or wait.playing):
                # a loop step (wait to wait) that starts or ends while a routine plays or
                # its last cue is felt; without the marks, the model's wait is in it
                step = self._w0 - self._w1 if self._w1 >= 0 else fuel - self.wait.fuel
                self.rec.steps.append(step)
                self.rec.step_phase.append(self.phase)
                self.rec.playing_collections += self._gc
            self._gc = 0
            self.wait = wait
            self.rec.cues = int(rest[2])
            try:
                return self._gen.send(self.wait)
            except StopIteration:
                return "x"
            except ScenarioFailed as exc:
                self.failed = self.failed or str(exc)
                return "x"
        c = self.c_calls.handle(name, payload, fuel)
        if c is not None:
            return c
        if name == "notify":
            self.frames.append(payload)
        elif name == "adv":
            self.rec.adverts += 1
            problem = _check_advertisement(payload)
            if problem:
                self.failed = self.failed or "advertisement: " + problem
        elif name == "value":
            self.values[payload[0] | payload[1] << 8] = bytes(payload[2:])
        elif name == "drop":
            self.connected = False
            self.rec.notes.append("device dropped the link")
        elif name == "error":
            self.failed = self.failed or "the App's loop caught: " + payload.decode()
        elif name == "mods":
            self.rec.modules = payload.decode().split()
        elif name == "mem":  # phase, alloc, free, then code.py's heap marks (mods.heap)
            from unknot import core

            phase, alloc, free, *marks = payload.decode().split()
            self.rec.heap[phase] = (int(alloc), int(free))
            self.rec.heap_marks = dict(zip(core.selftest.MARKS.split(), map(int, marks),
                                            strict=False))
        return ""

    # -- building blocks (generators yielding answers) -----------------------------------
    def _sleep(self, extra: str = "") -> Generator[str, Wait, Wait]:
        """Let the guest's current wait run its course."""
        w = self.wait
        if w.now > _LIMIT_MS:
            raise ScenarioFailed("virtual time limit")
        return (yield f"t{w.now + max(w.ms, 1)}|{extra}")

    def _wait_until(self, cond: Any, what: str, limit_ms: int = 600_000
                    ) -> Generator[str, Wait, None]:
        start = self.wait.now
        while not cond():
            if self.wait.now - start > limit_ms:
                raise ScenarioFailed(f"timeout waiting for {what}")
            yield from self._sleep()

    def _at(self, t_ms: int, cmd: str) -> Generator[str, Wait, None]:
        """Sleep until `t_ms`, then give `cmd` (a key event wakes a light sleep early)."""
        while True:
            w = self.wait
            if w.now + max(w.ms, 1) >= t_ms:
                yield f"t{max(t_ms, w.now)}|{cmd}"
                return
            yield from self._sleep()

    def _press(self, hold_ms: int) -> Generator[str, Wait, None]:
        t = self.wait.now
        yield from self._at(t + 1, "k1")
        yield from self._at(self.wait.now + hold_ms, "k0")

    def _measure(self, phase: str, t0: int) -> Generator[str, Wait, None]:
        self.rec.fuel[phase] = self.wait.fuel - t0
        yield f"t{self.wait.now}|m{phase}"
        self.rec.done.append(phase)

    def _request(self, body: bytes, tagged: bool = True) -> Generator[str, Wait, bytes]:
        """Write one control request (sealed unless `tagged` is False); returns its response
        frame (opened: tag checked, payload decrypted)."""
        if not self.connected:
            raise ScenarioFailed("link down")
        if tagged:
            assert self.session is not None
            body = self.session.seal(self.auth.REQUEST_LABEL, self.counter, 0, body, 1)
        n = len(self.frames)
        yield f"t{self.wait.now}|w{body.hex()}"
        yield from self._wait_until(lambda: any(f[0] == self.proto.F_RESP
                                                 for f in self.frames[n:]), "a response")
        frame = next(f for f in self.frames[n:] if f[0] == self.proto.F_RESP)
        del self.frames[n:]
        if tagged and self.session is not None:
            opened = self.session.open(self.auth.ANSWER_LABEL, self.counter, 0, frame, 3)
            self.counter += 1
            if opened is None:
                raise ScenarioFailed("bad answer tag")
            return bytes(opened)
        return frame

    def _ok(self, frame: bytes, what: str) -> None:
        if len(frame) < 3 or frame[2] != self.proto.ST_OK:
            raise ScenarioFailed(f"{what} refused: {frame[:3].hex()}")

    # -- the phases ----------------------------------------------------------------------
    def _script(self) -> Generator[str, Wait, None]:
        yield ""  # primes the generator; the first guest wait resumes it
        if not self.phases:
            self.rec.marks["boot"] = self.wait.fuel
            yield from self._measure("floor", 0)
        for phase in self.phases:
            self.phase = phase
            t0 = self.wait.fuel
            yield from getattr(self, f"_phase_{phase}")()
            yield from self._measure(phase, t0)
        yield "x"

    def _phase_boot(self) -> Generator[str, Wait, None]:
        self.rec.marks["boot"] = self.wait.fuel  # from the VM's start to the first wait
        yield from self._wait_until(lambda: self.rec.adverts > 0, "advertising", 5000)

    def _phase_noradio(self) -> Generator[str, Wait, None]:
        """Boot without BLE (a radio part that cannot load): the error cue three times
        (hw._RADIO_CUE_TIMES), and nothing advertised."""
        self.rec.marks["boot"] = self.wait.fuel
        yield from self._wait_until(lambda: self.rec.cues >= 3, "three error cues", 5000)
        if self.rec.adverts:
            raise ScenarioFailed("advertising although BLE did not start")

    def _phase_routine(self) -> Generator[str, Wait, None]:
        yield from self._at(max(12_000, self.wait.now + 1), "k1")
        yield from self._at(self.wait.now + 120, "k0")
        yield from self._wait_until(lambda: self.rec.cues > 0, "the first cue", 5000)
        yield from self._wait_until(lambda: self.wait.kind == "l", "the routine's end",
                                    3600_000)

    def _phase_linked(self) -> Generator[str, Wait, None]:
        p = self.proto
        frame = yield from self._request(_wire().pack(_status().REQ_FOLLOW, p.OP_FOLLOW, 1))
        self._ok(frame, "FOLLOW")
        cues = self.rec.cues
        yield from self._press(120)
        yield from self._wait_until(lambda: self.rec.cues > cues, "the first cue", 5000)
        start = last = self.wait.now
        while self.wait.playing:  # a STATE request every 30 s keeps the link (proto _IDLE_MS)
            if self.wait.now - start > 3600_000:
                raise ScenarioFailed("timeout waiting for the routine's end")
            if self.wait.now - last >= 30_000:
                last = self.wait.now
                self._ok((yield from self._request(bytes([p.OP_STATE]))), "STATE")
            else:
                yield from self._sleep()
        statuses = [f for f in self.frames if f[0] == _status().F_STATUS]
        del self.frames[:]
        if not statuses:
            raise ScenarioFailed("no STATUS frame while following")
        frame = yield from self._request(_wire().pack(_status().REQ_FOLLOW, p.OP_FOLLOW, 0))
        self._ok(frame, "FOLLOW off")

    def _phase_session(self) -> Generator[str, Wait, None]:
        from unknot import core

        p, a = self.proto, self.auth
        self.connected = True
        yield f"t{self.wait.now}|c{MTU}"
        if self.values.get(_uuid16(_gatt().INFO)) != _info():  # read at once, before a poll
            raise ScenarioFailed("INFO is not the device's at connect")
        nh = b"N" * core.keyring.NONCE_SIZE
        f0 = self.wait.fuel
        frame = yield from self._request(_wire().pack(
            p.REQ_AUTH_BEGIN, p.OP_AUTH_BEGIN, nh, self.seal.blind(HOST_KEY, nh)), tagged=False)
        self._ok(frame, "AUTH_BEGIN")
        nd, proof = _wire().unpack(p.RESP_AUTH_BEGIN, frame[3:])
        if proof != self.seal.device_proof(HOST_KEY, nh, nd, _info()):
            raise ScenarioFailed("bad device proof")
        frame = yield from self._request(_wire().pack(p.REQ_AUTH, p.OP_AUTH,
                                                     self.seal.host_proof(HOST_KEY, nh, nd)), False)
        self._ok(frame, "AUTH")
        self.rec.marks["auth"] = self.wait.fuel - f0
        self.session = self.seal.Session(HOST_KEY, nh, nd)
        opened = self.session.open(a.ANSWER_LABEL, a.AUTH_COUNTER, 0, frame, 3)
        if opened is None:
            raise ScenarioFailed("bad AUTH answer tag")
        state = bytes(opened[3 + core.keyring.SECRET_SIZE :])
        self.counter = 0
        f0 = self.wait.fuel
        frame = yield from self._request(_wire().pack(p.REQ_SET_CLOCK, p.OP_SET_CLOCK,
                                                     1_770_000_000))
        self._ok(frame, "SET_CLOCK")
        self.rec.marks["request"] = self.wait.fuel - f0
        head, tail = _wire().unpack(p.STATE, state)[1:3]
        yield from self._read(head - tail)

    def _read(self, want: int) -> Generator[str, Wait, None]:
        p = self.proto
        n = len(self.frames)
        f0 = self.wait.fuel
        body = _wire().pack(p.REQ_READ, p.OP_READ, 0, 0)
        assert self.session is not None
        body = self.session.seal(self.auth.REQUEST_LABEL, self.counter, 0, body, 1)
        self.counter += 1
        yield f"t{self.wait.now}|w{body.hex()}"
        yield from self._wait_until(lambda: any(f[0] in (p.F_END, p.F_RESP)
                                                 for f in self.frames[n:]), "END", 600_000)
        self.rec.marks["read"] = self.wait.fuel - f0
        data = [f for f in self.frames[n:] if f[0] == p.F_DATA]
        end = next(f for f in self.frames[n:] if f[0] in (p.F_END, p.F_RESP))
        del self.frames[n:]
        if end[0] != p.F_END:
            raise ScenarioFailed(f"READ refused: {end[:3].hex()}")
        a, k = self.auth, self.counter - 1
        data = [self.seal.Session.open(self.session, a.ANSWER_LABEL, k, i, f, 1) for i, f in
                enumerate(data)]
        end = self.session.open(a.ANSWER_LABEL, k, len(data), end, 1)
        if end is None or any(f is None for f in data):
            raise ScenarioFailed("a READ frame failed its seal")
        fields = _wire().unpack(p.END, end)
        crc = 0
        size = 0
        for f in data:
            crc = self.crc.crc32(f[1:], crc)
            size += len(f) - 1
        if fields[3] != want or fields[5] != crc & 0xFFFFFFFF or size % max(want, 1):
            raise ScenarioFailed(f"bad READ stream: {fields} want {want}")
        self.rec.marks["read_records"] = want

    def _phase_upload(self) -> Generator[str, Wait, None]:
        p = self.proto
        total, crc = len(self.archive), self.crc.crc32(self.archive) & 0xFFFFFFFF
        frame = yield from self._request(_wire().pack(_upload().REQ_UPLOAD_BEGIN, p.OP_UPLOAD_BEGIN,
                                                     total, crc))
        self._ok(frame, "UPLOAD_BEGIN")
        room = MTU - 3 - _wire().size(_upload().REQ_UPLOAD_CHUNK) - self.auth.TAG_SIZE
        for off in range(0, total, room):
            frame = yield from self._request(_wire().pack(_upload().REQ_UPLOAD_CHUNK,
                                                         p.OP_UPLOAD_CHUNK, off)
                                             + self.archive[off : off + room])
            self._ok(frame, "UPLOAD_CHUNK")
        frame = yield from self._request(bytes([p.OP_UPLOAD_COMMIT]))
        self._ok(frame, "UPLOAD_COMMIT")

    def _phase_pairing(self) -> Generator[str, Wait, None]:
        """A second host pairs (protocol v3): the wearer's long press opens the window, the
        host commits, the device makes its X25519 key, the host reveals, the device computes
        the shared secret and taps the SAS, the wearer presses, the host checks."""
        from unknot import core

        p, a, pairing = self.proto, self.auth, core.pairing
        yield from self._press(1300)  # a long press, released: the pairing window opens
        yield from self._sleep()
        # the host's key pair, the same in every run: a random one changes the device's
        # X25519 big-int work and so its allocations, and the safe peak from scan to scan
        secret = bytes(range(1, 33))
        public = pairing.x25519(secret, pairing.BASE_POINT)
        nonce = b"n" * core.keyring.NONCE_SIZE
        f0 = self.wait.fuel
        frame = yield from self._request(_wire().pack(
            p.REQ_PAIR_BEGIN, p.OP_PAIR_BEGIN, pairing.commitment(public, nonce)), False)
        self._ok(frame, "PAIR_BEGIN")
        self.rec.marks["pair_begin"] = self.wait.fuel - f0
        dev_pub, dev_nonce = _wire().unpack(p.RESP_PAIR_BEGIN, frame[3:])
        f0 = self.wait.fuel
        frame = yield from self._request(_wire().pack(
            p.REQ_PAIR_REVEAL, p.OP_PAIR_REVEAL, public, nonce), False)
        self._ok(frame, "PAIR_REVEAL")
        self.rec.marks["pair_reveal"] = self.wait.fuel - f0
        key, _host_id, _sas = pairing.pair_digest(pairing.x25519(secret, dev_pub), public,
                                                  dev_pub, nonce, dev_nonce)
        check = self.seal.Session(key, nonce, dev_nonce)
        yield from self._at(self.wait.now + 20_000, "")  # the device taps the numbers
        yield from self._press(120)  # the wearer's press: yes (decided after the double-
        yield from self._at(self.wait.now + 1000, "")  # press window has passed)
        frame = yield from self._request(check.seal(
            a.REQUEST_LABEL, 0, 0, _wire().pack(p.REQ_PAIR_CHECK, p.OP_PAIR_CHECK, 0), 1), False)
        opened = check.open(a.ANSWER_LABEL, 0, 0, frame, 3)
        if opened is None:
            raise ScenarioFailed("bad PAIR_CHECK answer tag")
        self._ok(bytes(opened), "PAIR_CHECK")

    def _phase_selftest(self) -> Generator[str, Wait, None]:
        p, t, wire = self.proto, _selftest(), _wire()
        frame = yield from self._request(wire.pack(t.REQ_SELFTEST, p.OP_SELFTEST,
                                                   t.SELFTEST_START))
        self._ok(frame, "SELFTEST")
        head = wire.size(t.RESP_SELFTEST)
        text = b""
        start = self.wait.now
        while True:
            frame = yield from self._request(wire.pack(
                t.REQ_SELFTEST_REPORT, p.OP_SELFTEST, t.SELFTEST_REPORT, len(text)))
            self._ok(frame, "SELFTEST report")
            state, total = wire.unpack(t.RESP_SELFTEST, frame[3:])
            if state == t.SELFTEST_DONE:
                text += frame[3 + head :]
                if len(text) >= total:
                    break
                continue
            if self.wait.now - start > 120_000:
                raise ScenarioFailed("the self-test did not end in 120 s")
            yield from self._at(self.wait.now + 4000, "")
            yield from self._press(120)  # the button check, then the wake from light sleep
        if b"SELFTEST end" not in text:
            raise ScenarioFailed("self-test report without its end line")

    def _phase_disconnect(self) -> Generator[str, Wait, None]:
        adverts = self.rec.adverts
        self.connected = False
        self.session = None
        yield f"t{self.wait.now}|d"
        yield from self._wait_until(lambda: self.rec.adverts > adverts, "advertising again",
                                    5000)


def _wire() -> Any:
    """The firmware's wire formats codec (wire.py): the central packs every format with it."""
    from unknot import core

    return core.wire


def _status() -> Any:
    """The firmware's STATUS formats (status.py)."""
    from unknot import core

    return core.status


def _selftest() -> Any:
    """The firmware's self-test module: the SELFTEST op's formats."""
    from unknot import core

    return core.selftest


def _upload() -> Any:
    """The firmware's upload module: the upload frames' formats."""
    from unknot import core

    return core.upload


def archive(files: dict[str, bytes]) -> bytes:
    """A routine-set archive (upload.ARCHIVE_ENTRY per file, then name and data)."""
    out = b""
    for name, data in sorted(files.items()):
        out += _wire().pack(_upload().ARCHIVE_ENTRY, len(name), len(data)) + name.encode() + data
    return out
