"""`unknot demo`: the whole product on a simulated device, no board needed.

Every line shown comes from the real code paths: the firmware (loaded from the files
`unknot device install` copies) runs in a SimDevice on an accelerated clock; the routine
library is compiled and uploaded over the simulated BLE link (bleak -> bumble -> the
firmware's protocol handler); the reminder and the routine's cues are the firmware's motor
calls; the session record comes from the firmware journal, is synced over BLE with the same
code as `unknot sync` into your history database, and shown with `unknot history`/`stats`.

The demo device has its own state (<home>/sim/demo), so a `unknot sim` device is untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from unknot.cli.sim import Engine, Felt, ScaledClock, felt_line, open_sim_device, render
from unknot.errors import DeviceError

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


class _EnterButton:
    """Enter on stdin = one button press (line mode, non-blocking in the loop)."""

    def __init__(self, engine: Engine, screen: _Screen) -> None:
        self.engine = engine
        self.screen = screen
        self.closed = False
        self.presses = 0
        self._fd = -1

    def start(self) -> None:
        try:
            self._fd = sys.stdin.fileno()
            asyncio.get_running_loop().add_reader(self._fd, self._readable)
        except (AttributeError, OSError, ValueError, NotImplementedError):
            self._fd = -1
            self.closed = True

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, 1024)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            asyncio.get_running_loop().remove_reader(self._fd)
            return
        for _ in range(data.count(b"\n")):
            self.presses += 1
            self.engine.gesture("press")

    def stop(self) -> None:
        if self._fd >= 0 and not self.closed:
            asyncio.get_running_loop().remove_reader(self._fd)


async def run_demo(console: Any, *, speed: float, auto: bool, live: bool) -> DemoResult:
    from unknot import core, paths
    from unknot.ble import open_device
    from unknot.ble.radio import SimRadio
    from unknot.ble.sync import sync as ble_sync
    from unknot.history import HistoryStore
    from unknot.routine.selection import compile_selection
    from unknot.sim import interproc

    t_start = time.monotonic()
    directory = interproc.sim_dir(DEMO_NAME)
    if interproc.running_link(directory) is not None:
        raise DeviceError("the demo device is already running in another terminal")
    clock = ScaledClock(speed)
    device = open_sim_device(directory, clock)
    app = device.app
    engine = Engine(device, clock)
    fw_version = core.FIRMWARE_VERSION
    title = f"{BLE_NAME} · simulated board · firmware {fw_version} · clock x{speed:g}"
    screen = _Screen(console, engine, title, live)
    say = screen.print

    say(f"[bold]Unknot demo[/bold]: a simulated board running the firmware from "
        f"{paths.firmware_dir()}")
    say(f"Device {BLE_NAME} (state in {directory}): boot #{app.boot}, "
        f"{len(app.journal)} session(s) in its journal; device clock x{speed:g}.")
    engine.start()
    radio = await SimRadio(app, keys_dir=directory, name=BLE_NAME).start()
    result: DemoResult | None = None
    try:
        # 1. flash the routine library over the simulated BLE link
        files = compile_selection(())
        t0 = time.monotonic()
        async with open_device(radio=radio, name=BLE_NAME) as session:
            await session.upload_routines(files)
            await session.set_settings(DEMO_SETTINGS)
            info = await session.read_info()
        say(f"\n[bold]1. Flash[/bold] over BLE: {len(files)} routines, "
            f"{sum(map(len, files.values()))} bytes in {time.monotonic() - t0:.2f} s; the device "
            f"now holds {info.routine_count} routines (device id {info.device_id}, "
            f"protocol v{info.protocol}).")
        say("   Settings written over BLE: "
            + ", ".join(f"{k}={v}" for k, v in DEMO_SETTINGS.items()))
        await _until(engine, lambda: len(app.routines) == info.routine_count and
                     any(r.slug == DEMO_ROUTINE for r in app.routines), "load the routines")

        # 2. the break reminder
        say("\n[bold]2. Break reminder[/bold]: working... (one minute of device time)")
        t0_ms = clock.now_ms()
        nudge: list[Felt] = []
        cues: list[Felt] = []
        session_t0: list[int] = []

        def on_felt(f: Felt) -> None:
            label = ""
            if app.player is not None:
                st = engine.status()
                label = st.step_label
                cues.append(f)
                if not session_t0:
                    session_t0.append(f.t_ms)
                    r = app.player.routine
                    say(f"\n[bold]3. Routine[/bold] {r.name or r.slug!r} "
                        f"({r.work_steps()} steps), felt as:")
            elif f.cue.startswith("nudge"):
                nudge.append(f)
            base = session_t0[0] if session_t0 and app.player is not None else t0_ms
            say("   " + felt_line(f, base, label), markup=False)

        engine.motor.listeners.append(on_felt)
        records_before = len(engine.records)
        with screen:
            await _until(engine, lambda: bool(nudge), "remind")
            say(f"   The wearer feels the nudge after {(nudge[0].t_ms - t0_ms) / 1000:.0f} s of "
                "device time.")
            enter = _EnterButton(engine, screen)
            if not auto:
                enter.start()  # from now on Enter is the device's button
                screen.footer = "press Enter = button"
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
        rec = core.journal.unpack_record(app.journal.read(seq))
        flags = rec[6] if rec else 0
        outcome = ("completed" if flags & core.journal.COMPLETED
                   else "aborted" if flags & core.journal.ABORTED else "?")
        say(f"   Journal record #{seq}: {rec[3] if rec else '?'}/{total} steps, "
            f"{rec[5] if rec else '?'} s active, {outcome}.")

        # 4. sync into the history (the code of `unknot sync`)
        t0 = time.monotonic()
        with HistoryStore.open() as store:
            async with open_device(radio=radio, name=BLE_NAME) as session:
                summary = await ble_sync(session, store)
        say(f"\n[bold]4. Sync[/bold] over BLE: {summary.new} new, {summary.known} known, "
            f"{summary.lost} lost ({time.monotonic() - t0:.2f} s), into the history in "
            f"{paths.home()}")
        result = DemoResult(device_id=summary.device.device_id, routine_slug=slug, routine_id=rid,
                            steps_total=total, cues=[f.cue for f in cues], seq=seq,
                            new=summary.new)
    finally:
        await radio.stop()
        await engine.stop()
        save = getattr(device, "save", None)
        if save is not None:
            save()
    assert result is not None
    result.wall_s = time.monotonic() - t_start
    return result


@click.command()
@click.option("--auto", is_flag=True, help="Press the button automatically (non-interactive).")
@click.option("--speed", type=click.FloatRange(min=1, max=10000), default=10.0,
              show_default=True, help="Device clock speed (x real time).")
def demo(auto: bool, speed: float) -> None:
    """Show the whole product on a simulated board running the real firmware.

    Flashes the routine library over simulated BLE, lets a break reminder fire, plays the
    break routine cue by cue (as the motor would make you feel it), records the session,
    syncs it into your history and shows your history and stats. Press Enter as the
    button, or use --auto.
    """
    from rich.console import Console

    from unknot.history import HistoryStore
    from unknot.history.report import SESSIONS_LEGEND, sessions_table, stats_report

    console = Console()
    live = console.is_terminal and sys.stdout.isatty()
    result = asyncio.run(run_demo(console, speed=speed, auto=auto, live=live))
    console.print("\n[bold]5. Your history[/bold] (unknot history --device "
                  f"{result.device_id}):", highlight=False)
    sys.stdout.flush()
    with HistoryStore.open() as store:
        sessions = store.sessions(device_id=result.device_id)
        week = store.stats(days=7)
    console.print(sessions_table(sessions))
    if sessions:
        click.echo(SESSIONS_LEGEND)
    console.print("\n[bold]6. Stats[/bold] (unknot stats --days 7):", highlight=False)
    sys.stdout.flush()
    for part in stats_report(week):
        console.print(part)
    console.print(f"\nDemo done in {result.wall_s:.1f} s. Next: `unknot sim` for an interactive "
                  "simulated device, or `unknot device install` with a board.", highlight=False)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
