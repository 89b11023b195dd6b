"""Two registered versions side by side: metrics, hyperparameters, data, code and digests."""

from __future__ import annotations

from .records import DiffRow, Trace, VersionDiff


def _flat(prefix: str, values: dict) -> dict:
    """{"a": 1} -> {"prefix.a": 1}; nested values stay whole so lists compare as one fact."""
    return {f"{prefix}.{k}": v for k, v in sorted((values or {}).items())}


def comparable_facts(trace: Trace) -> dict:
    """The facts of a trace worth comparing, under stable dotted names, in display order."""
    info, data, train = trace.version, trace.data, trace.training
    facts = {
        "stage": info.stage,
        "created_at": info.created_at,
        "pipeline_run": info.pipeline_run,
        "dataset_version_id": data.dataset_version_id,
        "digest.model": info.model_digest,
        "digest.manifest": info.manifest_sha256,
        "digest.raw_data": data.raw_data_sha256,
        "digest.source": data.source_sha256,
        "digest.examples": data.examples_root_digest,
        "digest.schema": data.schema_digest,
        "code.model_revision": train.code_revision,
        "code.dataset_revision": data.code_revision,
        "code.dataset_dirty": data.code_dirty,
        "approval.decision": trace.approval.decision if trace.approval else "",
        "approval.decided_by": trace.approval.decided_by if trace.approval else "",
        "approval.approved_by": info.approved_by,
        "infra.latency_p50_ms": trace.infra.latency_p50_ms if trace.infra else None,
        "infra.latency_p99_ms": trace.infra.latency_p99_ms if trace.infra else None,
    }
    facts.update(_flat("metric", trace.evaluation.metrics))
    facts.update(_flat("hyperparameter", train.hyperparameters))
    facts.update(_flat("library", train.run_manifest.get("library_versions", {})))
    if "train_steps" in train.run_manifest:
        facts["training.train_steps"] = train.run_manifest["train_steps"]
    return facts


def diff_traces(a: Trace, b: Trace) -> VersionDiff:
    """Every comparable fact of `a` and `b`, in `a`'s order then the ones only `b` has."""
    left, right = comparable_facts(a), comparable_facts(b)
    names = list(left) + [k for k in right if k not in left]
    return VersionDiff(
        a=a.version.identifier,
        b=b.version.identifier,
        rows=[DiffRow(name, left.get(name), right.get(name)) for name in names],
        graph_a=a.graph,
        graph_b=b.graph,
    )
