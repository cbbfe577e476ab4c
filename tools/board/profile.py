"""Where a main-loop step's CPU goes on the board model: fuel per firmware function, per
loop step while a routine plays (tools/board/README.md "Profiling a loop step").

    python tools/board/profile.py                      # the 5 longest playing steps
    python tools/board/profile.py --top 10 --board cpb --phase linked
    python tools/board/profile.py --targets unknot.journal:Journal.append,unknot.app:App.step

The run is the scenario (tools/board/scenario.py) on the unspilled VM with a large heap, so
no collection runs (as cpu.py's figures). Before code.py runs, the guest (`boardprof`, written
into the drive) wraps each target -- `module:function` or `module:Class.method` -- with
two host calls, enter and leave; the host reads the fuel at each and books, per step,
every target's inclusive fuel (its callees included, the wrapping of its own and its
wrapped callees' calls taken off) and its calls. Functions imported by
name elsewhere (`from .patterns import event_ms`) are replaced in every loaded module.
Wrapped calls cost extra fuel (the two host calls): `overhead` (measured at the start on a
wrapped no-op) is printed, and every step total is also given less calls x overhead.
Generators: wrapping one counts only its creation; wrap the function that calls next().
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

BOARD_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BOARD_DIR))

import cpu  # noqa: E402
import model  # noqa: E402
import scenario  # noqa: E402

# What runs in a playing step (the loop, the player, the motor, the flash, BLE).
TARGETS = (
    "unknot.app:App.step", "unknot.app:App._input", "unknot.app:App._play",
    "unknot.app:App._finish", "unknot.app:App._emit", "unknot.app:App.buzz",
    "unknot.app:App._work", "unknot.app:App._settings_write", "unknot.app:App.announce",
    "unknot.app:App.idle", "unknot.app:App._after_write",
    "unknot.player:Player.poll", "unknot.player:Player._advance",
    "unknot.player:Player.next_deadline", "unknot.player:Player.steps_done",
    "unknot.patterns:felt", "unknot.patterns:event_ms", "unknot.patterns:kind",
    "unknot.patterns:drv_sequence", "unknot.patterns:envelope",
    "unknot.journal:Journal.append", "unknot.journal:Journal._commit",
    "unknot.journal:Journal._write", "unknot.journal:Journal.flush",
    "unknot.journal:pack_record",
    "unknot.keyring:Keyring.poll", "unknot.gestures:Gestures.poll",
    "unknot.gestures:Gestures.next_deadline", "unknot.reminders:Reminders.reset",
    "unknot.hw.motor:DrvMotor.poll", "unknot.hw.motor:DrvMotor.play",
    "unknot.hw.motor:DrvMotor._set", "unknot.hw.motor:DrvMotor._steps_of",
    "unknot.hw.motor:PwmMotor.poll", "unknot.hw.motor:PwmMotor.play",
    "unknot.hw.motor:PwmMotor._set", "unknot.hw.motor:PwmMotor._steps_of",
    "unknot.hw.system:Sleeper.sleep_until", "unknot.hw.button:KeypadButton.poll",
    "unknot.hw.button:KeypadButton.pending",
    "unknot.hw.ble:BleLink.poll", "unknot.hw.ble:BleLink._advertise",
    "unknot.hw.ble:BleLink._refresh", "unknot.proto:Protocol.poll",
    "unknot.proto:Protocol.control", "unknot.proto:Protocol.next_frame",
    "unknot.proto:Protocol.info", "unknot.status:queue", "unknot.advert:Advert.update",
    "unknot.advert:tag", "unknot.advert:secret_of",
    # the model's stand-ins for CircuitPython's C modules (Python here, C on the board)
    "busio:I2C.writeto", "busio:I2C.try_lock", "busio:I2C.unlock",
    "keypad:EventQueue.get_into", "_bleio:PacketBuffer.readinto",
)

HEAP_KIB = cpu.BIG_HEAP_KIB

_GUEST = '''
import sys
import _model
from uos import getenv

_call = _model.call


def _wrap(f, enter, leave):
    def w(*a, **k):
        _call("p", enter)
        try:
            return f(*a, **k)
        finally:
            _call("p", leave)
    return w


def _install(i, target):
    mod_name, _, attr = target.partition(":")
    try:
        mod = __import__(mod_name, None, None, ["x"])
    except ImportError:
        return
    owner = mod
    parts = attr.split(".")
    for p in parts[:-1]:
        owner = getattr(owner, p, None)
        if owner is None:
            return
    f = getattr(owner, parts[-1], None)
    if f is None:
        return
    w = _wrap(f, "e%d" % i, "x%d" % i)
    setattr(owner, parts[-1], w)
    if len(parts) == 1:  # a function: every loaded module that imported it by name
        for m in list(sys.modules.values()):
            if getattr(m, parts[-1], None) is f:
                setattr(m, parts[-1], w)


class _Cal:  # most targets are methods: calibrate on one
    def m(self, x):
        pass


_c = _Cal()
_call("mark", "cal0")
for _ in range(20):
    _c.m(1)
_call("mark", "cal1")
_Cal.m = _wrap(_Cal.m, "e-1", "x-1")
for _ in range(20):
    _c.m(1)
_call("mark", "cal2")
for _i, _t in enumerate((getenv("UNKNOT_PROFILE") or "").split()):
    _install(_i, _t)
_call("mark", "go")
_model.cpu_run()
import code  # noqa: E402,F401
'''


@dataclass
class Step:
    fuel: int = 0
    calls: int = 0  # wrapped calls in it
    incl: dict[str, int] = field(default_factory=dict)  # target -> inclusive fuel
    count: dict[str, int] = field(default_factory=dict)


class Profiler:
    """Wraps a Scenario's handler: books enter/leave fuel per target and per step."""

    def __init__(self, sc: scenario.Scenario, targets: tuple[str, ...]) -> None:
        self.sc = sc
        self.targets = targets
        self.stack: list[tuple[int, int, int]] = []  # (target, fuel, wrapped calls) at enter
        self.calls = 0  # wrapped calls so far (their overhead is taken off their callers)
        self.over = 0.0  # fuel of one wrapped call's wrapping (known after the calibration)
        self.cur = Step()
        self.steps: list[Step] = []  # one per scenario step while playing (rec.steps)
        self.marks: dict[str, int] = {}
        self.boot: Step | None = None  # code.py to the first wait (fw_cpu_ms_boot's span)

    def handler(self, name: str, payload: bytes, fuel: int) -> str | tuple[str, int]:
        if name == "p":
            kind, i = payload[:1], int(payload[1:])
            if i < 0:
                return ""
            if kind == b"e":
                self.stack.append((i, fuel, self.calls))
            elif self.stack:
                j, f0, c0 = self.stack.pop()
                t = self.targets[j]
                if not any(k == j for k, _, _ in self.stack):  # recursion: count outermost
                    net = fuel - f0 - (self.calls - c0 + 1) * self.over
                    self.cur.incl[t] = self.cur.incl.get(t, 0) + int(net)
                self.cur.count[t] = self.cur.count.get(t, 0) + 1
                self.cur.calls += 1
                self.calls += 1
            return ""
        if name == "mark":
            self.marks[payload.decode()] = fuel
            if payload == b"cal2":
                self.over = self.overhead()
            return ""
        n = len(self.sc.rec.steps)
        answer = self.sc.handler(name, payload, fuel)
        if name == "wait":
            if self.boot is None:
                self.cur.fuel = fuel - self.marks["go"]
                self.boot = self.cur
            if len(self.sc.rec.steps) > n:
                self.cur.fuel = self.sc.rec.steps[-1]
                self.steps.append(self.cur)
            self.cur = Step()
        return answer

    def overhead(self) -> float:
        """Fuel one wrapped call adds (two host calls and the wrapper)."""
        m = self.marks
        return (m["cal2"] + m["cal0"] - 2 * m["cal1"]) / 20  # wrapped less unwrapped


