"""`unknot sim`: the simulated device, running the real firmware, in the terminal.

The firmware App (loaded from the same files `unknot device install` copies, via
unknot.fwload) runs on an accelerated clock in an asyncio loop; its motor calls are shown as
they would be felt (intensity bar, cue, pattern), the button is the keyboard (p/space press,
d double, l long, q quit). The device is served over BLE on a bumble LocalLink and, through
`unknot.sim.interproc`, over HCI-on-TCP to other processes: `unknot sync --sim`,
`unknot flash --sim` and `unknot device info --sim` reach this running device.

`Engine` (the loop, button, display state) is shared with `unknot demo`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

KEYS_HELP = "p/space = press · d = double press · l = long press · q = quit"
PRESS_MS = 80  # a short press as a finger makes it
LONG_HOLD_MS = 1200  # a long press (the firmware's threshold is UNKNOT_LONG_MS, 1000 default)
MAX_WAIT_S = 0.05  # the loop wakes at least this often (BLE requests, keys, the display)
SIM_NAME_PREFIX = "Unknot-"


# --------------------------------------------------------------------------- clock & motor


class ScaledClock:
    """The firmware clock adapter: monotonic ms running `speed` times faster than real time.
    `unix()` is None until the wall clock is set (e.g. by a sync); then it runs at `speed`
    too, like the device's own RTC would in this accelerated world."""

    def __init__(self, speed: float, start_ms: int = 0) -> None:
        self.speed = speed
        self._base = start_ms
        self._t0 = time.monotonic()
        self._unix_base: int | None = None

    def now_ms(self) -> int:
        return self._base + int((time.monotonic() - self._t0) * 1000.0 * self.speed)

    def unix(self) -> int | None:
        if self._unix_base is None:
            return None
        return self._unix_base + self.now_ms() // 1000

    def set_unix(self, t: int) -> None:
        self._unix_base = int(t) - self.now_ms() // 1000

    def real_s(self, sim_ms: float) -> float:
        """Real seconds for `sim_ms` of device time."""
        return max(0.0, sim_ms / 1000.0 / self.speed)


@dataclass(frozen=True)
class Felt:
    """One motor command of the firmware: what the wearer feels."""

    t_ms: int
    cue: str
    count: int
    envelope: tuple[tuple[int, int], ...]  # (level 0..255, ms), from the firmware's table

    @property
    def length_ms(self) -> int:
        return sum(ms for _lvl, ms in self.envelope) * max(1, self.count)

    def level(self, now_ms: int) -> int:
        """The motor level `now_ms`, following the envelope (repeated `count` times)."""
        dt = now_ms - self.t_ms
        one = sum(ms for _lvl, ms in self.envelope)
        if dt < 0 or one <= 0 or dt >= one * max(1, self.count):
            return 0
        dt %= one
        for lvl, ms in self.envelope:
            if dt < ms:
                return lvl
            dt -= ms
        return 0


class MotorTap:
    """Wraps the device's motor adapter: forwards every call and records it (for display)."""

    def __init__(self, inner: Any, clock: Any, patterns: Any) -> None:
        self._inner = inner
        self._clock = clock
        self._patterns = patterns
        self.felt: list[Felt] = []
        self.listeners: list[Callable[[Felt], None]] = []
        self.listener_errors: list[str] = []

    def play(self, name: str, count: int = 1) -> None:
        felt = Felt(self._clock.now_ms(), name, count, tuple(self._patterns.envelope(name)))
        self.felt.append(felt)
        if len(self.felt) > 200:
            del self.felt[:100]
        self._inner.play(name, count)
        for listener in self.listeners:
            try:
                listener(felt)
            except Exception as exc:  # a display bug must not look like a firmware error
                self.listener_errors.append(repr(exc))

    def __getattr__(self, name: str) -> Any:  # poll() etc. of the real adapter
        return getattr(self._inner, name)


class KeyButton:
    """The firmware button adapter: (pressed, t_ms) events queued by the keyboard/Enter."""

    def __init__(self) -> None:
        self.queue: list[tuple[bool, int]] = []

    def push(self, pressed: bool, t_ms: int) -> None:
        self.queue.append((pressed, t_ms))

    def poll(self) -> tuple[bool, int] | None:
        return self.queue.pop(0) if self.queue else None


# --------------------------------------------------------------------------- the device


