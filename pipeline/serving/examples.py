"""Raw feature dicts -> serialized tf.Examples, typed by the parse spec found in the SavedModel.

Imported only after the TensorFlow runtime (pipeline.serving.predictor does that): these
`tensorflow.*` modules then come from the runtime, not from the public `tensorflow` API.
"""

from __future__ import annotations

import base64
import math

from tensorflow.core.example import example_pb2
from tensorflow.core.framework import types_pb2
from tensorflow.python.framework.tensor_util import MakeNdarray

from .errors import InstanceError

FLOAT, INT64, BYTES = "float", "int64", "bytes"
_KINDS = {types_pb2.DT_FLOAT: FLOAT, types_pb2.DT_INT64: INT64, types_pb2.DT_STRING: BYTES}


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
    return [v.decode("utf-8") for v in MakeNdarray(node.attr["value"].tensor).ravel()]


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
        serialized = _b64_example(instance)
        if serialized is not None:
            return serialized, self._features_of(index, serialized)
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

    def _features_of(self, index: int, serialized: bytes) -> dict:
        """{feature: first value or None} of a serialized tf.Example, for capture and receipts."""
        try:
            table = example_pb2.Example.FromString(serialized).features.feature
        except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends
            raise InstanceError(f"instance {index}: b64 value is not a serialized tf.Example"
                                ) from None
        features = {}
        for name in self.spec or table:
            values = table[name] if name in table else None
            kind = values.WhichOneof("kind") if values is not None else None
            listed = list(getattr(values, kind).value) if kind else []
            value = listed[0] if listed else None
            features[name] = value.decode("utf-8", "replace") if isinstance(value, bytes) \
                else value
        return features


def _b64_example(instance: dict) -> bytes | None:
    """TF Serving clients of a tf.Example signature send {"b64": ...} or {"examples": {"b64":
    ...}}: the serialized Example itself, base64-encoded. None for a raw feature dict."""
    if len(instance) == 1:
        value = next(iter(instance.values()))
        if isinstance(value, dict) and set(value) == {"b64"}:
            instance = value
    if set(instance) != {"b64"} or not isinstance(instance["b64"], str):
        return None
    try:
        return base64.b64decode(instance["b64"], validate=True)
    except ValueError:
        raise InstanceError("b64 value is not valid base64") from None