def profile(board: str, phases: tuple[str, ...], targets: tuple[str, ...]) -> Profiler:
    m = model.Model(spilled=False, collect=False, phases=phases)
    d = m.drive
    d.reset(board)
    (d.root / ".model" / "boardprof.py").write_text(_GUEST)
    sc = scenario.Scenario(m.archive, phases)
    prof = Profiler(sc, targets)
    env = {"MICROPYPATH": "/.model:/:/lib", "UNKNOT_MODEL_BOARD": board,
           "UNKNOT_MODEL_SEED": "0", "UNKNOT_MODEL_NOGC": "1",
           "UNKNOT_PROFILE": " ".join(targets)}
    res = m.guest.run(["-m", "boardprof"], HEAP_KIB, root=d.root, env=env,
                      handler=prof.handler)
    if sc.failed or not res.ok:
        raise RuntimeError(f"profile run failed: {sc.failed or res.error} "
                           f"{(res.stdout + res.stderr)[-800:]}")
    return prof


def _ms(fuel: float) -> float:
    return fuel / cpu.FUEL_PER_MS


def report(prof: Profiler, top: int) -> str:
    over = prof.overhead()
    steps = prof.steps
    lines = [f"{len(steps)} playing steps; wrapped-call overhead {_ms(over):.3f} ms "
             f"(step totals 'net' are less calls x overhead)"]
    order = sorted(range(len(steps)), key=lambda i: -steps[i].fuel)
    for i in order[:top]:
        s = steps[i]
        lines.append(f"step {i}: {_ms(s.fuel):.1f} ms, net "
                     f"{_ms(s.fuel - s.calls * over):.1f} ms, {s.calls} wrapped calls")
        for t, f in sorted(s.incl.items(), key=lambda kv: -kv[1])[:14]:
            lines.append(f"    {_ms(f):8.2f} ms  x{s.count[t]:<4} {t}")
    nets = sorted(_ms(s.fuel - s.calls * over) for s in steps)
    if nets:
        lines.append(f"net step ms: median {nets[len(nets) // 2]:.2f}, "
                     f"p90 {nets[len(nets) * 9 // 10]:.2f}, max {nets[-1]:.2f}")
    total: dict[str, int] = {}
    calls: dict[str, int] = {}
    for s in steps:
        for t, f in s.incl.items():
            total[t] = total.get(t, 0) + f
            calls[t] = calls.get(t, 0) + s.count[t]
    lines.append("all playing steps: inclusive ms, calls, ms per call (all net of wrapping):")
    for t, f in sorted(total.items(), key=lambda kv: -kv[1])[:20]:
        lines.append(f"    {_ms(f):9.1f}  x{calls[t]:<6} {_ms(f / calls[t]):7.3f}  {t}")
    return "\n".join(lines)


