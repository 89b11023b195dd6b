"""The one reader of MLMD properties: a typed property first, else the custom one of that name.

Artifacts of the "kfp" dialect carry as custom properties what "mlmd" artifacts carry as typed
ones, and TFX adds custom properties of its own, so every reader must look in both tables, in
this order. Plain protobuf, no TFX: registry, lineage and component code all use it.
"""
from __future__ import annotations


def value(node, name: str):
    """The `Value` proto of property `name` of an artifact/execution/context, or None."""
    for table in (node.properties, node.custom_properties):
        if name in table:
            return table[name]
    return None


# TFX's key for a single JSON value stored as a struct (tfx.types.artifact).
_SINGLE_VALUE_KEY = "__value__"


def read(node, name: str, default=None):
    """Property `name` as a plain Python value (str, int, float, ...), or `default` if unset.

    A struct value is decoded as TFX encodes JSON values: on Kubeflow, TFX's entrypoint hands
    executors every input metadata value back that way (`span` arrives as {"__value__": 0.0}).
    """
    found = value(node, name)
    kind = found.WhichOneof("value") if found is not None else None
    if kind == "struct_value":
        from google.protobuf import json_format

        decoded = json_format.MessageToDict(found.struct_value)
        return decoded.get(_SINGLE_VALUE_KEY, decoded) if isinstance(decoded, dict) else decoded
    return getattr(found, kind) if kind else default