def open_sim_device(directory: Path, clock: ScaledClock) -> Any:
    """B's SimDevice (firmware App + nvm file etc.) in `directory`, on `clock`."""
    from unknot.sim.device import SimDevice  # type: ignore[import-not-found,unused-ignore]

    return SimDevice(directory, clock=clock)


def _routine_labels(app: Any, routine: Any) -> list[str]:
    """Step labels of the routine file on the device (the firmware keeps only the name)."""
    from unknot.routine.decode import decode

    try:
        data = app.storage.read(routine.file) if routine.file else b""
        return [op.label for op in decode(bytes(data)).ops] if data else []
    except Exception:
        return []


class Engine:
    """Runs a SimDevice's firmware App on its ScaledClock inside asyncio."""

    def __init__(self, device: Any, clock: ScaledClock) -> None:
        from unknot import core

        self.device = device
        self.app = device.app
        self.clock = clock
        self.fw_player = core.player
        self.patterns = core.patterns
        self.motor = MotorTap(self.app.motor, clock, self.patterns)
        self.app.motor = self.motor
        self.button = KeyButton()
        self._orig_button = self.app.button
        self.app.button = _Buttons(self.button, self._orig_button)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._step_starts: dict[int, list[int]] = {}
        self._labels: dict[int, list[str]] = {}
        self.sessions_recorded = 0
        self.records: list[int] = []  # journal seqs written while running

    # -- the loop

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.app.motor = self.motor._inner
        self.app.button = self._orig_button

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            before = self.app.last_record
            deadline = self.app.safe_step()
            if self.app.last_record != before and self.app.last_record is not None:
                self.records.append(int(self.app.last_record))
            wait = self.clock.real_s(deadline - self.clock.now_ms())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(wait, MAX_WAIT_S))

    # -- the button

    def gesture(self, kind: str) -> None:
        """Press the button like a finger would: "press", "double" or "long"."""
        t = self.clock.now_ms()
        b = self.button
        if kind == "press":
            b.push(True, t)
            b.push(False, t + PRESS_MS)
        elif kind == "double":
            b.push(True, t)
            b.push(False, t + PRESS_MS)
            b.push(True, t + 2 * PRESS_MS)
            b.push(False, t + 3 * PRESS_MS)
        elif kind == "long":
            b.push(True, t)
            b.push(False, t + LONG_HOLD_MS)
        else:
            raise ValueError(kind)
        self.wake()

    # -- what to show

    def step_starts(self, routine: Any) -> list[int]:
        key = id(routine)
        if key not in self._step_starts:
            starts: list[int] = []
            ticks = bool(self.app.settings["UNKNOT_TICKS"])
            for t, _cue, _arg, index in self.fw_player.expand(routine, ticks):
                while len(starts) <= index:
                    starts.append(t)
            self._step_starts[key] = starts
        return self._step_starts[key]

    def labels(self, routine: Any) -> list[str]:
        key = id(routine)
        if key not in self._labels:
            self._labels[key] = _routine_labels(self.app, routine)
        return self._labels[key]

    def status(self) -> Status:
        app = self.app
        now = self.clock.now_ms()
        last = self.motor.felt[-1] if self.motor.felt else None
        st = Status(
            now_ms=now,
            level=last.level(now) if last else 0,
            last=last,
            journal=len(app.journal),
            head=int(app.journal.head),
            device_id=bytes(app.device_id).hex(),
            clock_set=app.clock.unix() is not None,
        )
        player = app.player
        if player is not None:
            r = player.routine
            st.state = "paused" if player.paused_at is not None else "playing"
            st.routine = r.name or r.slug or f"#{r.id:04x}"
            idx = int(player.step_index)
            st.step = (idx, len(r.steps))
            labels = self.labels(r)
            from unknot.routine.model import KIND_NAMES

            kind = KIND_NAMES.get(r.steps[idx][0], "?") if idx < len(r.steps) else ""
            label = labels[idx] if idx < len(labels) else ""
            st.step_label = f"{kind}: {label}" if label else kind
            starts = self.step_starts(r)
            if idx + 1 < len(starts) and player.paused_at is None:
                st.step_left_ms = player.base + starts[idx + 1] - now
            nd = player.next_deadline()
            if nd is not None:
                st.next_cue_ms = nd - now
        else:
            rem = app.reminders
            if rem.pending is not None:
                st.state = f"nudge: {rem.pending} break (press = start, double = snooze)"
            else:
                st.state = "idle"
                due = [d for d in (rem.micro_due, rem.rest_due) if d is not None]
                if due:
                    st.reminder_ms = min(due) - now
            sel = app.routines[app.selected] if app.routines else None
            if sel is not None:
                st.routine = f"selected: {sel.name or sel.slug}"
        return st


