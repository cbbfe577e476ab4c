"""`unknot device selftest`: run the firmware's board bring-up self-test and read its report
(docs/firmware.md "Self-test", docs/getting-started.md "First board").

Three ways, one self-test (firmware/lib/unknot/selftest.py):
- `run_serial(port)`: through the board's REPL (mpremote), `unknot.hw.checks.run_selftest`;
  the console lines stream to `out` as the board prints them;
- `run_ble(address)`: the SELFTEST control op (docs/protocol.md), then the report is read;
- `run_sim(directory)`: the simulated device runs it on its virtual clock; a simulated bench
  hand presses the button when asked (`unknot.sim.simadapters.drive_selftest`), the
  simulated radio (bumble) advertises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unknot.core import proto, selftest, wire
from unknot.errors import DeviceError, UnknotError
from unknot.sim import simadapters
from unknot.sim.simadapters import SimChecks, drive_selftest

if TYPE_CHECKING:
    from unknot.ble import RadioSource

Out = Callable[[str], None]

SERIAL_TIMEOUT_S = 60  # longest silence on the console (the self-test waits 15 s at most)
BLE_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # PASS | FAIL | SKIP
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    complete: bool = False  # the "end" line was seen
    version: int = 1  # the report format (selftest.REPORT_VERSION; 1 had no version line)
    heap: dict[str, int] = field(default_factory=dict)  # mark -> free bytes (heap line)
    heap_note: str = ""  # why there are no heap figures (the heap line's SKIP detail)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "FAIL"]

    def lines(self) -> list[str]:
        width = max((len(c.name) for c in self.checks), default=0)
        out = [f"{c.name:<{width}}  {c.status}  {c.detail}" for c in self.checks]
        if self.version > selftest.REPORT_VERSION:
            out.append(f"(report format {self.version} is newer than this unknot reads, "
                       f"{selftest.REPORT_VERSION}: update unknot)")
        return out + self.heap_lines()

    def heap_lines(self) -> list[str]:
        """The free heap after each import group at boot and now (docs/getting-started.md
        "First board"), and the live heap after boot, the board model's `live` figure."""
        if not self.heap:
            return [f"heap: {self.heap_note}"] if self.heap_note else []
        out = ["free heap (bytes, after a collection):"]
        last = None
        for name, free in self.heap.items():
            step = "" if last is None else f"  ({free - last:+d})"
            out.append(f"  {name:<6} {free:>7}{step}")
            last = free
        marks = selftest.MARKS.split()
        first, last_mark = marks[0], marks[-1]
        if first in self.heap and last_mark in self.heap:
            live = (self.heap[first] - self.heap[last_mark]) / 1024
            out.append(f"  live after boot ({first} - {last_mark}): {live:.1f} KiB")
        return out


class SelftestFailed(UnknotError):
    """The self-test ran and at least one check failed (the report says which)."""


def parse(lines: list[str]) -> Report:
    """The report from console lines (docs/protocol.md "Self-test report": `SELFTEST report
    <version>`, `SELFTEST <check> <status> <detail>`, `SELFTEST heap INFO <mark>=<bytes>...`,
    `SELFTEST end ...`; other lines ignored)."""
    prefix = selftest.PREFIX
    report = Report()
    for line in lines:
        line = line.strip()
        if not line.startswith(prefix):
            continue
        name, _, rest = line[len(prefix):].partition(" ")
        status, _, detail = rest.partition(" ")
        if name == "end":
            report.complete = True
        elif name == "report" and status.isdigit():
            report.version = int(status)
        elif name == selftest.HEAP and status in (selftest.INFO, selftest.SKIP):
            report.heap, report.heap_note = _heap(detail) if status == selftest.INFO else (
                {}, detail)
        else:
            report.checks.append(Check(name, status, detail))
    return report


def _heap(detail: str) -> tuple[dict[str, int], str]:
    figures = {}
    for item in detail.split():
        name, _, value = item.partition("=")
        if not value.isdigit():
            return {}, f"unreadable heap figures: {detail[:80]}"
        figures[name] = int(value)
    return figures, ""


def verdict(report: Report) -> None:
    """Raise when the report is incomplete or a check failed."""
    if not report.complete:
        raise DeviceError("the self-test did not finish (no end line in its report)")
    if report.failed:
        names = ", ".join(c.name for c in report.failed)
        raise SelftestFailed(f"self-test failed: {names}")


# -- the simulated device ---------------------------------------------------------------


class SimRadioChecks(SimChecks):
    """SimChecks with the simulated radio's advertising as the BLE check."""

    def __init__(self, radio: Any) -> None:
        super().__init__()
        self.radio = radio

    def ble(self) -> tuple[str, str]:
        peripheral = self.radio.peripheral
        if peripheral.connection is not None:
            return "PASS", "a central is connected (simulated radio, bumble)"
        if peripheral.device.is_advertising:
            return "PASS", f"advertising as {self.radio.name} (simulated radio, bumble)"
        return "FAIL", "the simulated peripheral is not advertising"


