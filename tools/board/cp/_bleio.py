"""Stand-in for `_bleio` on the board model: the API hw/ble.py uses, with the heap
allocations of the nordic port (files of adafruit/circuitpython, ports/nordic/common-hal/
_bleio/ and shared-bindings/_bleio/, read at cd3da4a):

- UUID: one object (shared-bindings/_bleio/UUID.c mp_obj_malloc); a 128-bit UUID keeps its
  16 bytes in the object (UUID.h: uint8_t uuid128[16]... held by the SoftDevice table).
- Service: the object (Service.c: mp_obj_malloc_with_finaliser) and its characteristic
  list (common-hal Service.c: mp_obj_new_list).
- Characteristic.add_to_service (a classmethod): the object (shared-bindings
  Characteristic.c mp_obj_malloc), a heap copy of an initial value that is on the heap
  (common-hal Characteristic.c m_malloc_without_collect(initial_value_len); none given and
  not fixed_length: the empty bytes in ROM, no copy) and the descriptor list
  (mp_obj_new_list). The value lives in the SoftDevice's attribute table (Service.c
  add_characteristic: BLE_GATTS_VLOC_STACK), not the heap: setting it allocates nothing
  here. A readable characteristic's value goes to the model's central ("value": what a
  read would return); setting a notifying one notifies the central ("notify"), blocking
  while the SoftDevice's TX queue is full (Characteristic.c characteristic_gatts_notify_
  indicate retries on NRF_ERROR_RESOURCES: it never raises for a full queue).
- PacketBuffer: the object and, for a characteristic the central writes, a ring of
  buffer_size * (2 + max_packet_size) bytes (PacketBuffer.c m_malloc_without_collect; max
  packet size capped at BLE_GATTS_VAR_ATTR_LEN_MAX - 3 = 509); two outgoing buffers of
  max_packet_size when it notifies. outgoing_packet_length: the connection's only for a
  notifying local characteristic, else the characteristic's length (PacketBuffer.c
  get_outgoing_packet_length): the MTU comes from Connection.max_packet_length.
- Adapter.start_advertising: two buffers of BLE_GAP_ADV_SET_DATA_SIZE_EXTENDED_MAX_SUPPORTED
  (255, s140 7.0.1 ble_gap.h) bytes, allocated once and kept (Adapter.c gc_alloc); the data
  and the scan response are copied into them. Raises when already advertising.
- Adapter.connections: a tuple of the Connection objects (Adapter.c mp_obj_new_tuple),
  cached until a link comes or goes (connection_objs); a Connection object per link
  (Connection.c mp_obj_malloc); max_packet_length is the ATT MTU - 3 (Connection.c).
Python instances here are somewhat larger than the C structs (an instance has a dict): the
model errs on the heavy side.
"""

import _model


class BluetoothError(Exception):
    pass


class RoleError(BluetoothError):
    pass


class SecurityError(BluetoothError):
    pass


class Attribute:
    NO_ACCESS = 0x00
    OPEN = 0x11
    ENCRYPT_NO_MITM = 0x21
    ENCRYPT_WITH_MITM = 0x31
    LESC_ENCRYPT_WITH_MITM = 0x41
    SIGNED_NO_MITM = 0x12
    SIGNED_WITH_MITM = 0x22


class UUID:
    def __init__(self, value):
        if isinstance(value, int):
            self.size = 16
            self.uuid16 = value
            self.uuid128 = None
        else:
            if isinstance(value, str):
                from ubinascii import unhexlify

                raw = unhexlify(value.replace("-", ""))
                value = bytes(raw[i] for i in range(15, -1, -1))  # little-endian
            self.size = 128
            self.uuid128 = bytes(value)
            self.uuid16 = self.uuid128[12] | (self.uuid128[13] << 8)

    def pack_into(self, buffer, offset=0):
        if self.size == 16:
            buffer[offset] = self.uuid16 & 0xFF
            buffer[offset + 1] = self.uuid16 >> 8
        else:
            buffer[offset : offset + 16] = self.uuid128

    def __eq__(self, other):
        return isinstance(other, UUID) and self.uuid16 == other.uuid16 and (
            self.uuid128 == other.uuid128)

    def __hash__(self):
        return self.uuid16

    def __str__(self):
        return "UUID(0x%04x)" % self.uuid16


class Service:
    def __init__(self, uuid, *, secondary=False):
        self.uuid = uuid
        self.secondary = secondary
        self.remote = False
        self.connection = None
        self._chars = []

    @property
    def characteristics(self):
        return tuple(self._chars)


class Characteristic:
    BROADCAST = 0x01
    READ = 0x02
    WRITE_NO_RESPONSE = 0x04
    WRITE = 0x08
    NOTIFY = 0x10
    INDICATE = 0x20

    def __init__(self, service, uuid, properties, max_length, initial_value):
        self.service = service
        self.uuid = uuid
        self.properties = properties
        self.max_length = max_length
        self._initial = bytes(initial_value) if initial_value is not None else None
        self.descriptors = []

    @staticmethod
    def add_to_service(service, uuid, *, properties=0, read_perm=Attribute.OPEN,
                       write_perm=Attribute.OPEN, max_length=20, fixed_length=False,
                       initial_value=None, user_description=None):
        if max_length > 512:
            raise ValueError("max_length must be 0-512")
        char = Characteristic(service, uuid, properties, max_length, initial_value)
        service._chars.append(char)
        return char

    @property
    def value(self):
        return bytearray(self._initial or b"")  # a new bytearray per read (Characteristic.c)

    @value.setter
    def value(self, value):
        if len(value) > self.max_length:
            raise ValueError("Value length > max_length")
        if self.properties & Characteristic.NOTIFY:
            conn = _model.connection
            if conn is None or not conn.connected:
                return
            _model.call("notify", bytes(value))  # (a transient copy the board does not make)
        elif self.properties & Characteristic.READ:  # what the central's read returns
            _model.call("value", bytes((self.uuid.uuid16 & 0xFF, self.uuid.uuid16 >> 8))
                        + bytes(value))  # (a transient copy the board does not make)


