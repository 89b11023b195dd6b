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


def read(node, name: str, default=None):
    """Property `name` as a plain Python value (str, int, float, ...), or `default` if unset."""
    found = value(node, name)
    kind = found.WhichOneof("value") if found is not None else None
    return getattr(found, kind) if kind else default
