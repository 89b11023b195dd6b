"""One version's evidence: metrics per slice, approval rules, infra check, manifest, governance
history, its dataset, drift reports and the lineage graph."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml_metadata.metadata_store.metadata_store import ListOptions

from components.model_approval.policy import ApprovalPolicy, Evidence, evaluate
from pipeline.lineage import Trace
from pipeline.lineage.nodes import artifact_node
from pipeline.registry import queries
from pipeline.registry.schema import prop, quote

from .. import evidence, graph
from ..verification import RecordStatuses
from .dataset_evidence import DatasetEvidence, dataset_evidence
from .models import TimelineEntry, entry

DRIFT_REPORT = "DriftReport"


@dataclass(frozen=True)
class Rule:
    """One approval policy rule with what was measured and whether it passed."""

    rule: str
    measured: object
    required: object
    passed: bool


@dataclass(frozen=True)
class VersionPage:
    trace: Trace
    slices: list
    thresholds: list
    policy: dict
    rules: list[Rule]
    history: list[TimelineEntry]
    dataset: DatasetEvidence
    drift: list[dict]
    elements: dict
    compare_with: list[int] = field(default_factory=list)


def _first(trace: Trace, *types: str):
    found = trace.graph.of_type(*types)
    return found[0] if found else None


def approval_rules(trace: Trace, policy: dict, overall_diffs: dict) -> list[Rule]:
    """Every rule of the recorded policy, its measured value and whether it passed."""
    if not policy:
        return []
    rules = ApprovalPolicy.from_dict(policy)
    infra = trace.infra
    dataset = _first(trace, "DatasetVersion")
    measured = Evidence(
        evaluator_blessed=bool(trace.evaluation.blessed), metrics=trace.evaluation.metrics,
        baseline_diffs=overall_diffs, infra_blessed=infra.blessed if infra else None,
        infra_reason=infra.reason if infra else "",
        anomaly_count=dataset.facts.get("anomaly_count") if dataset else None,
        anomaly_names=dataset.facts.get("anomaly_names", []) if dataset else [])
    failed = {f.rule for f in evaluate(rules, measured)}
    listed = []
    if rules.require_evaluator_blessing:
        listed.append(("evaluator_blessing", _blessed(measured.evaluator_blessed), "blessed"))
    listed += [(f"metric_floor[{m}]", measured.metrics.get(m), f">= {floor}")
               for m, floor in sorted(rules.metric_floors.items())]
    listed += [(f"beats_deployed[{m}]", overall_diffs.get(m, "no deployed model"), f">= {margin}")
               for m, margin in sorted(rules.min_improvement.items())]
    if rules.require_infra_blessing:
        listed.append(("infra_blessing", _blessed(measured.infra_blessed), "blessed"))
    if rules.refuse_anomalous_data:
        listed.append(("data_anomalies", measured.anomaly_count, 0))
    return [Rule(name, value, required, name not in failed) for name, value, required in listed]


def _blessed(value) -> str:
    return "not run" if value is None else ("blessed" if value else "not blessed")


def drift_reports(store, model_name: str, version: int) -> list[dict]:
    """DriftReport artifacts of the version, oldest check first."""
    query = (f"type = {quote(DRIFT_REPORT)} AND custom_properties.model_name.string_value = "
             f"{quote(model_name)} AND custom_properties.version.int_value = {int(version)}")
    found = store.get_artifacts(list_options=ListOptions(filter_query=query))
    reports = [artifact_node(a, DRIFT_REPORT) for a in found]
    return sorted(({"uri": n.uri, **n.facts} for n in reports),
                  key=lambda r: str(r.get("checked_at", "")))


def version_page(lineage, statuses: RecordStatuses, name: str, number: int) -> VersionPage:
    """Everything the version page shows about `name@number`."""
    info = lineage.registry.version(name, number)
    trace = lineage.trace_version(info)
    slices = evidence.slice_metrics(trace.evaluation.evaluation_uri)
    overall = next((s for s in slices if s.slice == "Overall"), None)
    approver = next((n for n in trace.graph.of_type("ModelApproval")), None)
    policy = approver.facts.get("policy", {}) if approver else {}
    records = lineage.registry.history(name, number)
    checked = statuses.of(records)
    history = [entry(r, checked[r.execution_id]) for r in records]
    # Artifacts only: the other versions' stages are not needed to offer them for comparison.
    others = sorted(prop(a, "version", 0) for a in queries.version_artifacts(lineage.store, name)
                    if prop(a, "version", 0) != number)
    return VersionPage(
        trace=trace, slices=slices, thresholds=evidence.thresholds(trace.evaluation.evaluation_uri),
        policy=policy if isinstance(policy, dict) else {},
        rules=approval_rules(trace, policy if isinstance(policy, dict) else {},
                             overall.diffs if overall else {}),
        history=history, dataset=dataset_evidence(trace.graph, info.dataset_version_id),
        drift=drift_reports(lineage.store, name, number),
        elements=graph.elements(trace.graph, {f"artifact:{info.artifact_id}"}),
        compare_with=others)