class _Buttons:
    """Key events first, then the device's own button adapter (if it has any events)."""

    def __init__(self, keys: KeyButton, inner: Any) -> None:
        self.keys = keys
        self.inner = inner

    def poll(self) -> tuple[bool, int] | None:
        ev = self.keys.poll()
        if ev is None and self.inner is not None:
            ev = self.inner.poll()
        return ev

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Status:
    now_ms: int
    level: int
    last: Felt | None
    journal: int
    head: int
    device_id: str
    clock_set: bool
    state: str = "idle"
    routine: str = ""
    step: tuple[int, int] | None = None
    step_label: str = ""
    step_left_ms: int | None = None
    next_cue_ms: int | None = None
    reminder_ms: int | None = None


# --------------------------------------------------------------------------- rendering


def _secs(ms: int | None) -> str:
    if ms is None:
        return "-"
    tenths = round(max(0, ms) / 100)
    return f"{tenths // 600}:{tenths % 600 / 10:04.1f}"


def motor_bar(level: int, width: int = 24) -> str:
    n = round(width * level / 255)
    return "█" * n + "░" * (width - n)


def shape(envelope: tuple[tuple[int, int], ...], per_ms: int = 40) -> str:
    """The envelope as a small sparkline, one character per `per_ms`."""
    blocks = " ▁▂▃▄▅▆▇█"
    out = []
    for lvl, ms in envelope:
        out.append(blocks[round(8 * lvl / 255)] * max(1, round(ms / per_ms)))
    return "".join(out)


def felt_line(f: Felt, t0_ms: int = 0, label: str = "") -> str:
    """One printable line per motor command: device time, cue, the envelope's shape, step."""
    count = f" x{f.count}" if f.count > 1 else ""
    text = f"{_secs(f.t_ms - t0_ms):>7}  {f.cue + count:<11} {shape(f.envelope)[:28]:<28}"
    if label:
        text += f"  {label}"
    return text.rstrip()


def render(st: Status, title: str, footer: str = "",
           extra: tuple[tuple[str, str], ...] = ()) -> Any:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    cue = st.last.cue if st.last and st.level else (f"({st.last.cue})" if st.last else "")
    grid.add_row("Motor", Text(motor_bar(st.level), style="magenta") + Text(f" {cue}"))
    grid.add_row("State", st.state)
    if st.routine:
        grid.add_row("Routine", st.routine)
    if st.step is not None:
        idx, total = st.step
        grid.add_row("Step", f"{idx}/{total - 1}  {st.step_label}")
        grid.add_row("Countdown", f"step ends in {_secs(st.step_left_ms)} · "
                                  f"next cue in {_secs(st.next_cue_ms)}")
    if st.reminder_ms is not None:
        grid.add_row("Next break", f"in {_secs(st.reminder_ms)} (device time)")
    grid.add_row("Journal", f"{st.journal} record(s), next seq {st.head}")
    grid.add_row("Uptime", f"{_secs(st.now_ms)} device time"
                           + ("" if st.clock_set else " (wall clock not set)"))
    for key, value in extra:
        grid.add_row(key, value)
    if footer:
        grid.add_row("", Text(footer, style="dim"))
    return Panel(grid, title=title, expand=False)


# --------------------------------------------------------------------------- keyboard


@contextlib.contextmanager
def cbreak_keys(on_key: Callable[[str], None]) -> Iterator[bool]:
    """Read single keys from stdin in cbreak mode, non-blocking, in the running asyncio loop.
    Yields False (and does nothing) when stdin is not a terminal."""
    fd = sys.stdin.fileno() if sys.stdin is not None else -1
    if fd < 0 or not os.isatty(fd):
        yield False
        return
    import termios
    import tty

    old = termios.tcgetattr(fd)
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        for ch in data.decode(errors="ignore"):
            on_key(ch)

    tty.setcbreak(fd)
    loop.add_reader(fd, readable)
    try:
        yield True
    finally:
        loop.remove_reader(fd)
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


# --------------------------------------------------------------------------- serving


