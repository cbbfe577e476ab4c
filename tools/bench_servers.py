"""Reference transfers for the sync benchmark (tools/bench_sync.py): the same journal records
sent the ways other wearables do it, as real GATT servers on the simulated peripheral and
real bleak clients.

- `NusJsonServer` / `nus_json_fetch`: the Nordic UART service in the Gadgetbridge / Bangle.js
  style. The host writes one request line to RX (`GB({...})`, as Gadgetbridge does); the
  device answers with JSON lines on TX, the text stream cut into notifications of MTU-3 bytes.
- `FileTransferServer` / `ft_read`: Adafruit BLE file transfer (service 0xFEBB, version 4):
  the host sends READ (0x10, `<BxHII` + path: path length, offset, free space); the device
  answers READ_DATA (0x11, `<BBxxIII`: status, offset, total length, chunk length, then the
  chunk, cut to MTU-3 per notification); the host asks for each further chunk with
  READ_PACING (0x12, `<BBxxII`: status, offset, free space). Here the file is a CSV of the
  journal.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Callable
from typing import Any

from bleak import BleakClient
from bumble import gatt
from bumble.device import Connection, Device

Record = tuple[int, int, int, int, int, int, int, int]  # seq, start, rid, done, total, s, fl, boot
Records = Callable[[], list[Record]]

NUS_SERVICE = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
NUS_RX = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"  # host -> device: write
NUS_TX = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"  # device -> host: notify

FT_SERVICE = "0000febb-0000-1000-8000-00805f9b34fb"
FT_VERSION = "adaf0100-4669-6c65-5472-616e73666572"
FT_TRANSFER = "adaf0200-4669-6c65-5472-616e73666572"
FT_PROTOCOL_VERSION = 4
FT_READ = 0x10
FT_READ_DATA = 0x11
FT_READ_PACING = 0x12
FT_OK = 0x01
FT_NO_FILE = 0x03
FT_READ_REQ = "<BxHII"  # cmd, path length, chunk offset, free space; then the path
FT_READ_DATA_HDR = "<BBxxIII"  # cmd, status, chunk offset, total length, chunk length
FT_PACING = "<BBxxII"  # cmd, status, chunk offset, free space
FT_CHUNK = 490  # the free space the adafruit_ble_file_transfer client offers
CSV_PATH = "/history.csv"

_P = gatt.Characteristic.Properties
_RW = gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class _Notifier:
    """Send notifications from one task, in order (the callbacks only queue)."""

    def __init__(self) -> None:
        self.device: Device | None = None
        self._queue: asyncio.Queue[tuple[Connection, Any, bytes]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def attach(self, device: Device) -> None:
        self.device = device
        self._task = asyncio.get_running_loop().create_task(self._run())

    def send(self, conn: Connection, char: Any, data: bytes) -> None:
        for part in _chunks(data, conn.att_mtu - 3):
            self._queue.put_nowait((conn, char, part))

    async def _run(self) -> None:
        assert self.device is not None
        while True:
            conn, char, part = await self._queue.get()
            try:
                await self.device.notify_subscriber(conn, char, part)
            except Exception:
                continue

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


# -- Nordic UART, JSON lines ---------------------------------------------------------------


def json_line(r: Record) -> bytes:
    seq, start, rid, done, total, active, flags, boot = r
    obj = {"t": "sess", "seq": seq, "ts": start, "rid": rid, "done": done, "tot": total}
    obj.update({"act": active, "fl": flags, "boot": boot})
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


class NusJsonServer(_Notifier):
    def __init__(self, records: Records) -> None:
        super().__init__()
        self.records = records
        self._line = bytearray()
        self.tx: gatt.Characteristic[bytes] = gatt.Characteristic(NUS_TX, _P.NOTIFY, _RW, b"")
        self.rx: gatt.Characteristic[bytes] = gatt.Characteristic(
            NUS_RX,
            _P.WRITE | _P.WRITE_WITHOUT_RESPONSE,
            _RW,
            gatt.CharacteristicValue(write=self._on_write),
        )
        self.service = gatt.Service(NUS_SERVICE, [self.rx, self.tx])

    def _on_write(self, conn: Connection, value: bytes) -> None:
        self._line += value
        while b"\n" in self._line:
            line, _, rest = bytes(self._line).partition(b"\n")
            self._line = bytearray(rest)
            self._handle(conn, line.strip(b"\x10 "))

    def _handle(self, conn: Connection, line: bytes) -> None:
        if not (line.startswith(b"GB(") and line.endswith(b")")):
            return
        req = json.loads(line[3:-1])
        if req.get("t") != "sessfetch":
            return
        since = int(req.get("seq", 0))
        recs = [r for r in self.records() if r[0] > since]
        out = b'{"t":"sessfetch","state":"start"}\n'
        out += b"".join(json_line(r) for r in recs)
        out += b'{"t":"sessfetch","state":"end","count":%d}\n' % len(recs)
        self.send(conn, self.tx, out)


async def nus_json_fetch(client: BleakClient, since_seq: int = 0) -> list[Record]:
    """The host side: request records after `since_seq`, parse the JSON lines."""
    text = bytearray()
    done = asyncio.Event()
    out: list[Record] = []

    def on_tx(_c: Any, data: bytearray) -> None:
        text.extend(data)
        while b"\n" in text:
            line, _, rest = bytes(text).partition(b"\n")
            text[:] = rest
            obj = json.loads(line)
            if obj.get("t") == "sess":
                keys = ("seq", "ts", "rid", "done", "tot", "act", "fl", "boot")
                out.append(tuple(int(obj[k]) for k in keys))  # type: ignore[arg-type]
            elif obj.get("state") == "end":
                done.set()

    await client.start_notify(NUS_TX, on_tx)
    req = json.dumps({"t": "sessfetch", "seq": since_seq}, separators=(",", ":"))
    await client.write_gatt_char(NUS_RX, b"\x10GB(" + req.encode() + b")\n", response=True)
    await asyncio.wait_for(done.wait(), 30)
    await client.stop_notify(NUS_TX)
    return out


# -- Adafruit BLE file transfer, CSV ---------------------------------------------------------

CSV_HEADER = b"seq,start,routine_id,steps_done,steps_total,active_s,flags,boot\n"


def csv_file(records: list[Record]) -> bytes:
    return CSV_HEADER + b"".join(b",".join(b"%d" % v for v in r) + b"\n" for r in records)


class FileTransferServer(_Notifier):
    def __init__(self, records: Records) -> None:
        super().__init__()
        self.records = records
        self._file = b""
        self.version: gatt.Characteristic[bytes] = gatt.Characteristic(
            FT_VERSION, _P.READ, _RW, struct.pack("<I", FT_PROTOCOL_VERSION)
        )
        self.transfer: gatt.Characteristic[bytes] = gatt.Characteristic(
            FT_TRANSFER,
            _P.WRITE_WITHOUT_RESPONSE | _P.READ | _P.NOTIFY,
            _RW,
            gatt.CharacteristicValue(write=self._on_write),
        )
        self.service = gatt.Service(FT_SERVICE, [self.version, self.transfer])

    def _on_write(self, conn: Connection, value: bytes) -> None:
        cmd = value[0] if value else 0
        if cmd == FT_READ:
            _, plen, offset, free = struct.unpack_from(FT_READ_REQ, value)
            head = struct.calcsize(FT_READ_REQ)
            path = bytes(value[head : head + plen]).decode()
            if path != CSV_PATH:
                self.send(conn, self.transfer, struct.pack(FT_READ_DATA_HDR, FT_READ_DATA,
                                                           FT_NO_FILE, 0, 0, 0))
                return
            self._file = csv_file(self.records())  # the file as of this READ
            self._send_chunk(conn, offset, free)
        elif cmd == FT_READ_PACING:
            _, _status, offset, free = struct.unpack_from(FT_PACING, value)
            self._send_chunk(conn, offset, free)

    def _send_chunk(self, conn: Connection, offset: int, free: int) -> None:
        data = self._file[offset : offset + free]
        hdr = struct.pack(FT_READ_DATA_HDR, FT_READ_DATA, FT_OK, offset, len(self._file), len(data))
        self.send(conn, self.transfer, hdr + data)


async def ft_read(client: BleakClient, path: str = CSV_PATH) -> bytes:
    """The host side of READ, like adafruit_ble_file_transfer.FileTransferClient.read."""
    version = struct.unpack("<I", bytes(await client.read_gatt_char(FT_VERSION)))[0]
    if version < FT_PROTOCOL_VERSION:
        raise RuntimeError(f"file transfer version {version} is too old")
    stream: asyncio.Queue[bytes] = asyncio.Queue()
    await client.start_notify(FT_TRANSFER, lambda _c, d: stream.put_nowait(bytes(d)))
    p = path.encode()
    await client.write_gatt_char(
        FT_TRANSFER, struct.pack(FT_READ_REQ, FT_READ, len(p), 0, FT_CHUNK) + p, response=False
    )
    hsize = struct.calcsize(FT_READ_DATA_HDR)
    out = bytearray()
    pending = b""
    while True:
        while len(pending) < hsize:
            pending += await asyncio.wait_for(stream.get(), 30)
        cmd, status, offset, total, length = struct.unpack_from(FT_READ_DATA_HDR, pending)
        if cmd != FT_READ_DATA or status != FT_OK or offset != len(out):
            raise RuntimeError(f"file transfer: bad reply {cmd:#x} status {status}")
        pending = pending[hsize:]
        while len(pending) < length:
            pending += await asyncio.wait_for(stream.get(), 30)
        out += pending[:length]
        pending = pending[length:]
        if len(out) >= total:
            break
        free = min(FT_CHUNK, total - len(out))
        await client.write_gatt_char(
            FT_TRANSFER,
            struct.pack(FT_PACING, FT_READ_PACING, FT_OK, len(out), free),
            response=False,
        )
    await client.stop_notify(FT_TRANSFER)
    return bytes(out)


def parse_csv(data: bytes) -> list[Record]:
    lines = data.decode().splitlines()
    return [tuple(int(v) for v in line.split(",")) for line in lines[1:]]  # type: ignore[misc]
