"""The demo runner behind `unknot demo`: the whole product on a simulated device.

Every line shown comes from the real code paths: the firmware (loaded from the files
`unknot device install` copies) runs in a SimDevice on an accelerated clock; the routine
library is compiled and uploaded over the simulated BLE link (bleak -> bumble -> the
firmware's protocol handler); the reminder and the routine's cues are the firmware's motor
calls; the session record comes from the firmware journal, is synced over BLE with the same
code as `unknot sync` into your history database.

The demo device has its own state (<home>/sim/demo), so a `unknot sim` device is untouched.
This module uses both sides, the simulated device (`unknot.sim`) and the host's BLE client
(`unknot.ble`); neither of them imports it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from unknot import core, paths
from unknot.errors import DeviceError
from unknot.routine.count import Count
from unknot.sim import interproc
from unknot.sim.device import SimDevice
from unknot.sim.engine import Engine, Felt
from unknot.sim.panel import felt_line, render
from unknot.sim.scaledclock import ScaledClock
from unknot.sim.terminal import EnterPresses
from unknot.text import plural

DEMO_NAME = "demo"  # <home>/sim/demo
BLE_NAME = "Unknot-DEMO"
DEMO_ROUTINE = "micro-break"
# Device settings the demo writes over BLE (they persist on the demo device only).
DEMO_SETTINGS: dict[str, int | bool | str] = {
    "UNKNOT_MICRO_MIN": 1,  # a micro-break reminder after one minute of device time
    "UNKNOT_MICRO_ROUTINE": DEMO_ROUTINE,
    "UNKNOT_ACTIVE_START": 0,  # remind at any hour (the device clock runs fast)
    "UNKNOT_ACTIVE_END": 24,
}
AUTO_PRESS_S = 0.6  # --auto: real seconds between the nudge and the button press
TIMEOUT_DEVICE_S = 900  # give up if nothing happens for this much device time


@dataclass
class DemoResult:
    device_id: str
    routine_slug: str
    routine_id: int
    steps_total: int
    cues: list[str] = field(default_factory=list)  # motor cues of the played routine
    seq: int = 0
    new: int = 0
    wall_s: float = 0.0


class _Screen:
    """The live panel (on a terminal) or plain lines (pipes, CI, the SVG capture)."""

    def __init__(self, console: Any, engine: Engine, title: str, live: bool) -> None:
        self.console = console
        self.engine = engine
        self.title = title
        self.footer = ""
        self._live: Any = None
        self._task: asyncio.Task[None] | None = None
        if live:
            from rich.live import Live

            self._live = Live(self._panel(), console=console, refresh_per_second=15,
                              transient=True)

    def _panel(self) -> Any:
        return render(self.engine.status(), self.title, self.footer)

    def print(self, *args: Any, **kw: Any) -> None:
        self.console.print(*args, highlight=False, **kw)

    async def _refresh(self) -> None:
        while True:
            assert self._live is not None
            self._live.update(self._panel())
            await asyncio.sleep(1 / 15)

    def __enter__(self) -> _Screen:
        if self._live is not None:
            self._live.start()
            self._task = asyncio.get_running_loop().create_task(self._refresh())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._live is not None:
            self._live.stop()


async def _until(engine: Engine, done: Callable[[], bool], what: str) -> None:
    limit = engine.clock.now_ms() + TIMEOUT_DEVICE_S * 1000
    while not done():
        if engine.clock.now_ms() > limit:
            raise DeviceError(f"the simulated device did not {what} in time")
        await asyncio.sleep(0.02)


class _Demo:
    """One run of the demo: the device, its engine and radio, the screen; a method per act."""

    def __init__(self, console: Any, speed: float, live: bool) -> None:
        self.directory = interproc.sim_dir(DEMO_NAME)
        if interproc.running_link(self.directory) is not None:
            raise DeviceError("the demo device is already running in another terminal")
        self.speed = speed
        self.device = SimDevice(self.directory, clock=ScaledClock(speed))
        self.app: Any = self.device.app
        self.engine = Engine(self.device)
        self.clock = self.engine.clock
        title = (f"{BLE_NAME} · simulated board · firmware {core.FIRMWARE_VERSION} "
                 f"· clock x{speed:g}")
        self.screen = _Screen(console, self.engine, title, live)
        self.say = self.screen.print
        self.radio: Any = None

    async def start(self) -> None:
        from unknot.sim.radio import SimRadio

        self.say(f"[bold]Unknot demo[/bold]: a simulated board running the firmware from "
                 f"{paths.firmware_dir()}")
        self.say(f"Device {BLE_NAME} (state in {self.directory}): boot #{self.app.boot}, "
                 f"{plural(len(self.app.journal), 'session')} in its journal; device clock "
                 f"x{self.speed:g}.")
        self.engine.start()
        self.radio = await SimRadio(self.app, keys_dir=self.directory, name=BLE_NAME).start()

    async def stop(self) -> None:
        if self.radio is not None:
            await self.radio.stop()
        await self.engine.stop()

    async def pair(self) -> None:
        """0. Pairing: the wearer's 1 s hold opens the window; the device taps three numbers;
        a stand-in wearer (unknot.sim.radio.SimWearer) feels them from the simulated motor,
        checks them against this computer's and presses (docs/demo.md)."""
        from unknot.ble import open_device
        from unknot.ble.pair import pair
        from unknot.sim.radio import SimWearer

        async def advance(ms: int) -> None:
            await asyncio.sleep(ms / 1000 / self.speed)

        wearer = SimWearer(self.device.motor, self.device.button, advance)
        self.engine.open_pairing()
        async with open_device(radio=self.radio, name=BLE_NAME, authenticate=False) as s:
            await pair(s, wearer)
        self.say("\n[bold]0. Pair[/bold]: the wearer held the button 1 s (pairing window "
                 "open); the device tapped " + " ".join(map(str, wearer.felt)) + ", the same "
                 "numbers this computer derived from the key exchange; the wearer pressed to "
                 "confirm (docs/security.md).")

    async def flash(self) -> None:
        """1. Flash the routine library and the demo settings over the simulated BLE link."""
        from unknot.ble import open_device
        from unknot.routine.selection import compile_selection

        files = compile_selection(())
        t0 = time.monotonic()
        if not self.app.keyring.hosts:
            await self.pair()
        async with open_device(radio=self.radio, name=BLE_NAME) as session:
            await session.upload_routines(files)
            await session.set_settings(DEMO_SETTINGS)
            info = await session.read_info()
        self.say(f"\n[bold]1. Flash[/bold] over BLE: {len(files)} routines, "
                 f"{sum(map(len, files.values()))} bytes in {time.monotonic() - t0:.2f} s; the "
                 f"device now holds {info.routine_count} routines (device id {info.device_id}, "
                 f"protocol v{info.protocol}).")
        self.say("   Settings written over BLE: "
                 + ", ".join(f"{k}={v}" for k, v in DEMO_SETTINGS.items()))
        app = self.app
        await _until(self.engine, lambda: len(app.routines) == info.routine_count and
                     any(r.slug == DEMO_ROUTINE for r in app.routines), "load the routines")

    async def remind_and_play(self, auto: bool) -> DemoResult:
        """2. The break reminder; 3. the routine, cue by cue, until its journal record."""
        app, engine, say = self.app, self.engine, self.say
        say("\n[bold]2. Break reminder[/bold]: working... (one minute of device time)")
        t0_ms = self.clock.now_ms()
        nudge: list[Felt] = []
        cues: list[Felt] = []
        session_t0: list[int] = []

        def on_felt(f: Felt) -> None:
            label = ""
            if app.player is not None:
                label = engine.status().step_label
                cues.append(f)
                if not session_t0:
                    session_t0.append(f.t_ms)
                    r = app.player.routine
                    say(f"\n[bold]3. Routine[/bold] {r.name or r.slug!r} "
                        f"({Count(*r.tally())}), felt as:")
            elif f.cue.startswith("nudge"):
                nudge.append(f)
            base = session_t0[0] if session_t0 and app.player is not None else t0_ms
            say("   " + felt_line(f, base, label), markup=False)

        engine.listeners.append(on_felt)
        records_before = len(engine.records)
        with self.screen:
            await _until(engine, lambda: bool(nudge), "remind")
            say(f"   The wearer feels the nudge after {(nudge[0].t_ms - t0_ms) / 1000:.0f} s "
                "of device time.")
            enter = EnterPresses(lambda: engine.gesture("press"))
            if not auto:
                enter.start()  # from now on Enter is the device's button
                self.screen.footer = "press Enter = button"
            if auto or enter.closed:
                say("   [dim](--auto: the demo presses the button)[/dim]" if auto else
                    "   [dim](stdin closed: the demo presses the button)[/dim]")
                await asyncio.sleep(AUTO_PRESS_S)
                engine.gesture("press")
            else:
                say("   [bold]press Enter = button[/bold] (starts the break routine)")
            await _until(engine, lambda: app.player is not None, "start the routine")
            r = app.player.routine
            slug, rid, total = str(r.slug), int(r.id), int(r.work_steps())
            await _until(engine, lambda: len(engine.records) > records_before,
                         "finish the routine")
            enter.stop()
        seq = engine.records[-1]
        journal = core.journal
        rec = journal.unpack_record(app.journal.read(seq))
        flags = rec[6] if rec else 0
        outcome = ("completed" if flags & journal.COMPLETED else
                   "aborted" if flags & journal.ABORTED else "?")
        say(f"   Journal record #{seq}: {rec[3] if rec else '?'}/{total} steps, "
            f"{rec[5] if rec else '?'} s active, {outcome}.")
        return DemoResult(device_id="", routine_slug=slug, routine_id=rid, steps_total=total,
                          cues=[f.cue for f in cues], seq=seq)

    async def sync(self, result: DemoResult) -> None:
        """4. Sync into the history (the code of `unknot sync`)."""
        from unknot.ble import open_device
        from unknot.ble.sync import sync as ble_sync
        from unknot.history import HistoryStore

        t0 = time.monotonic()
        with HistoryStore.open() as store:
            async with open_device(radio=self.radio, name=BLE_NAME) as session:
                summary = await ble_sync(session, store, clock_rate=self.speed)
        self.say(f"\n[bold]4. Sync[/bold] over BLE: {summary.new} new, {summary.known} known, "
                 f"{summary.lost} lost ({time.monotonic() - t0:.2f} s), into the history in "
                 f"{paths.home()}")
        result.device_id = summary.device.device_id
        result.new = summary.new


async def run_demo(console: Any, *, speed: float, auto: bool, live: bool) -> DemoResult:
    """Flash, remind, play, record and sync on the demo device, printing to `console` (a
    rich Console; `live`: with the live panel). Raises DeviceError if the device stalls."""
    t_start = time.monotonic()
    demo = _Demo(console, speed, live)
    try:
        await demo.start()
        await demo.flash()
        result = await demo.remind_and_play(auto)
        await demo.sync(result)
    finally:
        await demo.stop()
    result.wall_s = time.monotonic() - t_start
    return result
