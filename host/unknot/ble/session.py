"""One connected Unknot device: the host side of the sync protocol (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bleak import BleakClient
from bleak.exc import BleakError

from unknot import core, journal
from unknot.errors import DeviceError, SyncError

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class DeviceInfo:
    """The device's INFO characteristic, decoded (docs/protocol.md), plus how it was found."""

    protocol: int
    device_id: str  # hex
    firmware: str
    routine_count: int
    head: int
    tail: int
    unix: int | None
    uptime_s: int
    boot: int
    battery: int | None
    capacity: int
    upload_open: bool
    name: str
    address: str


@dataclass
class Batch:
    first: int
    records: list[bytes]  # full 20-byte journal records, seq first+i
    next_seq: int


class LinkLost(SyncError):
    """The BLE link dropped during an exchange."""


class Session:
    """Send requests and read answers over a connected BleakClient."""

    def __init__(
        self, client: BleakClient, name: str, address: str, *, simulated: bool = False
    ) -> None:
        self.client = client
        self.name = name
        self.address = address
        # Reached over a simulated radio (`unknot sim`, `demo`, tests): the history marks
        # the device as simulated and keeps it out of history/stats/export by default.
        self.simulated = simulated
        self.proto = core.proto
        self.uuids = core.gatt
        self._frames: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def start(self) -> None:
        await self.client.start_notify(self.uuids.DATA, self._on_frame)

    def _on_frame(self, _char: Any, data: bytearray) -> None:
        self._frames.put_nowait(bytes(data))

    def link_lost(self) -> None:
        self._frames.put_nowait(None)

    async def _frame(self, timeout: float | None = 10.0) -> bytes:
        try:
            frame = await asyncio.wait_for(self._frames.get(), timeout)
        except TimeoutError:
            raise DeviceError("the device stopped answering") from None
        if frame is None:
            raise LinkLost("the BLE link was lost")
        return frame

    async def _write(self, payload: bytes) -> None:
        try:
            await self.client.write_gatt_char(self.uuids.CONTROL, payload, response=True)
        except BleakError as exc:
            if not self.client.is_connected:
                raise LinkLost("the BLE link was lost") from exc
            raise DeviceError(f"control write refused: {exc}") from exc

    async def request(self, payload: bytes, *, ok: tuple[int, ...] = (0,)) -> tuple[int, bytes]:
        """Write one control request and wait for its response frame: (status, payload)."""
        p = self.proto
        await self._write(payload)
        while True:
            frame = await self._frame()
            if frame[0] != p.F_RESP or frame[1] != payload[0]:
                continue  # a stale frame of an earlier exchange
            status = frame[2]
            body = frame[struct.calcsize(p.RESP) :]
            if status not in ok:
                raise DeviceError(_refusal(payload[0], status, body))
            return status, body

    async def read_info(self) -> DeviceInfo:
        p = self.proto
        try:
            raw = bytes(await self.client.read_gatt_char(self.uuids.INFO))
        except BleakError as exc:
            raise DeviceError(f"could not read device info: {exc}") from exc
        size = struct.calcsize(p.INFO)
        if len(raw) < size or raw[0] != p.PROTOCOL_VERSION:
            raise DeviceError(
                f"unsupported protocol (device speaks v{raw[0] if raw else '?'}, "
                f"host v{p.PROTOCOL_VERSION}); update the firmware or the host"
            )
        (ver, flags, dev_id, ma, mi, pa, count, head, tail, unix, up, boot, batt, _r, cap) = (
            struct.unpack(p.INFO, raw[:size])
        )
        return DeviceInfo(
            protocol=ver,
            device_id=dev_id.hex(),
            firmware=f"{ma}.{mi}.{pa}",
            routine_count=count,
            head=head,
            tail=tail,
            unix=unix if flags & p.INFO_CLOCK_SET else None,
            uptime_s=up,
            boot=boot,
            battery=None if batt == p.BATTERY_UNKNOWN else batt,
            capacity=cap,
            upload_open=bool(flags & p.INFO_UPLOAD_OPEN),
            name=self.name,
            address=self.address,
        )

    async def follow(self, on: bool = True) -> None:
        """Ask for STATUS frames on this connection (docs/protocol.md "Status"); the device
        answers OK, then sends its state at once (HELLO) and one frame per change."""
        await self.request(struct.pack(self.proto.REQ_FOLLOW, self.proto.OP_FOLLOW, int(on)))

    async def status_frame(self, timeout: float | None = None) -> bytes:
        """The next STATUS frame (other frames are skipped); LinkLost when the link drops."""
        kind = core.status.F_STATUS
        while True:
            frame = await self._frame(timeout)
            if frame and frame[0] == kind:
                return frame

    async def set_clock(self, unix: int) -> None:
        await self.request(struct.pack(self.proto.REQ_SET_CLOCK, self.proto.OP_SET_CLOCK, unix))

    async def read_records(
        self, from_seq: int, max_count: int, on_frame: Callable[[int], None] | None = None
    ) -> Batch:
        """Stream records [from_seq, ...) and verify them against the END frame."""
        p = self.proto
        await self._write(struct.pack(p.REQ_READ, p.OP_READ, from_seq, max_count))
        stream = bytearray()
        while True:
            frame = await self._frame()
            kind = frame[0]
            if kind == p.F_DATA:
                stream += frame[1:]
                if on_frame is not None:
                    on_frame(len(stream) // journal.WIRE_RECORD_SIZE)
            elif kind == p.F_END:
                _, _status, first, count, nxt, crc = struct.unpack(p.END, frame)
                break
            elif kind == p.F_RESP and frame[1] == p.OP_READ:
                raise DeviceError(f"device refused the read: status {frame[2]}")
        if len(stream) != count * journal.WIRE_RECORD_SIZE or zlib.crc32(stream) != crc:
            raise SyncError("record stream failed its check (count or CRC); nothing was saved")
        size = journal.WIRE_RECORD_SIZE
        records = [journal.from_wire(first + i, bytes(stream[i * size : (i + 1) * size]))
                   for i in range(count)]
        return Batch(first=first, records=records, next_seq=nxt)

    async def upload_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None
    ) -> None:
        p = self.proto
        blob = b"".join(
            struct.pack(p.ARCHIVE_ENTRY, len(n.encode()), len(d)) + n.encode() + d
            for n, d in sorted(files.items())
        )
        if len(blob) > p.MAX_UPLOAD:
            raise DeviceError(f"routine set too large for BLE upload ({len(blob)} bytes)")
        await self.request(
            struct.pack(p.REQ_UPLOAD_BEGIN, p.OP_UPLOAD_BEGIN, len(blob), zlib.crc32(blob))
        )
        room = self.client.mtu_size - 3 - struct.calcsize(p.REQ_UPLOAD_CHUNK)
        offset = 0
        while offset < len(blob):
            chunk = blob[offset : offset + room]
            await self.request(struct.pack(p.REQ_UPLOAD_CHUNK, p.OP_UPLOAD_CHUNK, offset) + chunk)
            offset += len(chunk)
            if progress is not None:
                progress(offset, len(blob))
        await self.request(bytes([p.OP_UPLOAD_COMMIT]))

    async def set_settings(self, values: Mapping[str, int | bool | str]) -> None:
        p = self.proto
        out = bytearray([p.OP_SET_SETTINGS])
        for key, value in values.items():
            k = key.encode()
            if isinstance(value, bool):
                out += struct.pack(p.SETTING_HEAD, len(k), p.SET_BOOL) + k + bytes([int(value)])
            elif isinstance(value, int):
                out += struct.pack(p.SETTING_HEAD, len(k), p.SET_INT) + k
                out += struct.pack(p.SETTING_INT, value)
            else:
                v = str(value).encode()
                out += struct.pack(p.SETTING_HEAD, len(k), p.SET_STR) + k + bytes([len(v)]) + v
        if len(out) > self.client.mtu_size - 3:
            raise DeviceError("too many settings for one write")
        await self.request(bytes(out))


def _refusal(op: int, status: int, body: bytes) -> str:
    """One line saying why the device refused request `op`."""
    p = core.proto
    name = body.decode("utf-8", "replace")
    if status == p.ST_BAD_SETTING:
        return f"the device refused setting {name}: unknown, or not a value it accepts"
    if status == p.ST_BAD_FILE:
        return f"the device refused routine file {name!r}: not a valid routine; nothing installed"
    if status == p.ST_TOO_MANY:
        return f"the device refused the routine set: more than {p.MAX_FILES} files"
    return f"device refused request {op:#04x}: status {status}"