class SimServer:
    """The running simulated device: Engine + BLE peripheral + HCI-over-TCP server."""

    def __init__(self, directory: Path, name: str, speed: float) -> None:
        self.directory = directory
        self.name = name
        self.speed = speed

    async def start(self, port: int = 0) -> SimServer:
        from unknot.ble.link import HOST_ADDRESS, create_link
        from unknot.sim import interproc
        from unknot.sim.peripheral import SimPeripheral

        if interproc.running_link(self.directory) is not None:
            from unknot.errors import DeviceError

            raise DeviceError(f"the simulated device {self.directory.name!r} is already "
                              "running in another terminal")
        self.clock = ScaledClock(self.speed)
        self.device = open_sim_device(self.directory, self.clock)
        self.engine = Engine(self.device, self.clock)
        self.link = create_link()
        self.peripheral = SimPeripheral(
            self.device.app, self.link, name=self.name,
            keys_path=self.directory / "device_bonds.json",
        )
        await self.peripheral.start()
        self.hci = interproc.HciServer(self.link, HOST_ADDRESS)
        self.port = await self.hci.start(port=port)
        interproc.write_link(self.directory, self.port)
        self.engine.start()
        return self

    def ble_rows(self) -> tuple[tuple[str, str], ...]:
        state = "connected" if self.peripheral.connection is not None else "advertising"
        return (("BLE", f"{state} · {self.hci.connected} host(s) on TCP, "
                        f"{self.hci.clients} so far · {self.peripheral.handled} requests"),)

    async def stop(self) -> None:
        from unknot.sim import interproc

        interproc.remove_link(self.directory)
        await self.hci.stop()
        await self.engine.stop()
        await self.peripheral.stop()
        save = getattr(self.device, "save", None)
        if save is not None:
            save()


async def serve(directory: Path, name: str, speed: float, headless: bool, port: int) -> None:
    import signal

    server = await SimServer(directory, name, speed).start(port)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, done.set)
    engine = server.engine
    try:
        if headless:
            ident = bytes(server.device.app.device_id).hex()
            print(f"serving {name} (device {ident}) on 127.0.0.1:{server.port} "
                  f"speed x{speed:g}; state in {directory}", flush=True)

            def log(f: Felt) -> None:
                print(felt_line(f), flush=True)

            engine.motor.listeners.append(log)
            with cbreak_keys(lambda k: _key(k, engine, done)):
                await done.wait()
            return
        from rich.console import Console
        from rich.live import Live

        console = Console()
        title = (f"{name} (simulated) · x{speed:g} · 127.0.0.1:{server.port}")
        footer = (KEYS_HELP + "\nother terminals: unknot sync --sim / flash --sim / "
                  "device info --sim")
        with cbreak_keys(lambda k: _key(k, engine, done)), \
                Live(render(engine.status(), title, footer), console=console,
                     refresh_per_second=15, transient=False) as live:
            engine.motor.listeners.append(
                lambda f: live.console.print(felt_line(f), highlight=False, markup=False))
            while not done.is_set():
                live.update(render(engine.status(), title, footer, server.ble_rows()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 1 / 15)
    finally:
        await server.stop()


def _key(ch: str, engine: Engine, done: asyncio.Event) -> None:
    if ch in ("p", " ", "\n", "\r"):
        engine.gesture("press")
    elif ch == "d":
        engine.gesture("double")
    elif ch == "l":
        engine.gesture("long")
    elif ch in ("q", "\x04"):
        done.set()


@click.command()
@click.option("--name", default="default", show_default=True,
              help="Which simulated device (its state lives in <home>/sim/NAME).")
@click.option("--speed", type=click.FloatRange(min=0.1, max=10000), default=1.0,
              show_default=True, help="Device clock speed (x real time).")
@click.option("--headless", is_flag=True,
              help="No display: serve the device, print the port and each motor cue.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="TCP port for other processes (default: any free port).")
def sim(name: str, speed: float, headless: bool, port: int) -> None:
    """Run the simulated device (the real firmware) interactively in this terminal.

    Keys: p or space = press, d = double press, l = long press, q = quit. While it runs,
    `unknot sync --sim`, `unknot flash --sim` and `unknot device info --sim` in another
    terminal talk to it over the simulated BLE link. Its state persists between runs.
    """
    from unknot.errors import UnknotError
    from unknot.sim import interproc

    try:
        directory = interproc.sim_dir(name)
    except ValueError as exc:
        raise UnknotError(str(exc)) from None
    ble_name = SIM_NAME_PREFIX + ("SIM" if name == "default" else name.upper())
    asyncio.run(serve(directory, ble_name, speed, headless, port))
