"""Values between ExecutorInput JSON and MLMD, converted the way the KFP launcher converts them."""
from __future__ import annotations

from google.protobuf import json_format, struct_pb2
from ml_metadata.proto import metadata_store_pb2


def to_mlmd(value) -> metadata_store_pb2.Value:
    """A metadata value as the launcher stores it: numbers are doubles, bools ints, and lists
    and structs are wrapped in a struct (`{"list": ...}` / `{"struct": ...}`)."""
    stored = metadata_store_pb2.Value()
    if isinstance(value, bool):
        stored.int_value = int(value)
    elif isinstance(value, (int, float)):
        stored.double_value = float(value)
    elif isinstance(value, str):
        stored.string_value = value
    elif isinstance(value, (list, dict)):
        json_format.ParseDict({"list" if isinstance(value, list) else "struct": value},
                              stored.struct_value)
    else:
        raise TypeError(f"unsupported metadata value {value!r}")
    return stored


def from_mlmd(value: metadata_store_pb2.Value):
    """The JSON value the driver puts into an input artifact's metadata (ints become numbers)."""
    kind = value.WhichOneof("value")
    if kind == "int_value":
        return float(value.int_value)
    if kind == "double_value":
        return value.double_value
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return json_format.MessageToDict(value.struct_value)
    raise TypeError(f"unsupported MLMD value kind {kind}")


def parameter_text(value) -> str:
    """A parameter or metadata value inside a string placeholder, as the driver formats it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, dict)):
        return json_format.MessageToJson(_struct_value(value), indent=None)
    return str(value)


def _struct_value(value) -> struct_pb2.Value:
    message = struct_pb2.Value()
    json_format.ParseDict(value, message)
    return message
