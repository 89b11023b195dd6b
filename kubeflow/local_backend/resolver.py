"""Tasks the backend runs itself: importers, and resolvers (Vertex AI's artifact queries)."""
from __future__ import annotations

import re

from ml_metadata.proto import metadata_store_pb2 as mlmd_pb

from kubeflow.local_backend import values
from kubeflow.local_backend.records import runtime_artifact

# One clause of the filter TFX compiles a resolver strategy into (compiler_utils /
# step_builder): schema_title="T", state=LIVE, name="N", metadata.K.number_value=V (or
# string_value / bool_value), joined by AND.
_CLAUSE = re.compile(r'^\s*(?P<key>[\w.]+)\s*=\s*(?P<value>"[^"]*"|[\w.+-]+)\s*$')
_PLACEHOLDER = re.compile(r"\{\{\$\.inputs\.artifacts\['(?P<input>[^']+)'\]"
                          r"\.metadata\['(?P<key>[^']+)'\]\}\}")


class ResolverError(ValueError):
    """A resolver query outside the subset TFX emits."""


def fill_query(query: str, inputs: dict) -> str | None:
    """The filter with `{{$.inputs.artifacts['x'].metadata['k']}}` filled; None when the input
    it needs is empty (an empty upstream resolver resolves to nothing)."""
    missing = False

    def value(match):
        nonlocal missing
        listed = inputs.get(match["input"], {}).get("artifacts", [])
        if not listed or match["key"] not in listed[0].get("metadata", {}):
            missing = True
            return ""
        return values.parameter_text(listed[0]["metadata"][match["key"]])

    filled = _PLACEHOLDER.sub(value, query)
    return None if missing else filled


def _matches(artifact: mlmd_pb.Artifact, type_name: str, key: str, value: str) -> bool:
    text = value.strip('"')
    if key == "schema_title":
        return type_name == text
    if key == "state":
        return mlmd_pb.Artifact.State.Name(artifact.state) == text
    if key == "name":
        return str(artifact.id) == text
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "metadata":
        raise ResolverError(f"unsupported resolver filter key {key!r}")
    stored = artifact.custom_properties.get(parts[1]) or artifact.properties.get(parts[1])
    if stored is None or stored.WhichOneof("value") is None:
        return False
    actual = values.from_mlmd(stored)
    if parts[2] == "number_value":
        return isinstance(actual, float) and actual == float(text)
    if parts[2] == "bool_value":
        return bool(actual) == (text == "true")
    return actual == text


def resolve(store, query: str) -> list[dict]:
    """The newest artifact matching the filter, as a one-element runtime artifact list."""
    clauses = []
    for clause in query.split(" AND "):
        match = _CLAUSE.match(clause)
        if not match:
            raise ResolverError(f"unsupported resolver filter clause {clause!r} in {query!r}")
        clauses.append((match["key"], match["value"]))
    titles = [v.strip('"') for k, v in clauses if k == "schema_title"]
    if len(titles) != 1:
        raise ResolverError(f"resolver filter needs one schema_title: {query!r}")
    if not _has_type(store, titles[0]):
        return []
    candidates = [a for a in store.get_artifacts_by_type(titles[0])
                  if all(_matches(a, titles[0], k, v) for k, v in clauses)]
    if not candidates:
        return []
    newest = max(candidates, key=lambda a: (a.create_time_since_epoch, a.id))
    return [runtime_artifact(newest)]


def _has_type(store, name: str) -> bool:
    return any(t.name == name for t in store.get_artifact_types())


def import_artifact(store, records, uri: str, type_name: str, metadata: dict,
                    reimport: bool) -> dict:
    """The importer's artifact: without reimport, an existing one in this pipeline with the
    same URI and type (as the KFP importer matches), else a new one."""
    if not reimport and _has_type(store, type_name):
        type_id = store.get_artifact_type(type_name).id
        in_pipeline = {a.id for a in store.get_artifacts_by_context(records.pipeline_context.id)}
        for artifact in sorted(store.get_artifacts_by_uri(uri), key=lambda a: -a.id):
            if artifact.type_id == type_id and artifact.id in in_pipeline and \
                    artifact.state == mlmd_pb.Artifact.LIVE:
                return runtime_artifact(artifact)
    return {"name": "imported", "uri": uri, "metadata": metadata}
