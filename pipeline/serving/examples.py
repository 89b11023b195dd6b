"""Raw feature dicts -> serialized tf.Examples, typed by the parse spec found in the SavedModel."""

from __future__ import annotations

import math

import tensorflow as tf
from tensorflow.core.example import example_pb2

from .errors import InstanceError

FLOAT, INT64, BYTES = "float", "int64", "bytes"
_KINDS = {tf.float32.as_datatype_enum: FLOAT, tf.int64.as_datatype_enum: INT64,
          tf.string.as_datatype_enum: BYTES}


def raw_feature_spec(signature) -> dict[str, str] | None:
    """Feature name -> float|int64|bytes from the serving graph's ParseExampleV2, else None.

    None when there is no parse op or several that disagree: the encoder then infers types.
    """
    graph_def = signature.graph.as_graph_def()
    specs = set()
    for nodes in [graph_def.node, *(f.node_def for f in graph_def.library.function)]:
        consts = {node.name: node for node in nodes if node.op == "Const"}
        for node in nodes:
            if node.op == "ParseExampleV2":
                specs.add(tuple(sorted(_parse_spec(node, consts).items())))
    return dict(specs.pop()) if len(specs) == 1 else None


def _parse_spec(node, consts) -> dict[str, str]:
    """Keys come from Const inputs (sparse, dense, ragged), their dtypes from the op's attrs."""
    keys = [_const_strings(consts, node.input[i]) for i in (2, 3, 4)]
    types = [node.attr[a].list.type for a in ("sparse_types", "Tdense", "ragged_value_types")]
    spec = {}
    for names, dtypes in zip(keys, types, strict=True):
        for name, dtype in zip(names, dtypes, strict=True):
            if dtype not in _KINDS:
                raise ValueError(f"feature {name!r} has unsupported dtype {dtype}")
            spec[name] = _KINDS[dtype]
    return spec


def _const_strings(consts, input_name: str) -> list[str]:
    # Inside a function body inputs read "node:output:0"; in a graph "node:0".
    node = consts[input_name.split(":")[0]]
    return [v.decode("utf-8") for v in tf.make_ndarray(node.attr["value"].tensor).ravel()]


def _number(name: str, raw):
    if isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            return float(raw)
        except ValueError:
            raise InstanceError(f"feature {name!r} is numeric, got {raw[:40]!r}") from None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InstanceError(f"feature {name!r} is numeric, got {type(raw).__name__} {raw!r:.40}")
    return None if isinstance(raw, float) and math.isnan(raw) else raw


def normalize(name: str, kind: str | None, raw):
    """A JSON value as the feature's Python value (None = missing), or InstanceError."""
    if raw is None:
        return None
    # Fast paths for the common, already well-typed values: this runs for every feature.
    if type(raw) is float and kind != INT64:
        return None if raw != raw else raw
    if type(raw) is str and kind != FLOAT and kind != INT64:
        return raw
    if kind == BYTES or (kind is None and isinstance(raw, str)):
        if not isinstance(raw, str):
            raise InstanceError(f"feature {name!r} is a string feature, got {raw!r:.40}")
        return raw
    value = _number(name, raw)
    if value is None or kind != INT64:
        return None if value is None else float(value)
    if not float(value).is_integer():
        raise InstanceError(f"feature {name!r} is an integer feature, got {value!r}")
    return int(value)


class ExampleEncoder:
    """Builds tf.Examples the model parses: typed by its spec, or inferred when it has none."""

    def __init__(self, spec: dict[str, str] | None):
        self.spec = spec

    def encode(self, index: int, instance) -> tuple[bytes, dict]:
        """(serialized tf.Example, {column: value or None}) for one instance."""
        if not isinstance(instance, dict):
            raise InstanceError(f"instance {index} is {type(instance).__name__}, not an object")
        columns = self.spec or dict.fromkeys(instance)
        if self.spec and not any(name in instance for name in self.spec):
            raise InstanceError(
                f"instance {index} has none of the model's features ({', '.join(self.spec)})"
            )
        example, features = example_pb2.Example(), {}
        table = example.features.feature
        for name, kind in columns.items():
            try:
                value = features[name] = normalize(name, kind, instance.get(name))
            except InstanceError as exc:
                raise InstanceError(f"instance {index}: {exc}") from None
            if isinstance(value, str):
                table[name].bytes_list.value.append(value.encode("utf-8"))
            elif isinstance(value, int):
                table[name].int64_list.value.append(value)
            elif value is not None:
                table[name].float_list.value.append(value)
        return example.SerializeToString(), features
