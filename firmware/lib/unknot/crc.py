"""CRC-32 (IEEE, as zlib/binascii.crc32), with a pure-Python fallback."""

# crc32(data | crc32(data) as u32 little-endian) for any data: a record whose CRC field is
# right (journal.py) checks with one crc32 call and one comparison
RESIDUE = 0x2144DF1C  # a small int on the board (< 2**30)

try:
    from binascii import crc32
except ImportError:  # a port built without binascii.crc32

    def crc32(data, crc=0):
        crc ^= 0xFFFFFFFF
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
        return crc ^ 0xFFFFFFFF
