"""Upstream trace of one registered version: data, training, evaluation, approval, deployment."""

from __future__ import annotations

from pipeline.registry import VersionInfo

from . import subgraph
from .nodes import DATASET_VERSION, RAW_DATA
from .records import (
    Approval,
    DataProvenance,
    Evaluation,
    InfraCheck,
    LineageGraph,
    Node,
    Trace,
    Training,
)
from .versions import transitions_in

# RawData sits 8 hops above a ModelVersion in our pipeline; the rest is room for longer ones.
UPSTREAM_HOPS = 20
# The executions that consumed the model (Evaluator, approval, pusher, registry) and their outputs.
AROUND_HOPS = 2


def trace_version(store, info: VersionInfo) -> Trace:
    """Everything upstream of `info`, plus the checks and decisions taken on its model."""
    starts = [i for i in (info.artifact_id, info.model_artifact_id) if i]
    up = subgraph.collect(store, starts, subgraph.UPSTREAM, UPSTREAM_HOPS, stop_at={RAW_DATA})
    around = subgraph.collect(store, [info.model_artifact_id], subgraph.DOWNSTREAM, AROUND_HOPS)
    graph = subgraph.graph_of(up, around)
    return Trace(
        version=info,
        data=data_provenance(graph, info.dataset_version_id),
        training=training(graph, info.model_artifact_id),
        evaluation=evaluation(graph, info),
        approval=approval(graph),
        infra=infra_check(graph),
        history=transitions_in(around, info.model_name, info.version),
        deployments=deployments(graph),
        graph=graph,
    )


def _first(nodes: list[Node]) -> Node | None:
    return nodes[0] if nodes else None


def _source_of(graph: LineageGraph, dataset: Node | None) -> Node | None:
    """The RawData the DataLineage execution read, else any RawData in the graph."""
    raw = graph.of_type(RAW_DATA)
    if dataset is not None:
        read = {e.source for p in graph.producers(dataset.key) for e in graph.inputs(p.key)}
        raw = [n for n in raw if n.key in read] or raw
    return _first(raw)


def data_provenance(graph: LineageGraph, dataset_version_id: str) -> DataProvenance:
    """The DatasetVersion (the registered one when several) and the RawData it was made from."""
    datasets = graph.of_type(DATASET_VERSION)
    chosen = [d for d in datasets if d.facts.get("dataset_version_id") == dataset_version_id]
    dataset = _first(chosen or datasets)
    raw = _source_of(graph, dataset)
    facts, raw_facts = (dataset.facts if dataset else {}), (raw.facts if raw else {})
    dirty = facts.get("code_dirty")
    return DataProvenance(
        dataset_version_id=facts.get("dataset_version_id") or dataset_version_id,
        raw_data_uri=raw.uri if raw else "",
        raw_data_sha256=raw_facts.get("sha256", ""),
        raw_files=raw_facts.get("files", []),
        source_sha256=facts.get("source_sha256", ""),
        examples_root_digest=facts.get("examples_root_digest", ""),
        schema_digest=facts.get("schema_digest", ""),
        code_revision=facts.get("code_revision", ""),
        code_dirty=None if dirty is None else bool(dirty),
        processing_steps=facts.get("processing_steps", []),
    )


def training(graph: LineageGraph, model_artifact_id: int) -> Training:
    """The trainer execution, Transform execution and the Model's recorded training facts."""
    key = f"artifact:{model_artifact_id}"
    model = next((n for n in graph.nodes if n.key == key), None)
    trainer = _first(graph.producers(key))
    transform = _first([p for g in graph.of_type("TransformGraph") for p in graph.producers(g.key)])
    facts = model.facts if model else {}
    return Training(
        model_artifact_id=model_artifact_id,
        trainer_execution_id=trainer.id if trainer else 0,
        transform_execution_id=transform.id if transform else 0,
        hyperparameters=facts.get("hyperparameters", {}),
        code_revision=facts.get("code_revision", ""),
        run_manifest=facts.get("run_manifest", {}),
    )


def _approval_blessing(graph: LineageGraph) -> Node | None:
    """The blessing of the approval run that decided; reruns record "unchanged" after it."""
    decided = [n for n in graph.of_type("ModelBlessing") if "decision" in n.facts]
    return _first([n for n in decided if n.facts["decision"] != "unchanged"] or decided)


def evaluation(graph: LineageGraph, info: VersionInfo) -> Evaluation:
    """The first Evaluator run on the model (reruns may follow), its blessing, and the metrics."""
    result = _first(graph.of_type("ModelEvaluation"))
    evaluator = _first(graph.producers(result.key)) if result else None
    outputs = {e.target for e in graph.edges if evaluator and e.source == evaluator.key}
    blessing = _first([n for n in graph.of_type("ModelBlessing") if n.key in outputs])
    decided = _approval_blessing(graph)
    metrics = info.metrics or (decided.facts.get("metrics", {}) if decided else {})
    blessed = blessing.facts.get("blessed") if blessing else None
    return Evaluation(
        evaluation_uri=result.uri if result else "",
        blessed=None if blessed is None else blessed == 1,
        metrics=metrics,
    )


def approval(graph: LineageGraph) -> Approval | None:
    """The ModelApproval decision, or None when the version was registered some other way."""
    decided = _approval_blessing(graph)
    if decided is None:
        return None
    facts = decided.facts
    return Approval(
        decision=facts.get("decision", ""),
        decided_by=facts.get("decided_by", ""),
        decided_at=facts.get("decided_at", ""),
        reasons=facts.get("reasons", []),
        blessing_artifact_id=decided.id,
    )


def infra_check(graph: LineageGraph) -> InfraCheck | None:
    """The InfraBlessing's verdict and latencies, or None when no infra validation ran."""
    blessing = _first(graph.of_type("InfraBlessing"))
    if blessing is None:
        return None
    facts = blessing.facts
    return InfraCheck(
        blessed=facts.get("blessed") == 1,
        reason=facts.get("reason", ""),
        requests_sent=facts.get("requests_sent"),
        latency_p50_ms=facts.get("latency_p50_ms"),
        latency_p99_ms=facts.get("latency_p99_ms"),
        load_time_s=facts.get("load_time_s"),
    )


def deployments(graph: LineageGraph) -> list[str]:
    """Serving directories the version was pushed to (PushedModel artifacts with pushed=1)."""
    pushed = [n for n in graph.of_type("PushedModel") if n.facts.get("pushed") == 1]
    return sorted({n.facts.get("pushed_destination") or n.uri for n in pushed})