class PacketBuffer:
    def __init__(self, characteristic, *, buffer_size, max_packet_size=None):
        size = min(max_packet_size or characteristic.max_length, 509)
        self._size = size
        self._char = characteristic
        props = characteristic.properties
        self._ring = None
        if props & (Characteristic.WRITE | Characteristic.WRITE_NO_RESPONSE):
            self._ring = bytearray(buffer_size * (2 + size))
            _model.control = self
        self._out = None
        if props & (Characteristic.NOTIFY | Characteristic.INDICATE):
            self._out = (bytearray(size), bytearray(size))
        self._slots = buffer_size
        self._head = 0
        self._n = 0

    def _receive(self, text, start):
        """The central's write, as hex in `text` from `start` (the model's command), decoded
        straight into the ring: the board's SoftDevice writes it there with no heap
        allocation, so the model makes none beyond 2-character slices (a bytes copy of a
        244-byte write would need a block the board never asks for)."""
        if self._n == self._slots:
            return  # ring full: dropped, as PacketBuffer.c does when no room
        i = ((self._head + self._n) % self._slots) * (2 + self._size)
        n = min((len(text) - start) // 2, self._size)
        ring = self._ring
        ring[i] = n & 0xFF
        ring[i + 1] = n >> 8
        for k in range(n):
            j = start + 2 * k
            ring[i + 2 + k] = int(text[j : j + 2], 16)
        self._n += 1

    def readinto(self, buf):
        if not self._n:
            return 0
        i = self._head * (2 + self._size)
        n = self._ring[i] | (self._ring[i + 1] << 8)
        if n > len(buf):
            raise ValueError("Buffer too short by %d bytes" % (n - len(buf)))
        buf[0:n] = self._ring[i + 2 : i + 2 + n]
        self._head = (self._head + 1) % self._slots
        self._n -= 1
        return n

    def write(self, data, *, header=None):
        _model.call("notify", bytes(data))
        return len(data)

    @property
    def incoming_packet_length(self):
        return self._size

    @property
    def outgoing_packet_length(self):
        if self._out is None:  # not notifying: the characteristic's length, connected or not
            return min(self._char.max_length, self._size)
        conn = _model.connection
        if conn is None:
            raise ValueError("No connection: length cannot be determined")
        return min(_model.mtu - 3, self._size, self._char.max_length)

    @property
    def packet_size(self):
        return self._size

    def deinit(self):
        if _model.control is self:
            _model.control = None


class Address:
    PUBLIC = 0
    RANDOM_STATIC = 1

    def __init__(self, address, address_type):
        self.address_bytes = bytes(address)
        self.type = address_type


class Connection:
    def __init__(self):
        self.connected = True
        self.paired = True  # "just works" pairing: the link is encrypted
        self.connection_interval = 30.0
        self.max_packet_length = _model.mtu - 3

    def _drop(self):
        self.connected = False

    def disconnect(self):
        if self.connected:
            self.connected = False
            _model.call("drop", "")
            _model.connection = None

    def pair(self, *, bond=True):
        pass


class Adapter:
    def __init__(self):
        self.name = "CIRCUITPY"
        self.address = Address(b"\x01\x02\x03\x04\x05\x06", Address.RANDOM_STATIC)
        self.advertising = False
        self.enabled = True
        self._adv = None
        self._conn = None
        self._conns = ()

    def start_advertising(self, data, *, scan_response=None, connectable=True,
                          anonymous=False, timeout=0, interval=0.1, tx_power=0,
                          directed_to=None):
        if self.advertising:
            raise BluetoothError("Already advertising")
        for part in (data, scan_response or b""):  # Adapter.c check_data_fit (s140 7.0.1)
            if len(part) > 255 or (connectable and len(part) > 238):
                raise ValueError("Data too large for advertisement packet")
        if self._adv is None:
            self._adv = (bytearray(255), bytearray(255))
        scan = scan_response or b""
        self._adv[0][0 : len(data)] = data
        self._adv[1][0 : len(scan)] = scan
        self.advertising = True
        # over 31 bytes the nordic port advertises extended (Adapter.c, `extended`); the
        # model's central gets the length of the data, the data, the scan response
        _model.call("adv", bytes((len(data),)) + bytes(data) + bytes(scan))

    def stop_advertising(self):
        self.advertising = False

    @property
    def connected(self):
        return _model.connection is not None

    @property
    def connections(self):
        conn = _model.connection
        if conn is not None:
            self.advertising = False  # a connection stops advertising (SoftDevice)
        if conn is not self._conn:
            self._conn = conn
            self._conns = () if conn is None else (conn,)
        return self._conns


adapter = Adapter()
