"""Records of a TFRecord file read in plain Python, each length and payload CRC-checked."""

from __future__ import annotations

import struct

import google_crc32c


class TFRecordError(ValueError):
    """A TFRecord file that is truncated or whose checksums do not match."""


def _masked_crc(data: bytes) -> int:
    # TFRecord stores a rotated, offset CRC32C so that CRCs of CRCs stay well distributed.
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path: str):
    """Yield each record's payload bytes; raise TFRecordError naming the file and offset."""
    with open(path, "rb") as handle:
        offset = 0
        while header := handle.read(12):
            if len(header) < 12:
                raise TFRecordError(f"{path}: truncated record header at byte {offset}")
            length, length_crc = struct.unpack("<QI", header)
            if _masked_crc(header[:8]) != length_crc:
                raise TFRecordError(f"{path}: length checksum mismatch at byte {offset}")
            payload, footer = handle.read(length), handle.read(4)
            if len(payload) < length or len(footer) < 4:
                raise TFRecordError(f"{path}: truncated record at byte {offset}")
            if _masked_crc(payload) != struct.unpack("<I", footer)[0]:
                raise TFRecordError(f"{path}: payload checksum mismatch at byte {offset}")
            offset += 16 + length
            yield payload
