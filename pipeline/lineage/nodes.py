"""MLMD artifacts and executions as Nodes, and the type names of both artifact dialects."""

from __future__ import annotations

import json

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import properties

from .records import Node

# Kubeflow stores our custom types under their import path (components/data_lineage/artifacts.py).
KFP_PREFIX = "ledger_types."
RAW_DATA = "RawData"
DATASET_VERSION = "DatasetVersion"
# Long JSON blobs of TFX execution properties say nothing to an auditor and bloat every output.
_HIDDEN = frozenset({"tfx_version", "is_external"})
_LABEL_FACTS = {
    "DatasetVersion": "dataset_version_id",
    "ModelBlessing": "decision",
    "PushedModel": "pushed_destination",
    "StageTransition": "to_stage",
}


def type_names(short: str) -> tuple[str, ...]:
    """Stored names of a ledger type: local `RawData` and Kubeflow `ledger_types.RawData`."""
    return (short, KFP_PREFIX + short)


def short_type(name: str) -> str:
    """`ledger_types.RawData`, `tfx.Model`, `a.b.LedgerTrainer` -> the last dotted segment."""
    return name.rsplit(".", 1)[-1]


def value_of(value: pb.Value):
    """A property value as plain Python; JSON text decoded, structs as dicts."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "struct_value":
        from google.protobuf import json_format  # struct values are rare: load it on one

        return json_format.MessageToDict(value.struct_value)
    if kind == "proto_value":
        return value.proto_value.type_url
    plain = getattr(value, kind)
    if isinstance(plain, str) and plain[:1] in ("{", "["):
        try:
            return json.loads(plain)
        except ValueError:
            return plain
    return plain


def facts_of(node) -> dict:
    """Typed and custom properties of an artifact or execution, typed ones winning."""
    facts = {k: value_of(v) for k, v in node.custom_properties.items() if k not in _HIDDEN}
    facts.update({k: value_of(v) for k, v in node.properties.items()})
    return dict(sorted(facts.items()))


def fact(node, name: str, default=None):
    """One fact of an artifact/execution proto, from properties or custom_properties."""
    found = properties.value(node, name)
    found = None if found is None else value_of(found)
    return default if found is None else found


def _artifact_label(type_name: str, name: str, uri: str, facts: dict, node_id: int) -> str:
    detail = name or str(facts.get(_LABEL_FACTS.get(type_name, ""), "") or "")
    if type_name == RAW_DATA and uri:
        detail = uri.rstrip("/").rsplit("/", 1)[-1]
    return f"{type_name} {detail}" if detail else f"{type_name} #{node_id}"


def _execution_label(type_name: str, facts: dict) -> str:
    if type_name == "StageTransition":
        return f"{facts.get('from_stage', '')} -> {facts.get('to_stage', '')}"
    # Kubeflow records every execution as system.ContainerExecution; its task name says more.
    return str(facts.get("display_name", "") or facts.get("task_name", "") or type_name)


def artifact_node(artifact: pb.Artifact, type_name: str = "") -> Node:
    """A Node for an artifact; `type_name` when the proto's `type` field is not filled."""
    kind_type = short_type(artifact.type or type_name)
    facts = facts_of(artifact)
    return Node(
        key=f"artifact:{artifact.id}",
        id=artifact.id,
        kind="artifact",
        type=kind_type,
        name=artifact.name,
        uri=artifact.uri,
        label=_artifact_label(kind_type, artifact.name, artifact.uri, facts, artifact.id),
        state=pb.Artifact.State.Name(artifact.state),
        facts=facts,
    )


def execution_node(execution: pb.Execution, type_name: str = "") -> Node:
    """A Node for an execution, labelled by its type (or Kubeflow task name)."""
    kind_type = short_type(execution.type or type_name)
    facts = facts_of(execution)
    return Node(
        key=f"execution:{execution.id}",
        id=execution.id,
        kind="execution",
        type=kind_type,
        name=execution.name,
        uri="",
        label=_execution_label(kind_type, facts),
        state=pb.Execution.State.Name(execution.last_known_state),
        facts=facts,
    )