def run_sim(directory: Path, out: Out, with_radio: bool = True) -> Report:
    """The self-test on the simulated device in `directory` (virtual time: seconds)."""
    from unknot.sim.device import SimDevice

    lines: list[str] = []

    def collect(line: str) -> None:
        lines.append(line)
        out(line)

    async def main() -> None:
        dev = SimDevice(directory)
        radio = None
        if with_radio:
            from unknot.sim.radio import SimRadio

            radio = await SimRadio(dev.app, keys_dir=None).start()
        try:
            checks = SimChecks() if radio is None else SimRadioChecks(radio)
            dev.app.checks = checks
            dev.advance(10)
            if not dev.app.start_selftest(dev.clock.now_ms(), collect):
                raise DeviceError("the simulated device is busy (a routine is playing)")
            drive_selftest(dev.app, checks, simadapters.PRESS_AFTER_MS)
        finally:
            if radio is not None:
                await radio.stop()

    asyncio.run(main())
    return parse(lines)


# -- serial (the board's REPL) --------------------------------------------------------------

_SERIAL_CODE = "import os\nfrom unknot.hw.checks import run_selftest\nrun_selftest(os.getenv)\n"


def run_serial(port: str, out: Out, baudrate: int = 115200) -> Report:
    """Interrupt the firmware, run the self-test through the raw REPL, stream the console,
    then soft-reboot so the firmware starts again."""
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    try:
        t = SerialTransport(port, baudrate=baudrate)
    except TransportError as exc:
        raise DeviceError(f"cannot open {port}: {exc}. Is the board plugged in, and is no "
                          "other program (a serial monitor) using it?") from None
    lines: list[str] = []
    buf = bytearray()

    def consume(b: bytes) -> None:
        for ch in b:
            if ch == 0x0A:
                line = buf.decode("utf-8", "replace").rstrip("\r")
                buf.clear()
                lines.append(line)
                out(line)
            elif ch != 0x04:
                buf.append(ch)

    try:
        t.enter_raw_repl(soft_reset=False)
        t.exec_raw_no_follow(_SERIAL_CODE)
        _data, err = t.follow(SERIAL_TIMEOUT_S, consume)
        if err.strip():
            last = err.decode("utf-8", "replace").strip().splitlines()[-1]
            raise DeviceError(f"the self-test failed to run on the board: {last} (is the "
                              "firmware installed? `unknot device install`)")
    except TransportError as exc:
        raise DeviceError(f"lost the board on {port} during the self-test: {exc}") from None
    finally:
        try:
            t.exit_raw_repl()
            t.serial.write(b"\x04")  # soft reboot: the firmware starts again
        except OSError:
            pass
        t.close()
    return parse(lines)


# -- BLE (the SELFTEST control op) ------------------------------------------------------------


async def selftest_over(session: Any, out: Out, poll_s: float = 1.0,
                        timeout_s: float = BLE_TIMEOUT_S,
                        wait: Callable[[float], Any] | None = None) -> Report:
    """Start the self-test over an open unknot.ble Session and read the report."""
    p, t = proto, selftest
    sleep = wait or asyncio.sleep
    status, _ = await session.request(wire.pack(t.REQ_SELFTEST, p.OP_SELFTEST,
                                                t.SELFTEST_START), ok=(p.ST_OK, p.ST_BUSY))
    if status == p.ST_BUSY:
        raise DeviceError("the device is busy (a routine or a self-test is running); "
                          "try again when it is idle")
    out("selftest: started on the device; it plays every cue, then asks for a button press "
        "and a wake from light sleep")
    head = wire.size(t.RESP_SELFTEST)
    waited = 0.0
    text = b""
    while True:
        _st, payload = await session.request(
            wire.pack(t.REQ_SELFTEST_REPORT, p.OP_SELFTEST, t.SELFTEST_REPORT, len(text)))
        state, total = wire.unpack(t.RESP_SELFTEST, payload)
        if state == t.SELFTEST_DONE:
            text += bytes(payload[head:])
            if len(text) >= total:
                break
            continue
        if state == t.SELFTEST_NONE:
            raise DeviceError("the device has no self-test running (did it restart?)")
        if waited >= timeout_s:
            raise DeviceError(f"the self-test did not finish within {timeout_s:.0f} s")
        await sleep(poll_s)
        waited += poll_s
    lines = text.decode("utf-8", "replace").split("\n")
    for line in lines:
        out(line)
    return parse(lines)


def run_ble(address: str | None, out: Out, *, radio: RadioSource | None = None) -> Report:
    """Over BLE (`radio`: unknot.radio.pick; the running `unknot sim`'s wearer presses its
    keys)."""
    from unknot.ble import open_device

    async def main() -> Report:
        async with open_device(address=address, radio=radio) as session:
            return await selftest_over(session, out)

    return asyncio.run(main())
