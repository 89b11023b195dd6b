"""MLMD type names and properties the registry writes (docs/ARCHITECTURE.md), and proto helpers."""

from __future__ import annotations

import json
import re

from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import properties

MODEL = "Model"
MODEL_VERSION = "ModelVersion"
STAGE_TRANSITION = "StageTransition"
PUSHED_MODEL = "PushedModel"
GOVERNANCE_LOG = "GovernanceLog"
GOVERNANCE_LOG_NAME = "governance-log"
MODEL_HEAD = "ModelHead"

STR, INT = pb.STRING, pb.INT
MODEL_VERSION_PROPERTIES = {
    "model_name": STR,
    "version": INT,
    "model_artifact_id": INT,
    "model_uri": STR,
    "model_digest": STR,
    "dataset_version_id": STR,
    "pipeline_run": STR,
    "created_at": STR,
}
TRANSITION_PROPERTIES = {
    "seq": INT,
    "model_name": STR,
    "version": INT,
    "from_stage": STR,
    "to_stage": STR,
    "actor": STR,
    "reason": STR,
    "decided_at": STR,
    "model_digest": STR,
    "prev_hash": STR,
    "record_hash": STR,
    "hmac": STR,
    "model_head": STR,  # JSON: the model's aliases after this record (registry/heads.py)
    "signer": STR,
    "key_fingerprint": STR,
    "signature": STR,
}

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def valid_model_name(name: str) -> bool:
    """Names are safe in MLMD filter queries, file paths and TF Serving configs."""
    return bool(_MODEL_NAME.match(name or ""))


def _model_version_type() -> pb.ArtifactType:
    version = pb.ArtifactType(name=MODEL_VERSION)
    for key, value in MODEL_VERSION_PROPERTIES.items():
        version.properties[key] = value
    return version


def _execution_type() -> pb.ExecutionType:
    transition = pb.ExecutionType(name=STAGE_TRANSITION)
    for key, value in TRANSITION_PROPERTIES.items():
        transition.properties[key] = value
    return transition


def _pushed_model_type_id(store) -> int:
    # Reuse TFX's PushedModel type when the pipeline registered it first; else register the same
    # definition TFX uses (base type MODEL, no typed properties) so TFX accepts ours later.
    try:
        return store.get_artifact_type(PUSHED_MODEL).id
    except errors.NotFoundError:
        pushed = pb.ArtifactType(name=PUSHED_MODEL, base_type=pb.ArtifactType.MODEL)
        return store.put_artifact_type(pushed)


def ensure_types(store) -> dict[str, int]:
    """Register (or find) every type the registry writes; returns type name -> id."""
    evolve = {"can_add_fields": True, "can_omit_fields": True}
    return {
        MODEL_VERSION: store.put_artifact_type(_model_version_type(), **evolve),
        PUSHED_MODEL: _pushed_model_type_id(store),
        STAGE_TRANSITION: store.put_execution_type(_execution_type(), **evolve),
        GOVERNANCE_LOG: store.put_context_type(pb.ContextType(name=GOVERNANCE_LOG)),
        MODEL_HEAD: store.put_context_type(pb.ContextType(name=MODEL_HEAD)),
    }


def version_artifact(
    type_id: int, name: str, external_id: str, values: dict, custom: dict
) -> pb.Artifact:
    """A new ModelVersion artifact: typed `values`, extra facts as custom properties."""
    artifact = pb.Artifact(
        type_id=type_id,
        uri=values.get("model_uri", ""),
        name=name,
        external_id=external_id,
        state=pb.Artifact.LIVE,
    )
    set_props(artifact.properties, values)
    set_props(artifact.custom_properties, custom)
    return artifact


def prop(node, name: str, default=""):
    """A typed or custom property value of an artifact/execution/context, or `default`."""
    return properties.read(node, name, default)


def json_prop(node, name: str) -> dict:
    """A JSON-encoded custom property decoded, or {} when absent or unreadable."""
    try:
        return json.loads(prop(node, name, "") or "{}")
    except ValueError:
        return {}


def set_props(table, values: dict) -> None:
    """Write str/int/bool values into a properties or custom_properties map."""
    for key, value in values.items():
        if isinstance(value, (bool, int)):
            table[key].int_value = int(value)
        else:
            table[key].string_value = str(value)


def quote(value: str) -> str:
    """A string literal for an MLMD filter query."""
    return "'" + str(value).replace("'", "''") + "'"
