#!/usr/bin/env python3
"""Writes a few small, valid segments into fuzz/seeds/ as a starting corpus for the
decode_segment fuzz target. Layout as in FORMAT.md; CRC-32/IEEE is zlib's crc32.
Run from anywhere: python3 fuzz/gen_seeds.py"""
import os
import struct
import zlib

MAGIC = b"\x89SLG\r\n\x1a\n"
SEAL = 1


def segment_header(segment_number, base_seq, prev_seal_offset=0):
    h = MAGIC + struct.pack("<HHI", 1, 128, 0) + bytes([0x5A] * 16)
    h += struct.pack("<QQQq", segment_number, base_seq, prev_seal_offset, 1_700_000_000_000_000)
    h += bytes(124 - len(h))
    return h + struct.pack("<I", zlib.crc32(h))


def record(rtype, seq, body, ts=1_700_000_000_000_001):
    rest = struct.pack("<IQqHHI", len(body), seq, ts, rtype, 0, zlib.crc32(body))
    return struct.pack("<I", zlib.crc32(rest)) + rest + body


def seal(segment_number, base_seq, seq, offset):
    body = struct.pack("<QQQQ", segment_number, base_seq, seq - base_seq, offset)
    return record(SEAL, seq, body)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    os.makedirs(out, exist_ok=True)
    # An open segment: three records, then preallocated zeros.
    seg = segment_header(0, 1)
    for seq, body in [(1, b"hello"), (2, b""), (3, bytes(range(40)))]:
        seg += record(0x100, seq, body)
    with open(os.path.join(out, "open.seg"), "wb") as f:
        f.write(seg + bytes(64))
    # A sealed segment (segment 1, base 4): two records and a seal.
    seg = segment_header(1, 4, prev_seal_offset=300)
    seg += record(0x100, 4, b"a") + record(0x101, 5, b"bc")
    seg += seal(1, 4, 6, len(seg))
    with open(os.path.join(out, "sealed.seg"), "wb") as f:
        f.write(seg + bytes(32))
    # A torn tail: one record, then the first 20 bytes of the next.
    seg = segment_header(0, 1) + record(0x100, 1, b"x" * 16)
    with open(os.path.join(out, "torn.seg"), "wb") as f:
        f.write(seg + record(0x100, 2, b"y" * 16)[:20] + bytes(16))


if __name__ == "__main__":
    main()