BOOT_TARGETS = (
    "unknot.mods:load", "unknot.mods:drop", "unknot.hw.boards:make_app",
    "unknot.app:App.__init__", "unknot.app:App._open_journal", "unknot.journal:Journal.__init__",
    "unknot.journal:Journal.recover", "unknot.app:App.reload_routines",
    "unknot.library:index", "unknot.settings:load", "unknot.app:App._load_overrides",
    "unknot.keyring:Keyring.import_usb", "unknot.hw.ble:attach", "unknot.hw.ble:BleLink.__init__",
    "unknot.hw.ble:BleLink.poll", "unknot.hw.ble:BleLink._advertise", "unknot.advert:tag",
    "unknot.advert:secret_of", "unknot.app:App.step", "unknot.hw.boards:make_motor",
    "unknot.hw.system:drive_storage", "unknot.reminders:Reminders.__init__",
)


def boot_report(prof: Profiler) -> str:
    """Where code.py's CPU goes up to the first wait (fw_cpu_ms_boot less the VM's start)."""
    b = prof.boot
    if b is None:
        return "no wait reached"
    lines = [f"boot (code.py to the first wait, with wrapping): {_ms(b.fuel):.1f} ms, "
             f"{b.calls} wrapped calls"]
    for t, f in sorted(b.incl.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {_ms(f):8.1f} ms  x{b.count[t]:<4} {t}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="feather_nrf52840", choices=model.BOARDS)
    ap.add_argument("--phase", default="routine", choices=scenario.PLAYING,
                    help="the playing phase to profile")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--targets", help="comma-separated module:qualname (default: TARGETS)")
    ap.add_argument("--boot", action="store_true",
                    help="where boot's CPU goes instead (default targets: BOOT_TARGETS)")
    args = ap.parse_args(argv)
    targets = tuple(args.targets.split(",")) if args.targets else (
        BOOT_TARGETS if args.boot else TARGETS)
    if args.boot:
        print(boot_report(profile(args.board, ("boot",), targets)))
        return 0
    cut = scenario.CPU_PHASES.index(args.phase) + 1
    phases = scenario.CPU_PHASES[:cut]
    print(report(profile(args.board, phases, targets), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
