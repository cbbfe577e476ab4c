"""One connected Unknot device: the host side of the sync protocol (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bleak import BleakClient
from bleak.exc import BleakError

from unknot import core, journal
from unknot.ble.auth import NOT_THE_DEVICE, AuthError, DeviceState, HostAuth
from unknot.core import wire
from unknot.device.keys import HostKey, KeyStore
from unknot.errors import DeviceError, SyncError

if TYPE_CHECKING:
    from unknot.ble.wearer import Wearer

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class PublicInfo:
    """The INFO characteristic (docs/protocol.md): what any central may read. The device id
    here is a claim; nothing is trusted before authentication."""

    protocol: int
    device_id: str  # hex
    firmware: str
    raw: bytes  # the INFO value as read: the device's proof covers it


@dataclass(frozen=True)
class DeviceInfo:
    """The device after authentication: its public INFO plus the private STATE block, both
    vouched for by the device's proof of this computer's key."""

    protocol: int
    device_id: str  # hex
    firmware: str
    routine_count: int
    head: int
    tail: int
    epoch: int
    unix: int | None
    uptime_s: int
    boot: int
    battery: int | None
    capacity: int
    upload_open: bool
    name: str
    address: str
    nvm_error: bool = False
    nvm_refused: bool = False


class NotPaired(DeviceError):
    """This computer holds no key the device accepts."""


@dataclass
class Batch:
    first: int
    records: list[bytes]  # full 20-byte journal records, seq first+i
    next_seq: int
    epoch: int  # the journal's epoch (docs/journal.md), from the tagged END frame


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
        self.auth: HostAuth | None = None
        self.public: PublicInfo | None = None
        self.state_at_auth: DeviceState | None = None
        self.stand_in_wearer: Wearer | None = None  # an in-process simulated device's
        self._status_n = 0  # STATUS frames opened since FOLLOW (their seal index)
        self._follow_n = 0  # the counter of the FOLLOW request

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

    def _refused(self, op: int, status: int, body: bytes = b"") -> DeviceError:
        p = self.proto
        if status == p.ST_AUTH_REQUIRED or status == p.ST_AUTH_FAILED:
            return NotPaired(
                f"{self.name or 'the device'} ended this computer's session (status {status}): "
                "it was forgotten, or the link was tampered with; nothing more was sent"
            )
        return DeviceError(_refusal(op, status, body))

    async def open_request(self, payload: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
        """An untagged request (AUTH_BEGIN, PAIR_BEGIN, PAIR_REVEAL): (status, payload)."""
        p = self.proto
        await self._write(payload)
        while True:
            frame = await self._frame(timeout)
            if frame[0] == p.F_RESP and frame[1] == payload[0]:
                return frame[2], frame[wire.size(p.RESP) :]

    async def request(self, payload: bytes, *, ok: tuple[int, ...] = (0,)) -> tuple[int, bytes]:
        """Write one authenticated control request and wait for its answer, whose tag must be
        right for this request: (status, payload)."""
        p = self.proto
        auth = self._authed()
        n, wrapped = auth.wrap(payload)
        await self._write(wrapped)
        while True:
            frame = await self._frame()
            if frame[0] != p.F_RESP or frame[1] != payload[0]:
                continue  # a stale frame of an earlier exchange
            body = auth.unwrap(n, frame)
            if body is None:
                if len(frame) == wire.size(p.RESP):  # untagged: refused before auth
                    raise self._refused(payload[0], frame[2])
                continue  # a stale or forged answer
            status = body[2]
            rest = body[wire.size(p.RESP) :]
            if status not in ok:
                raise self._refused(payload[0], status, rest)
            return status, rest

    def _authed(self) -> HostAuth:
        if self.auth is None or self.auth.session is None:
            raise NotPaired("not authenticated with the device")
        return self.auth

    async def read_public(self) -> PublicInfo:
        """The INFO characteristic (no key needed)."""
        p = self.proto
        try:
            raw = bytes(await self.client.read_gatt_char(self.uuids.INFO))
        except BleakError as exc:
            if not self.client.is_connected:  # e.g. the device dropped an idle central
                raise LinkLost("the BLE link was lost") from exc
            raise DeviceError(f"could not read device info: {exc}") from exc
        size = wire.size(p.INFO)
        if len(raw) < 1 or raw[0] != p.PROTOCOL_VERSION or len(raw) < size:
            raise DeviceError(
                f"unsupported protocol (device speaks v{raw[0] if raw else '?'}, "
                f"host v{p.PROTOCOL_VERSION}); update the firmware or the host"
            )
        ver, _flags, dev_id, ma, mi, pa, _r = wire.unpack(p.INFO, raw[:size])
        self.public = PublicInfo(
            protocol=ver, device_id=dev_id.hex(), firmware=f"{ma}.{mi}.{pa}", raw=raw[:size],
        )
        return self.public

    async def authenticate(self, keys: KeyStore | None = None) -> DeviceState:
        """Prove a key of this computer to the device, and have the device prove it first
        (docs/protocol.md "Authentication"): nothing it says is used before that, and this
        computer's host id never crosses the air (only a blinded form of it)."""
        p = self.proto
        store = keys if keys is not None else KeyStore()
        public = self.public or await self.read_public()
        who = self.name or public.device_id
        candidates = store.candidates(public.device_id)
        if not candidates:
            raise NotPaired(f"this computer is not paired with {who}: run `unknot pair`")
        for hk in candidates:
            auth = HostAuth(hk.host_id, hk.key)
            status, payload = await self.open_request(auth.begin())
            if status == p.ST_AUTH_FAILED:
                continue  # the device does not know this key
            if status != p.ST_OK:
                raise AuthError(NOT_THE_DEVICE.format(name=who))
            auth.check_begin(payload, public.raw, who)  # AuthError for a look-alike
            frame = await self.open_answer(auth.prove())
            if frame[2] != p.ST_OK:
                raise AuthError(f"the device refused this computer's proof (status {frame[2]})")
            secret, state = auth.accepted(frame)
            self.auth = auth
            if store.get(public.device_id) != HostKey(hk.host_id, hk.key, secret):
                store.bind(public.device_id, HostKey(hk.host_id, hk.key, secret))
            self.state_at_auth = state
            return state
        raise NotPaired(NOT_THE_DEVICE.format(name=who))

    async def open_answer(self, payload: bytes) -> bytes:
        """An untagged request's whole answer frame."""
        p = self.proto
        await self._write(payload)
        while True:
            frame = await self._frame()
            if frame[0] == p.F_RESP and frame[1] == payload[0]:
                return frame

    async def state(self) -> DeviceState:
        """The private STATE block (OP_STATE)."""
        _, payload = await self.request(bytes([self.proto.OP_STATE]))
        return DeviceState.unpack(payload)

    async def read_info(self) -> DeviceInfo:
        """Public INFO plus the private STATE (authenticates first if needed)."""
        public = self.public or await self.read_public()
        if self.auth is None:
            await self.authenticate()
        st = await self.state()
        return DeviceInfo(
            protocol=public.protocol,
            device_id=public.device_id,
            firmware=public.firmware,
            routine_count=st.routine_count,
            head=st.head,
            tail=st.tail,
            epoch=st.epoch,
            unix=st.unix,
            uptime_s=st.uptime_s,
            boot=st.boot,
            battery=st.battery,
            capacity=st.capacity,
            upload_open=st.upload_open,
            name=self.name,
            address=self.address,
            nvm_error=st.nvm_error,
            nvm_refused=st.nvm_refused,
        )

    async def follow(self, on: bool = True) -> None:
        """Ask for STATUS frames on this connection (docs/protocol.md "Status"); the device
        answers OK, then sends its state at once (HELLO) and one frame per change."""
        self._follow_n = self._authed().counter
        self._status_n = 0
        await self.request(wire.pack(core.status.REQ_FOLLOW, self.proto.OP_FOLLOW, int(on)))

    async def status_frame(self, timeout: float | None = None) -> bytes:
        """The next STATUS frame, opened (other frames, and any that fail their seal, are
        skipped); LinkLost when the link drops."""
        kind = core.status.F_STATUS
        auth = self._authed()
        while True:
            frame = await self._frame(timeout)
            if frame and frame[0] == kind:
                body = auth.unwrap_status(self._follow_n, self._status_n, frame)
                if body is not None:
                    self._status_n = (self._status_n + 1) & 0xFFFF
                    return body

    async def set_clock(self, unix: int) -> None:
        await self.request(wire.pack(self.proto.REQ_SET_CLOCK, self.proto.OP_SET_CLOCK, unix))

    async def read_records(
        self, from_seq: int, max_count: int, on_frame: Callable[[int], None] | None = None
    ) -> Batch:
        """Stream records [from_seq, ...) and verify them against the END frame."""
        p = self.proto
        auth = self._authed()
        n, wrapped = auth.wrap(wire.pack(p.REQ_READ, p.OP_READ, from_seq, max_count))
        await self._write(wrapped)
        stream = bytearray()
        index = 0  # the seal index of the next DATA/END frame
        while True:
            frame = await self._frame()
            kind = frame[0]
            if kind == p.F_DATA:
                body = auth.unwrap(n, frame, index)
                if body is None:
                    raise SyncError("a record frame failed its MAC (altered, dropped or "
                                    "reordered on the way); nothing was saved")
                index += 1
                stream += body[1:]
                if on_frame is not None:
                    on_frame(len(stream) // core.journal.WIRE_RECORD_SIZE)
            elif kind == p.F_END:
                body = auth.unwrap(n, frame, index)
                if body is None:
                    raise SyncError("the record stream's end frame failed its MAC; nothing saved")
                _, _status, first, count, nxt, crc, epoch = wire.unpack(p.END, body)
                break
            elif kind == p.F_RESP and frame[1] == p.OP_READ:
                body = auth.unwrap(n, frame)
                raise self._refused(p.OP_READ, (body or frame)[2])
        if len(stream) != count * core.journal.WIRE_RECORD_SIZE or zlib.crc32(stream) != crc:
            raise SyncError("record stream failed its check (count or CRC); nothing was saved")
        size = core.journal.WIRE_RECORD_SIZE
        records = [journal.from_wire(first + i, bytes(stream[i * size : (i + 1) * size]))
                   for i in range(count)]
        return Batch(first=first, records=records, next_seq=nxt, epoch=epoch)

    async def upload_routines(
        self, files: Mapping[str, bytes], progress: Progress | None = None
    ) -> None:
        p, up = self.proto, core.upload
        blob = b"".join(
            wire.pack(up.ARCHIVE_ENTRY, len(n.encode()), len(d)) + n.encode() + d
            for n, d in sorted(files.items())
        )
        if len(blob) > p.MAX_UPLOAD:
            raise DeviceError(f"routine set too large for BLE upload ({len(blob)} bytes)")
        await self.request(
            wire.pack(up.REQ_UPLOAD_BEGIN, p.OP_UPLOAD_BEGIN, len(blob), zlib.crc32(blob))
        )
        room = (self.client.mtu_size - 3 - wire.size(up.REQ_UPLOAD_CHUNK)
                - core.auth.TAG_SIZE)  # sealing keeps the length: only the tag is added
        offset = 0
        while offset < len(blob):
            chunk = blob[offset : offset + room]
            await self.request(wire.pack(up.REQ_UPLOAD_CHUNK, p.OP_UPLOAD_CHUNK, offset) + chunk)
            offset += len(chunk)
            if progress is not None:
                progress(offset, len(blob))
        await self.request(bytes([p.OP_UPLOAD_COMMIT]))

    async def set_settings(self, values: Mapping[str, int | bool | str]) -> None:
        p, head = self.proto, core.upload.SETTING_HEAD
        out = bytearray([p.OP_SET_SETTINGS])
        for key, value in values.items():
            k = key.encode()
            if isinstance(value, bool):
                out += wire.pack(head, len(k), p.SET_BOOL) + k + bytes([int(value)])
            elif isinstance(value, int):
                out += wire.pack(head, len(k), p.SET_INT) + k
                out += wire.pack(core.upload.SETTING_INT, value)
            else:
                v = str(value).encode()
                out += wire.pack(head, len(k), p.SET_STR) + k + bytes([len(v)]) + v
        if len(out) + core.auth.TAG_SIZE > self.client.mtu_size - 3:
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
