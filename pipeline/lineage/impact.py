"""Downstream impact of a dataset version or raw file digest: models, versions, deployments."""

from __future__ import annotations

import re

from ml_metadata.metadata_store.metadata_store import ListOptions

from pipeline.registry import VersionInfo, stages
from pipeline.registry.schema import quote

from . import subgraph
from .errors import LineageError, UnknownTargetError
from .nodes import DATASET_VERSION, RAW_DATA, type_names
from .records import Impact, ImpactedVersion, LineageGraph, Node
from .versions import transitions_in, versions_in

SHA256 = re.compile(r"^[0-9a-f]{64}$")
DATASET_VERSION_ID = re.compile(r"^dsv-[0-9a-f]{1,64}$")
# RawData -> DataLineage -> DatasetVersion -> Trainer -> Model -> registry -> ModelVersion ->
# capture -> PredictionCapture is 8 hops; the rest is room for longer pipelines.
DOWNSTREAM_HOPS = 20
CAPTURE = "PredictionCapture"


def _find(store, short_type: str, name: str, condition: str) -> list:
    """Artifacts of a ledger type whose fact `name` meets `condition`, in either dialect."""
    found = {}
    # One query per table: an OR across properties and custom_properties matches nothing in MLMD.
    for table in ("properties", "custom_properties"):
        query = (
            f"{subgraph.type_filter(type_names(short_type))} "
            f"AND {table}.{name}.string_value {condition}"
        )
        listed = store.get_artifacts(list_options=ListOptions(filter_query=query))
        found.update((a.id, a) for a in listed)
    return list(found.values())


def start_artifacts(store, target: str) -> list:
    """RawData/DatasetVersion artifacts named by a `dsv-...` id or a 64-hex SHA-256."""
    target = target.strip().lower()
    if DATASET_VERSION_ID.match(target):
        found = _find(store, DATASET_VERSION, "dataset_version_id", f"= {quote(target)}")
        if not found:
            raise UnknownTargetError(f"no dataset version {target} in the MLMD store")
        return found
    if not SHA256.match(target):
        raise LineageError(
            f"expected a dataset version id (dsv-...) or a 64-hex SHA-256 digest, got {target!r}"
        )
    like = f"LIKE {quote('%' + target + '%')}"
    found = _find(store, RAW_DATA, "sha256", f"= {quote(target)}")
    found += _find(store, RAW_DATA, "files", like)
    found += _find(store, DATASET_VERSION, "source_sha256", f"= {quote(target)}")
    found += _find(store, DATASET_VERSION, "source_files", like)
    if not found:
        raise UnknownTargetError(f"no raw data or dataset version with digest {target}")
    return found


def impact(store, target: str) -> Impact:
    """Every model, registry version, deployment and prediction capture downstream of `target`."""
    matched = start_artifacts(store, target)
    ids = {a.id for a in matched}
    found = subgraph.collect(store, ids, subgraph.DOWNSTREAM, DOWNSTREAM_HOPS)
    graph = subgraph.graph_of(found)
    return Impact(
        target=target,
        matched=[n for n in graph.nodes if n.kind == "artifact" and n.id in ids],
        dataset_version_ids=sorted(
            {str(n.facts.get("dataset_version_id", "")) for n in graph.of_type(DATASET_VERSION)}
            - {""}
        ),
        model_artifact_ids=[n.id for n in graph.of_type("Model")],
        versions=[_impacted(graph, found, info) for info in versions_in(found)],
        captures_recorded=bool(graph.of_type(CAPTURE)),
        graph=graph,
    )


def _fed_by(graph: LineageGraph, node: Node, sources: set) -> bool:
    """Whether an execution that produced `node` read one of the `sources` keys."""
    return any(e.source in sources for p in graph.producers(node.key) for e in graph.inputs(p.key))


def _impacted(graph: LineageGraph, found, info: VersionInfo) -> ImpactedVersion:
    sources = {f"artifact:{info.artifact_id}", f"artifact:{info.model_artifact_id}"}
    pushed = [
        n
        for n in graph.of_type("PushedModel")
        if n.facts.get("pushed") == 1 and _fed_by(graph, n, sources)
    ]
    history = transitions_in(found, info.model_name, info.version)
    return ImpactedVersion(
        identifier=info.identifier,
        stage=info.stage,
        model_artifact_id=info.model_artifact_id,
        dataset_version_id=info.dataset_version_id,
        pushed_to=sorted({n.facts.get("pushed_destination") or n.uri for n in pushed}),
        deployed=[t for t in history if t.to_stage == stages.DEPLOYED],
        captures=[n.uri or n.label for n in graph.of_type(CAPTURE) if _fed_by(graph, n, sources)],
    )
